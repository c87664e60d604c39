import * as Sentry from '@sentry/nestjs';
import type { FastifyRequest } from 'fastify';
import { AppConfig } from '../config';
import { installErrorTracker } from './error-reporter';
import { scrubEvent, scrubText } from './sentry-scrub';

/** Largest request body attached to an event, in characters of JSON. */
const MAX_BODY_CHARS = 8192;

export type SentrySettings = Pick<AppConfig, 'SENTRY_SDK_DSN' | 'SENTRY_TRACE_SAMPLE_RATE' | 'ENVIRONMENT'>;

/**
 * Starts the Sentry SDK (when SENTRY_SDK_DSN is set) and connects it to the HTTP error filter. main.ts calls this
 * through instrument.ts before anything else is loaded, so that Sentry's HTTP/Nest instrumentation applies; tests
 * call it directly. Every error and transaction passes through `scrubEvent` before it is sent. Returns whether
 * Sentry is on.
 */
export function initSentry(settings: SentrySettings): boolean {
  if (!settings.SENTRY_SDK_DSN) return false;
  Sentry.init({
    dsn: settings.SENTRY_SDK_DSN,
    environment: settings.ENVIRONMENT,
    tracesSampleRate: settings.SENTRY_TRACE_SAMPLE_RATE,
    sendDefaultPii: false,
    // Errors are reported by the HTTP error filter (reportServerError), which knows the final status: Sentry's own
    // Fastify hook would also report errors that become 4xx responses.
    integrations: [Sentry.fastifyIntegration({ shouldHandleError: () => false })],
    beforeSend: (event) => scrubEvent(event),
    beforeSendTransaction: (event) => scrubEvent(event),
    beforeBreadcrumb: (breadcrumb) => scrubEvent(breadcrumb),
  });
  installErrorTracker({ reportServerError, nameRequest, flush: (timeoutMs) => Sentry.flush(timeoutMs) });
  return true;
}

function reportServerError(error: unknown, request: FastifyRequest): void {
  const route = request.routeOptions.url;
  Sentry.withScope((scope) => {
    scope.setTag('request_id', String(request.id));
    scope.setTransactionName(`${request.method} ${route ?? request.url.split('?')[0]}`);
    scope.addEventProcessor((event) => {
      event.request = {
        method: request.method,
        url: `${request.protocol}://${request.host}${request.url}`,
        query_string: request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : undefined,
        headers: plainHeaders(request.headers),
        data: requestBody(request.body),
      };
      if (route) event.tags = { ...event.tags, route };
      return event;
    });
    Sentry.captureException(error, { mechanism: { type: 'flagport.http', handled: false } });
  });
}

function nameRequest(request: FastifyRequest): void {
  const route = request.routeOptions.url;
  const name = `${request.method} ${route ?? '<unmatched>'}`;
  Sentry.getIsolationScope().setTransactionName(name);
  const span = Sentry.getActiveSpan();
  if (span) {
    const root = Sentry.getRootSpan(span);
    Sentry.updateSpanName(root, name);
    if (route) root.setAttribute('http.route', route);
  }
}

function plainHeaders(headers: FastifyRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function requestBody(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  let text: string;
  try {
    text = typeof body === 'string' ? body : JSON.stringify(body);
  } catch {
    return undefined;
  }
  return text.length > MAX_BODY_CHARS ? `${scrubText(text.slice(0, MAX_BODY_CHARS))}…` : text;
}
