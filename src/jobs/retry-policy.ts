/**
 * When a failed job runs again. Pure, so the rule is unit-tested without a database: after the n-th failed attempt
 * the job waits base × 2^(n-1), capped at maxDelayMs; once maxAttempts attempts have failed it is failed for good.
 */
export interface RetryPolicy {
  /** Attempts in all, the first run included (1 = never retried). */
  readonly maxAttempts: number;
  /** The pause after the first failure; doubles after each further one. */
  readonly baseDelayMs: number;
  /** No pause is longer than this. */
  readonly maxDelayMs: number;
}

export type FailureOutcome =
  { readonly state: 'pending'; readonly runAt: Date } | { readonly state: 'failed' };

/** The pause after `failedAttempts` failures (1 or more). */
export function backoffDelayMs(failedAttempts: number, policy: RetryPolicy): number {
  const exponent = Math.max(0, failedAttempts - 1);
  // 2^exponent overflows to Infinity long before it matters; Math.min then caps it.
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
}

/** What becomes of a job whose attempt number `attempts` (counting from 1) just failed. */
export function afterFailure(attempts: number, policy: RetryPolicy, now: Date): FailureOutcome {
  if (attempts >= policy.maxAttempts) return { state: 'failed' };
  return { state: 'pending', runAt: new Date(now.getTime() + backoffDelayMs(attempts, policy)) };
}
