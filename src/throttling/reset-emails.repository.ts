import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { bookkeepingTransaction } from '../transaction/transaction';
import { ResetEmailPolicy } from './reset-email-quota';
import { PasswordResetRequest } from './throttle.entity';

/** Where password-reset emails sent are recorded. */
export interface ResetEmailStore {
  /** Records one more email for the user if the policy allows it (claimResetEmail), atomically. */
  claim(userId: number, policy: ResetEmailPolicy): Promise<boolean>;
}

export const RESET_EMAIL_STORE = Symbol('ResetEmailStore');

/**
 * password_reset_requests in PostgreSQL. The user's row is locked meanwhile, so concurrent requests on any
 * instance cannot both take the last email; the database clock is the only clock.
 */
@Injectable()
export class ResetEmailsRepository implements ResetEmailStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  claim(userId: number, policy: ResetEmailPolicy): Promise<boolean> {
    return bookkeepingTransaction(this.dataSource, async (manager) => {
      // FOR NO KEY UPDATE serializes the claims of one user without blocking rows that refer to the user.
      await manager.query(`SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE`, [userId]);
      await manager.query(
        `DELETE FROM password_reset_requests WHERE user_id = $1 AND requested_at < now() - make_interval(secs => $2)`,
        [userId, policy.cooldownSeconds],
      );
      const [{ sent }] = await manager.query<{ sent: number }[]>(
        `SELECT count(*)::int AS sent FROM password_reset_requests
          WHERE user_id = $1 AND requested_at >= now() - make_interval(secs => $2)`,
        [userId, policy.cooldownSeconds],
      );
      if (sent >= policy.maxEmails) return false;
      await manager.getRepository(PasswordResetRequest).insert({ userId });
      return true;
    });
  }
}
