import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config';
import { LoginFailure } from '../users/user.entity';

export const LOCKED_OUT_DETAIL = 'Account locked: too many login attempts. Contact an admin to unlock.';

/**
 * django-axes behaviour: failed logins are counted per (username, IP). Once AXES_FAILURE_LIMIT failures are
 * recorded for a username (or, with AXES_ONLY_USER_FAILURES=false, also for an IP), every login for it is
 * refused, even with the right password, until an admin clears it or the user resets their password.
 * Successful logins do not clear failures (AXES_RESET_ON_SUCCESS is off in Flagsmith).
 */
@Injectable()
export class LoginLockoutService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async isLocked(username: string, ip: string): Promise<boolean> {
    const [row] = await this.dataSource.query<{ by_user: number; by_ip: number }[]>(
      `SELECT COALESCE(SUM(failures_since_start) FILTER (WHERE username = $1), 0)::int AS by_user,
              COALESCE(SUM(failures_since_start) FILTER (WHERE ip_address = $2), 0)::int AS by_ip
         FROM login_failures WHERE username = $1 OR ip_address = $2`,
      [username.toLowerCase(), ip],
    );
    const limit = this.config.AXES_FAILURE_LIMIT;
    if (row.by_user >= limit) return true;
    return !this.config.AXES_ONLY_USER_FAILURES && row.by_ip >= limit;
  }

  async recordFailure(username: string, ip: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO login_failures (username, ip_address, failures_since_start, attempt_time)
       VALUES ($1, $2, 1, now())
       ON CONFLICT (username, ip_address)
       DO UPDATE SET failures_since_start = login_failures.failures_since_start + 1, attempt_time = now()`,
      [username.toLowerCase(), ip],
    );
  }

  async unlock(username: string): Promise<void> {
    await this.dataSource.getRepository(LoginFailure).delete({ username: username.toLowerCase() });
  }
}
