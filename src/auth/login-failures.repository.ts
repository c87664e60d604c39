import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { FailureCounts } from './login-lockout';

/** Where failed logins are kept. Usernames arrive normalised; the cool-off is in minutes, null for none. */
export interface LoginFailureStore {
  /** Failures within the cool-off for the username and for the IP (null: the username only). */
  countFailures(username: string, ip: string | null, cooloffMinutes: number | null): Promise<FailureCounts>;
  /** One more failure of (username, IP); a record older than the cool-off starts again from 1. */
  recordFailure(username: string, ip: string, cooloffMinutes: number | null): Promise<void>;
  /**
   * Forgets every failure of the username; returns how many (username, IP) records there were. `manager`: as a
   * step of the caller's unit of work.
   */
  clear(username: string, manager?: EntityManager): Promise<number>;
}

export const LOGIN_FAILURE_STORE = Symbol('LoginFailureStore');

/**
 * login_failures in PostgreSQL, shared by every instance, the database clock the only clock. Each statement
 * applies the rules of login-lockout.ts (stillCounts, afterFailure) in SQL, so a failure is one upsert.
 */
@Injectable()
export class LoginFailuresRepository implements LoginFailureStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async countFailures(
    username: string,
    ip: string | null,
    cooloffMinutes: number | null,
  ): Promise<FailureCounts> {
    const [row] = await this.dataSource.query<{ by_user: number; by_ip: number }[]>(
      `SELECT COALESCE(SUM(failures_since_start) FILTER (WHERE username = $1), 0)::int AS by_user,
              COALESCE(SUM(failures_since_start) FILTER (WHERE ip_address = $2), 0)::int AS by_ip
         FROM login_failures
        WHERE (username = $1 OR ip_address = $2)
          AND ($3::int IS NULL OR attempt_time > now() - make_interval(mins => $3::int))`,
      [username, ip, cooloffMinutes],
    );
    return { byUser: row.by_user, byIp: row.by_ip };
  }

  async recordFailure(username: string, ip: string, cooloffMinutes: number | null): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO login_failures (username, ip_address, failures_since_start, attempt_time)
       VALUES ($1, $2, 1, now())
       ON CONFLICT (username, ip_address)
       DO UPDATE SET attempt_time = now(),
         failures_since_start = CASE
           WHEN $3::int IS NOT NULL AND login_failures.attempt_time <= now() - make_interval(mins => $3::int) THEN 1
           ELSE login_failures.failures_since_start + 1 END`,
      [username, ip, cooloffMinutes],
    );
  }

  async clear(username: string, manager: EntityManager = this.dataSource.manager): Promise<number> {
    const [, affected] = await manager.query<[unknown, number]>(
      `DELETE FROM login_failures WHERE username = $1`,
      [username],
    );
    return affected ?? 0;
  }
}
