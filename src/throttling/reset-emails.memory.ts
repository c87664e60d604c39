import { claimResetEmail, ResetEmailPolicy } from './reset-email-quota';
import { ResetEmailStore } from './reset-emails.repository';

/** ResetEmailStore in one process's memory, on a clock the caller controls (unit tests). */
export class InMemoryResetEmails implements ResetEmailStore {
  private readonly sent = new Map<number, readonly number[]>();

  constructor(private readonly clock: () => number = Date.now) {}

  claim(userId: number, policy: ResetEmailPolicy): Promise<boolean> {
    const claim = claimResetEmail(this.sent.get(userId) ?? [], this.clock(), policy);
    this.sent.set(userId, claim.sent);
    return Promise.resolve(claim.allowed);
  }
}
