/**
 * Flagsmith's can_send_password_reset_email as a pure function, times in epoch milliseconds: at most
 * MAX_PASSWORD_RESET_EMAILS sent to one account within PASSWORD_RESET_EMAIL_COOLDOWN seconds.
 */

export interface ResetEmailPolicy {
  readonly maxEmails: number;
  readonly cooldownSeconds: number;
}

export interface ResetEmailClaim {
  readonly allowed: boolean;
  /** Send times still within the cool-down, plus this one when allowed. */
  readonly sent: readonly number[];
}

/** A send exactly `cooldownSeconds` old still counts; older ones are forgotten. */
export function claimResetEmail(
  sent: readonly number[],
  now: number,
  policy: ResetEmailPolicy,
): ResetEmailClaim {
  const windowStart = now - policy.cooldownSeconds * 1000;
  const kept = sent.filter((at) => at >= windowStart);
  if (kept.length >= policy.maxEmails) return { allowed: false, sent: kept };
  return { allowed: true, sent: [...kept, now] };
}
