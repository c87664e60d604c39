import { ThrottleRate } from '../config/setting-types';

/**
 * DRF SimpleRateThrottle's sliding log as a pure function, times in epoch milliseconds. The PostgreSQL
 * repository applies the same rule in one SQL statement; the in-memory store applies this function.
 */

/** What a throttle answers for one request. */
export type ThrottleVerdict =
  | { readonly allowed: true }
  /** Refused; the caller may retry once the oldest hit has left the window (DRF's wait(), in seconds). */
  | { readonly allowed: false; readonly retryAfterSeconds: number };

export const ALLOWED: ThrottleVerdict = { allowed: true };

/** Longest client identity stored (an IP, "user:<id>", a key id). */
export const MAX_IDENT_LENGTH = 128;

export interface SlidingLogHit {
  readonly verdict: ThrottleVerdict;
  /** The log after this request: hits still in the window, oldest first, plus this one when allowed. */
  readonly log: readonly number[];
}

/**
 * Counts one request at `now` against `rate`: hits at or before `now - duration` leave the window; the request
 * is allowed, and logged, while fewer than `rate.requests` remain. A refused request is not logged.
 */
export function hitSlidingLog(log: readonly number[], now: number, rate: ThrottleRate): SlidingLogHit {
  const windowStart = now - rate.seconds * 1000;
  const kept = log.filter((hit) => hit > windowStart).sort((a, b) => a - b);
  if (kept.length < rate.requests) return { verdict: ALLOWED, log: [...kept, now] };
  const retryAfterSeconds = (kept[0] + rate.seconds * 1000 - now) / 1000;
  return { verdict: { allowed: false, retryAfterSeconds }, log: kept };
}
