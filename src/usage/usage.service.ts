import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config';
import { InfluxWriter } from './influx-writer';
import { UsageCounters, usagePoints } from './usage-counters';
import { USAGE_STORE, UsageStore } from './usage.repository';
import { type UsageResource } from './usage.entity';

/** How often counters are written out. */
export const USAGE_FLUSH_INTERVAL_MS = 10_000;

type UsageSettings = Pick<
  AppConfig,
  'ENABLE_API_USAGE_TRACKING' | 'INFLUXDB_URL' | 'INFLUXDB_TOKEN' | 'INFLUXDB_ORG' | 'INFLUXDB_BUCKET'
>;

/**
 * SDK request counting (ENABLE_API_USAGE_TRACKING) and SDK flag analytics: UsageCounters in memory, written
 * every USAGE_FLUSH_INTERVAL_MS and at shutdown to the UsageStore (one batched UPSERT per table, never one row
 * per request), and to InfluxDB when INFLUXDB_URL is set. A failed write puts the counts back for the next one.
 */
@Injectable()
export class UsageService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Usage');
  readonly trackRequests: boolean;
  private readonly counters = new UsageCounters();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private droppedWarned = false;
  /** Set while writes fail (the database is unreachable): warned once, and once more when they succeed again. */
  private failing = false;
  private readonly influx: InfluxWriter | undefined;

  constructor(
    @Inject(APP_CONFIG) config: UsageSettings,
    @Inject(USAGE_STORE) private readonly store: UsageStore,
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
    if (this.counters.countRequest(environmentId, resource, now)) return;
    // Full: a flush takes the counters at once (unless one is already under way), then there is room again.
    void this.flush();
    if (!this.counters.countRequest(environmentId, resource, now)) this.dropped();
  }

  /** Adds SDK-reported evaluation counts; unknown features and non-integer counts are dropped. */
  countEvaluations(
    environmentId: number,
    counts: Readonly<Record<string, unknown>>,
    known: ReadonlySet<string>,
    now: number,
  ): void {
    if (!this.counters.countEvaluations(environmentId, counts, known, now)) this.dropped();
    if (this.counters.full) void this.flush();
  }

  /** Writes everything counted so far. Concurrent calls share one flush. */
  flush(): Promise<void> {
    if (!this.flushing) {
      this.flushing = this.flushNow().finally(() => (this.flushing = undefined));
    }
    return this.flushing;
  }

  private dropped(): void {
    if (!this.droppedWarned)
      this.logger.warn('usage counters are full; counts are dropped until the next flush');
    this.droppedWarned = true;
  }

  private async flushNow(): Promise<void> {
    // Taken before the first await, so that a flush started because the counters are full frees them at once.
    const batch = this.counters.take();
    if (!batch) return;
    this.droppedWarned = false;
    try {
      await this.store.add(batch);
    } catch (err) {
      if (!this.failing) {
        this.logger.warn(
          `could not write usage counters (${err instanceof Error ? err.message : String(err)}); retrying every ${USAGE_FLUSH_INTERVAL_MS / 1000}s`,
        );
      }
      this.failing = true;
      this.counters.restore(batch);
      return;
    }
    if (this.failing) {
      this.failing = false;
      this.logger.warn('usage counters are written again');
    }
    if (this.influx) await this.influx.write(usagePoints(batch, Math.floor(Date.now() / 1000)));
  }
}
