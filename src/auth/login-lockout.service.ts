import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config';

export const LOCKED_OUT_DETAIL =
  'Account locked: too many login attempts. Try again later or contact an admin to unlock.';

/**
 * django-axes behaviour: failed logins are counted per (username, IP) in login_failures. Once AXES_FAILURE_LIMIT
 * failures are recorded for a username (or, with AXES_ONLY_USER_FAILURES=false, also for an IP), every login for
 * it is refused, even with the right password. Failures older than AXES_COOLOFF_TIME minutes no longer count
 * (axes' cool-off; a row whose last failure is that old starts again from 1), so nobody can lock an account
 * forever; 0 keeps axes' "no cool-off": locked until an admin unlocks (admin panel, `cli unlock-user`) or the
 * user resets their password. Successful logins do not clear failures (AXES_RESET_ON_SUCCESS is off in Flagsmith).
 * The table is shared by every instance, so the limit holds across them.
 */
@Injectable()
export class LoginLockoutService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Minutes of cool-off, or null for none (failures count forever). */
  private get cooloffMinutes(): number | null {
    return this.config.AXES_COOLOFF_TIME > 0 ? this.config.AXES_COOLOFF_TIME : null;
  }

  async isLocked(username: string, ip: string): Promise<boolean> {
    const [row] = await this.dataSource.query<{ by_user: number; by_ip: number }[]>(
      `SELECT COALESCE(SUM(failures_since_start) FILTER (WHERE username = $1), 0)::int AS by_user,
              COALESCE(SUM(failures_since_start) FILTER (WHERE ip_address = $2), 0)::int AS by_ip
         FROM login_failures
        WHERE (username = $1 OR ip_address = $2)
          AND ($3::int IS NULL OR attempt_time > now() - make_interval(mins => $3::int))`,
      [username.toLowerCase(), ip, this.cooloffMinutes],
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
       DO UPDATE SET attempt_time = now(),
         failures_since_start = CASE
           WHEN $3::int IS NOT NULL AND login_failures.attempt_time <= now() - make_interval(mins => $3::int) THEN 1
           ELSE login_failures.failures_since_start + 1 END`,
      [username.toLowerCase(), ip, this.cooloffMinutes],
    );
  }

  /** Clears every failure recorded for the username; returns how many (username, IP) records there were. */
  async unlock(username: string): Promise<number> {
    const [, affected] = await this.dataSource.query<[unknown, number]>(
      `DELETE FROM login_failures WHERE username = $1`,
      [username.toLowerCase()],
    );
    return affected ?? 0;
  }

  /** Failures that currently count against the username (within the cool-off). */
  async failuresFor(username: string): Promise<number> {
    const [row] = await this.dataSource.query<{ failures: number }[]>(
      `SELECT COALESCE(SUM(failures_since_start), 0)::int AS failures FROM login_failures
        WHERE username = $1 AND ($2::int IS NULL OR attempt_time > now() - make_interval(mins => $2::int))`,
      [username.toLowerCase(), this.cooloffMinutes],
    );
    return row.failures;
  }
}
