import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config';
import { InfluxPoint, InfluxWriter } from './influx-writer';
import { USAGE_RESOURCES, type UsageResource } from './usage.entity';

const RESOURCE_INDEX: Readonly<Record<UsageResource, number>> = Object.fromEntries(
  USAGE_RESOURCES.map((resource, index) => [resource, index]),
) as Record<UsageResource, number>;

/** How often counters are written out. */
export const USAGE_FLUSH_INTERVAL_MS = 10_000;
/** Distinct counters kept between flushes; beyond it a flush starts early, beyond twice it counts are dropped. */
export const USAGE_MAX_KEYS = 10_000;

const DAY_MS = 86_400_000;

/**
 * SDK request counting (ENABLE_API_USAGE_TRACKING) and SDK flag analytics: counters in memory, keyed by
 * (environment, resource|feature, day), written every USAGE_FLUSH_INTERVAL_MS and at shutdown with one batched
 * UPSERT per table (one row per key, never one per request), and to InfluxDB when INFLUXDB_URL is set.
 * Memory is bounded by USAGE_MAX_KEYS.
 */
@Injectable()
export class UsageService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Usage');
  readonly trackRequests: boolean;
  private requests = new Map<string, number>();
  /**
   * The current day's request counts, environment id → count per resource (USAGE_RESOURCES order): counting a
   * request is one map lookup and an increment. Folded into `requests` when the day changes and at each flush.
   */
  private today = new Map<number, number[]>();
  private evaluations = new Map<string, number>();
  private dayStart = 0;
  private dayEnd = 0;
  private day = '';
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private droppedWarned = false;
  /** Set while writes fail (the database is unreachable): warned once, and once more when they succeed again. */
  private failing = false;
  private readonly influx: InfluxWriter | undefined;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.trackRequests = config.ENABLE_API_USAGE_TRACKING;
    if (config.INFLUXDB_URL && config.INFLUXDB_BUCKET) {
      this.influx = new InfluxWriter({
        url: config.INFLUXDB_URL,
        token: config.INFLUXDB_TOKEN,
        org: config.INFLUXDB_ORG,
        bucket: config.INFLUXDB_BUCKET,
      });
    } else if (config.INFLUXDB_URL) {
      this.logger.warn('INFLUXDB_URL is set without INFLUXDB_BUCKET: usage is not written to InfluxDB');
    }
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.flush(), USAGE_FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  /** Counts one SDK request. Cheap: one map lookup and an increment, no key string. */
  countRequest(environmentId: number, resource: UsageResource, now: number): void {
    if (!this.trackRequests) return;
    if (now < this.dayStart || now >= this.dayEnd) this.dayOf(now);
    let counts = this.today.get(environmentId);
    if (counts === undefined) {
      if (this.today.size >= USAGE_MAX_KEYS) {
        void this.flush();
        if (this.today.size >= USAGE_MAX_KEYS) return this.dropped();
      }
      counts = new Array<number>(USAGE_RESOURCES.length).fill(0);
      this.today.set(environmentId, counts);
    }
    counts[RESOURCE_INDEX[resource]]++;
  }

  /** Moves the current day's request counts into the keyed counters. */
  private foldToday(): void {
    if (this.today.size === 0) return;
    const today = this.today;
    this.today = new Map();
    for (const [environmentId, counts] of today) {
      counts.forEach((n, i) => {
        if (n > 0) this.add(this.requests, `${environmentId}|${USAGE_RESOURCES[i]}|${this.day}`, n);
      });
    }
  }

  private dropped(): void {
    if (!this.droppedWarned)
      this.logger.warn('usage counters are full; counts are dropped until the next flush');
    this.droppedWarned = true;
  }

  /** Adds SDK-reported evaluation counts; unknown features and non-integer counts are dropped. */
  countEvaluations(
    environmentId: number,
    counts: Readonly<Record<string, unknown>>,
    known: ReadonlySet<string>,
    now: number,
  ): void {
    const day = this.dayOf(now);
    for (const [name, count] of Object.entries(counts)) {
      if (!known.has(name) || typeof count !== 'number' || !Number.isSafeInteger(count) || count <= 0)
        continue;
      this.add(this.evaluations, `${environmentId}|${day}|${name}`, count);
    }
  }

  /** Writes everything counted so far. Concurrent calls share one flush. */
  flush(): Promise<void> {
    if (!this.flushing) {
      this.flushing = this.flushNow().finally(() => (this.flushing = undefined));
    }
    return this.flushing;
  }

  private add(map: Map<string, number>, key: string, n: number): void {
    const current = map.get(key);
    if (current !== undefined) {
      map.set(key, current + n);
      return;
    }
    if (map.size >= USAGE_MAX_KEYS) {
      void this.flush();
      if (map.size >= USAGE_MAX_KEYS * 2) {
        if (!this.droppedWarned)
          this.logger.warn('usage counters are full; counts are dropped until the next flush');
        this.droppedWarned = true;
        return;
      }
    }
    map.set(key, n);
  }

  private dayOf(now: number): string {
    if (now < this.dayStart || now >= this.dayEnd) {
      this.foldToday();
      this.dayStart = now - (now % DAY_MS);
      this.dayEnd = this.dayStart + DAY_MS;
      this.day = new Date(this.dayStart).toISOString().slice(0, 10);
    }
    return this.day;
  }

  private async flushNow(): Promise<void> {
    this.foldToday();
    const requests = this.requests;
    const evaluations = this.evaluations;
    if (requests.size === 0 && evaluations.size === 0) return;
    this.requests = new Map();
    this.evaluations = new Map();
    this.droppedWarned = false;

    const envs: number[] = [];
    const resources: string[] = [];
    const days: string[] = [];
    const counts: number[] = [];
    for (const [key, count] of requests) {
      const [env, resource, day] = key.split('|');
      envs.push(Number(env));
      resources.push(resource);
      days.push(day);
      counts.push(count);
    }
    const evEnvs: number[] = [];
    const evNames: string[] = [];
    const evDays: string[] = [];
    const evCounts: number[] = [];
    for (const [key, count] of evaluations) {
      const first = key.indexOf('|');
      const second = key.indexOf('|', first + 1);
      evEnvs.push(Number(key.slice(0, first)));
      evDays.push(key.slice(first + 1, second));
      evNames.push(key.slice(second + 1));
      evCounts.push(count);
    }

    try {
      // One transaction: a failed flush leaves nothing behind, so putting the counts back never counts twice.
      await this.dataSource.transaction(async (manager) => {
        if (envs.length > 0) {
          await manager.query(
            `INSERT INTO api_usage_daily (environment_id, resource, day, count)
           SELECT * FROM unnest($1::int[], $2::varchar[], $3::date[], $4::bigint[])
           ON CONFLICT (environment_id, resource, day) DO UPDATE SET count = api_usage_daily.count + EXCLUDED.count`,
            [envs, resources, days, counts],
          );
        }
        if (evEnvs.length > 0) {
          await manager.query(
            `INSERT INTO feature_evaluations_daily (environment_id, feature_name, day, count)
           SELECT * FROM unnest($1::int[], $2::varchar[], $3::date[], $4::bigint[])
           ON CONFLICT (environment_id, feature_name, day)
           DO UPDATE SET count = feature_evaluations_daily.count + EXCLUDED.count`,
            [evEnvs, evNames, evDays, evCounts],
          );
        }
      });
    } catch (err) {
      if (!this.failing) {
        this.logger.warn(
          `could not write usage counters (${err instanceof Error ? err.message : String(err)}); retrying every ${USAGE_FLUSH_INTERVAL_MS / 1000}s`,
        );
      }
      this.failing = true;
      // Put them back for the next attempt (bounded by add()).
      for (const [key, n] of requests) this.add(this.requests, key, n);
      for (const [key, n] of evaluations) this.add(this.evaluations, key, n);
      return;
    }
    if (this.failing) {
      this.failing = false;
      this.logger.warn('usage counters are written again');
    }

    if (this.influx) {
      const ts = Math.floor(Date.now() / 1000);
      const points: InfluxPoint[] = [];
      for (let i = 0; i < envs.length; i++) {
        points.push({
          measurement: 'api_call',
          tags: { environment_id: envs[i], resource: resources[i] },
          field: 'request_count',
          value: counts[i],
          timestampSeconds: ts,
        });
      }
      for (let i = 0; i < evEnvs.length; i++) {
        points.push({
          measurement: 'feature_evaluation',
          tags: { environment_id: evEnvs[i], feature_id: evNames[i] },
          field: 'request_count',
          value: evCounts[i],
          timestampSeconds: ts,
        });
      }
      await this.influx.write(points);
    }
  }
}
