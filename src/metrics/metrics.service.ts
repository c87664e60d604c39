import { MetricsRegistry, Tags } from './metrics-registry';

const noop = (): void => undefined;

/**
 * What the rest of the application records, e.g. `metrics.increment('cache.hit', { cache: 'environment' })`.
 * Names are dotted; Prometheus sees `flagport_cache_hit_total{cache="environment"}`, StatsD
 * `<STATSD_PREFIX>.cache.hit.environment`. Tag values become label values and StatsD name segments, so keep them to
 * a small fixed set (never ids, keys or user input). Every call is a no-op when neither StatsD nor Prometheus is on.
 * Provided (and exported globally) by MetricsModule: inject it by class.
 */
export class MetricsService {
  constructor(
    private readonly registry: MetricsRegistry,
    /** False when neither StatsD nor Prometheus is configured. */
    readonly enabled: boolean,
  ) {}

  increment(name: string, tags?: Tags, value = 1): void {
    if (this.enabled) this.registry.increment(name, tags, value);
  }

  /** `increment(name, tags)` bound once, for hot paths (each call is one addition). */
  counter(name: string, tags?: Tags): (value?: number) => void {
    return this.enabled ? this.registry.counter(name, tags) : noop;
  }

  gauge(name: string, value: number, tags?: Tags): void {
    if (this.enabled) this.registry.gauge(name, value, tags);
  }

  /** A duration in milliseconds (Prometheus: a histogram in seconds, `flagport_<name>_seconds`). */
  timing(name: string, ms: number, tags?: Tags): void {
    if (this.enabled) this.registry.timing(name, ms, tags);
  }

  /** Help text shown in /metrics for `name`. */
  describe(name: string, help: string): void {
    this.registry.describe(name, help);
  }
}
