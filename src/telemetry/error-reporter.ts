import type { FastifyRequest } from 'fastify';

/**
 * The seam between the HTTP error filter and Sentry, without loading the Sentry SDK unless it is configured:
 * `initSentry` (sentry.ts) installs the tracker; the filter calls `reportServerError` for server faults (5xx).
 */
export interface ErrorTracker {
  /** Reports an unhandled error with the request it happened in (scrubbed of secrets). */
  reportServerError(error: unknown, request: FastifyRequest): void;
  /** Names the current trace after the route pattern (never the raw URL). */
  nameRequest(request: FastifyRequest): void;
  /** Sends queued events; resolves false when they could not all be sent in time. */
  flush(timeoutMs: number): Promise<boolean>;
}

let tracker: ErrorTracker | undefined;

export function installErrorTracker(next: ErrorTracker | undefined): void {
  tracker = next;
}

export function errorTracker(): ErrorTracker | undefined {
  return tracker;
}

/** Called by the exception filter for server faults only; a no-op when Sentry is off. Never throws. */
export function reportServerError(error: unknown, request: FastifyRequest): void {
  if (!tracker) return;
  try {
    tracker.reportServerError(error, request);
  } catch {
    // Error reporting must never turn one failure into two.
  }
}
