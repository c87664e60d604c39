import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ThrottleRate } from '../config/setting-types';
import { ThrottledException } from '../common/errors';

/** Expired throttle rows are deleted at most this often per instance. */
const PRUNE_INTERVAL_MS = 10 * 60_000;

/**
 * DRF's SimpleRateThrottle (sliding log) with the log in PostgreSQL, so that a limit holds across every instance
 * on the database rather than per process (Flagsmith's default throttle cache is per-process LocMemCache).
 * One statement per check: the upsert locks the (scope, ident) row, drops hits older than the rate's duration
 * and appends this one only while fewer than N remain, so concurrent requests on any instance are counted
 * exactly. The database clock is the only clock.
 */
@Injectable()
export class RequestThrottleService {
  private prunedAt = Date.now();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Counts one request of `ident` against `rate` in `scope`; throws ThrottledException (429, Retry-After) when
   * the rate is used up. No rate = no throttle.
   */
  async check(scope: string, ident: string, rate: ThrottleRate | undefined): Promise<void> {
    if (!rate) return;
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
      [scope, ident.slice(0, 128), rate.seconds, rate.requests],
    );
    this.pruneNowAndThen();
    if (!row.allowed) throw new ThrottledException(row.wait);
  }

  private pruneNowAndThen(): void {
    if (Date.now() - this.prunedAt < PRUNE_INTERVAL_MS) return;
    this.prunedAt = Date.now();
    this.dataSource.query(`DELETE FROM request_throttles WHERE expires_at < now()`).catch(() => undefined);
  }
}
