import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ThrottleRate } from '../config/setting-types';
import { ALLOWED, ThrottleVerdict } from './sliding-log';

/** Where throttle logs are kept, one per (scope, ident). */
export interface ThrottleStore {
  /** Counts one request of `ident` against `rate` in `scope` (hitSlidingLog), atomically. */
  hit(scope: string, ident: string, rate: ThrottleRate): Promise<ThrottleVerdict>;
  /** Forgets logs whose every hit has left its window. */
  pruneExpired(): Promise<void>;
}

export const THROTTLE_STORE = Symbol('ThrottleStore');

/**
 * request_throttles in PostgreSQL, so that a limit holds across every instance on the database. One statement per
 * hit: the upsert locks the (scope, ident) row, drops hits older than the rate's duration and appends this one
 * only while fewer than N remain (sliding-log.ts's rule), so concurrent requests on any instance are counted
 * exactly. The database clock is the only clock.
 */
@Injectable()
export class RequestThrottlesRepository implements ThrottleStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async hit(scope: string, ident: string, rate: ThrottleRate): Promise<ThrottleVerdict> {
    const [row] = await this.dataSource.query<{ allowed: boolean; wait: number }[]>(
      `INSERT INTO request_throttles AS t (scope, ident, hits, expires_at)
       VALUES ($1, $2, ARRAY[now()], now() + make_interval(secs => $3))
       ON CONFLICT (scope, ident) DO UPDATE SET
         hits = (SELECT CASE WHEN count(*) < $4
                             THEN COALESCE(array_agg(h ORDER BY h), '{}'::timestamptz[]) || now()
                             ELSE array_agg(h ORDER BY h) END
                   FROM unnest(t.hits) AS h WHERE h > now() - make_interval(secs => $3)),
         expires_at = now() + make_interval(secs => $3)
       RETURNING t.hits[cardinality(t.hits)] = now() AS allowed,
                 extract(epoch FROM t.hits[1] + make_interval(secs => $3) - now())::float8 AS wait`,
      [scope, ident, rate.seconds, rate.requests],
    );
    return row.allowed ? ALLOWED : { allowed: false, retryAfterSeconds: row.wait };
  }

  async pruneExpired(): Promise<void> {
    await this.dataSource.query(`DELETE FROM request_throttles WHERE expires_at < now()`);
  }
}
