/**
 * In-process metrics shared by the Prometheus exposition and the StatsD client: HTTP requests per route pattern,
 * method and status; named counters, gauges and timings with tags (cache hits, …); gauges read on demand (database
 * pools). Recording is allocation-free after the first request of a series: lookups are by the route pattern string
 * Fastify already holds and a numeric method/status key.
 */

/** Prometheus' default histogram buckets, in seconds. */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Label used for requests that matched no route (404s, host rejections before routing). */
export const UNMATCHED_ROUTE = '<unmatched>';

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'OTHER'] as const;

/** Most timing samples kept per series between two StatsD flushes; beyond that only the count grows. */
const MAX_PENDING_TIMINGS = 1000;

export type Tags = Readonly<Record<string, string>>;

class Histogram {
  readonly buckets = new Float64Array(DURATION_BUCKETS_SECONDS.length);
  count = 0;
  sum = 0;

  observe(seconds: number): void {
    this.count++;
    this.sum += seconds;
    for (let i = 0; i < DURATION_BUCKETS_SECONDS.length; i++) {
      if (seconds <= DURATION_BUCKETS_SECONDS[i]) {
        this.buckets[i]++;
        return;
      }
    }
  }
}

/** One method + status of one route. */
class HttpSeries {
  readonly histogram = new Histogram();
  pendingCount = 0;
  readonly pendingTimingsMs: number[] = [];

  constructor(
    readonly method: string,
    readonly status: number,
  ) {}
}

class RouteEntry {
  readonly series = new Map<number, HttpSeries>();
  readonly promLabel: string;
  readonly statsdKey: string;

  constructor(readonly route: string) {
    this.promLabel = escapeLabelValue(route);
    this.statsdKey = statsdRouteKey(route);
  }
}

interface NamedSeries {
  readonly name: string;
  readonly tags: Tags;
  /** `{a="b",c="d"}` or '' */
  readonly promLabels: string;
  /** `name.b.d` */
  readonly statsdName: string;
}

interface CounterSeries extends NamedSeries {
  value: number;
  pending: number;
}

interface GaugeSeries extends NamedSeries {
  value: number;
}

interface TimingSeries extends NamedSeries {
  readonly histogram: Histogram;
  readonly pendingMs: number[];
}

export interface GaugeSample {
  readonly name: string;
  readonly tags: Tags;
  readonly value: number;
  readonly help?: string;
}

/** A function read at each scrape/flush that returns current values (e.g. database pool sizes). */
export type GaugeCollector = () => readonly GaugeSample[];

export interface RegistryOptions {
  /** Keep per-request samples for a StatsD flush (only when StatsD is on). */
  readonly keepStatsdSamples: boolean;
}

export class MetricsRegistry {
  private readonly routes = new Map<string, RouteEntry>();
  private readonly counters = new Map<string, CounterSeries>();
  private readonly gauges = new Map<string, GaugeSeries>();
  private readonly timings = new Map<string, TimingSeries>();
  private readonly collectors: GaugeCollector[] = [];
  private readonly help = new Map<string, string>();

  constructor(private readonly options: RegistryOptions) {}

  /** One answered HTTP request. `route` is the route pattern (`routeOptions.url`), undefined when none matched. */
  recordRequest(route: string | undefined, method: string, status: number, durationMs: number): void {
    const pattern = route ?? UNMATCHED_ROUTE;
    let entry = this.routes.get(pattern);
    if (entry === undefined) {
      entry = new RouteEntry(pattern);
      this.routes.set(pattern, entry);
    }
    const methodIndex = methodIndexOf(method);
    const key = status * 8 + methodIndex;
    let series = entry.series.get(key);
    if (series === undefined) {
      series = new HttpSeries(HTTP_METHODS[methodIndex], status);
      entry.series.set(key, series);
    }
    series.histogram.observe(durationMs / 1000);
    if (this.options.keepStatsdSamples) {
      series.pendingCount++;
      if (series.pendingTimingsMs.length < MAX_PENDING_TIMINGS) series.pendingTimingsMs.push(durationMs);
    }
  }

  increment(name: string, tags: Tags = NO_TAGS, value = 1): void {
    const key = seriesKey(name, tags);
    let series = this.counters.get(key);
    if (series === undefined) {
      series = { ...namedSeries(name, tags), value: 0, pending: 0 };
      this.counters.set(key, series);
    }
    series.value += value;
    if (this.options.keepStatsdSamples) series.pending += value;
  }

  /**
   * `increment` bound to one series, for hot paths: the series is looked up on the first call, every call after
   * that is an addition (no key string is built per call).
   */
  counter(name: string, tags: Tags = NO_TAGS): (value?: number) => void {
    let series: CounterSeries | undefined;
    return (value = 1) => {
      if (series === undefined) {
        const key = seriesKey(name, tags);
        series = this.counters.get(key);
        if (series === undefined) {
          series = { ...namedSeries(name, tags), value: 0, pending: 0 };
          this.counters.set(key, series);
        }
      }
      series.value += value;
      if (this.options.keepStatsdSamples) series.pending += value;
    };
  }

  gauge(name: string, value: number, tags: Tags = NO_TAGS): void {
    const key = seriesKey(name, tags);
    let series = this.gauges.get(key);
    if (series === undefined) {
      series = { ...namedSeries(name, tags), value };
      this.gauges.set(key, series);
    }
    series.value = value;
  }

  timing(name: string, ms: number, tags: Tags = NO_TAGS): void {
    const key = seriesKey(name, tags);
    let series = this.timings.get(key);
    if (series === undefined) {
      series = { ...namedSeries(name, tags), histogram: new Histogram(), pendingMs: [] };
      this.timings.set(key, series);
    }
    series.histogram.observe(ms / 1000);
    if (this.options.keepStatsdSamples && series.pendingMs.length < MAX_PENDING_TIMINGS)
      series.pendingMs.push(ms);
  }

  describe(name: string, help: string): void {
    this.help.set(name, help);
  }

  addCollector(collector: GaugeCollector): void {
    this.collectors.push(collector);
  }

  private collect(): GaugeSample[] {
    const samples: GaugeSample[] = [];
    for (const collector of this.collectors) {
      try {
        samples.push(...collector());
      } catch {
        // A collector that cannot read its source (e.g. a pool being closed) is skipped for this round.
      }
    }
    return samples;
  }

  /** The Prometheus text exposition (format 0.0.4) of everything recorded, plus `extra` (process metrics). */
  renderPrometheus(extra: readonly string[] = []): string {
    const out: string[] = [];

    if (this.routes.size > 0) {
      out.push(
        '# HELP flagport_http_requests_total HTTP requests answered, by route pattern, method and status.',
        '# TYPE flagport_http_requests_total counter',
      );
      for (const entry of this.routes.values()) {
        for (const s of entry.series.values()) {
          out.push(
            `flagport_http_requests_total{method="${s.method}",route="${entry.promLabel}",status="${s.status}"} ${s.histogram.count}`,
          );
        }
      }
      out.push(
        '# HELP flagport_http_request_duration_seconds Time from receiving a request to finishing its response.',
        '# TYPE flagport_http_request_duration_seconds histogram',
      );
      for (const entry of this.routes.values()) {
        for (const s of entry.series.values()) {
          renderHistogram(
            out,
            'flagport_http_request_duration_seconds',
            `method="${s.method}",route="${entry.promLabel}",status="${s.status}"`,
            s.histogram,
          );
        }
      }
    }

    for (const [name, group] of groupByName(this.counters.values())) {
      const metric = `${promName(name)}_total`;
      out.push(`# HELP ${metric} ${escapeHelp(this.help.get(name) ?? `Count of ${name}.`)}`);
      out.push(`# TYPE ${metric} counter`);
      for (const s of group) out.push(`${metric}${s.promLabels} ${formatNumber(s.value)}`);
    }

    for (const [name, group] of groupByName(this.timings.values())) {
      const metric = `${promName(name)}_seconds`;
      out.push(`# HELP ${metric} ${escapeHelp(this.help.get(name) ?? `Duration of ${name}.`)}`);
      out.push(`# TYPE ${metric} histogram`);
      for (const s of group) renderHistogram(out, metric, s.promLabels.slice(1, -1), s.histogram);
    }

    const gaugeSamples: NamedGauge[] = [...this.gauges.values()];
    for (const sample of this.collect()) {
      gaugeSamples.push({ ...namedSeries(sample.name, sample.tags), value: sample.value });
      if (sample.help) this.help.set(sample.name, sample.help);
    }
    for (const [name, group] of groupByName(gaugeSamples)) {
      const metric = promName(name);
      out.push(`# HELP ${metric} ${escapeHelp(this.help.get(name) ?? `Current ${name}.`)}`);
      out.push(`# TYPE ${metric} gauge`);
      for (const s of group) out.push(`${metric}${s.promLabels} ${formatNumber(s.value)}`);
    }

    out.push(...extra);
    return out.length > 0 ? `${out.join('\n')}\n` : '';
  }

  /**
   * StatsD lines for everything recorded since the last drain (counters as deltas, timings as samples, gauges as
   * current values), each prefixed with `prefix.`.
   */
  drainStatsd(prefix: string): string[] {
    const p = prefix ? `${prefix}.` : '';
    const lines: string[] = [];
    let total = 0;
    const byStatus = new Map<number, number>();
    for (const entry of this.routes.values()) {
      for (const s of entry.series.values()) {
        if (s.pendingCount === 0) continue;
        const name = `${entry.statsdKey}.${s.method}.${s.status}`;
        lines.push(`${p}http.requests.${name}:${s.pendingCount}|c`);
        for (const ms of s.pendingTimingsMs) lines.push(`${p}http.response_time.${name}:${formatMs(ms)}|ms`);
        total += s.pendingCount;
        byStatus.set(s.status, (byStatus.get(s.status) ?? 0) + s.pendingCount);
        s.pendingCount = 0;
        s.pendingTimingsMs.length = 0;
      }
    }
    // The names gunicorn's statsd instrumentation gives Flagsmith's API, so existing dashboards keep working.
    if (total > 0) {
      lines.push(`${p}gunicorn.requests:${total}|c`);
      for (const [status, n] of byStatus) lines.push(`${p}gunicorn.request.status.${status}:${n}|c`);
    }
    for (const s of this.counters.values()) {
      if (s.pending === 0) continue;
      lines.push(`${p}${s.statsdName}:${formatNumber(s.pending)}|c`);
      s.pending = 0;
    }
    for (const s of this.timings.values()) {
      for (const ms of s.pendingMs) lines.push(`${p}${s.statsdName}:${formatMs(ms)}|ms`);
      s.pendingMs.length = 0;
    }
    for (const s of this.gauges.values()) lines.push(`${p}${s.statsdName}:${formatNumber(s.value)}|g`);
    for (const sample of this.collect()) {
      lines.push(`${p}${namedSeries(sample.name, sample.tags).statsdName}:${formatNumber(sample.value)}|g`);
    }
    return lines;
  }
}

type NamedGauge = NamedSeries & { readonly value: number };

const NO_TAGS: Tags = Object.freeze({});

function methodIndexOf(method: string): number {
  switch (method) {
    case 'GET':
      return 0;
    case 'POST':
      return 1;
    case 'PUT':
      return 2;
    case 'PATCH':
      return 3;
    case 'DELETE':
      return 4;
    case 'HEAD':
      return 5;
    case 'OPTIONS':
      return 6;
    default:
      return 7;
  }
}

function seriesKey(name: string, tags: Tags): string {
  let key = name;
  for (const tag in tags) key += `\u0000${tag}\u0001${tags[tag]}`;
  return key;
}

function namedSeries(name: string, tags: Tags): NamedSeries {
  const labelPairs = Object.entries(tags).map(([k, v]) => `${labelName(k)}="${escapeLabelValue(v)}"`);
  const statsdParts = [statsdSegment(name), ...Object.values(tags).map(statsdSegment)];
  return {
    name,
    tags,
    promLabels: labelPairs.length > 0 ? `{${labelPairs.join(',')}}` : '',
    statsdName: statsdParts.join('.'),
  };
}

function groupByName<T extends NamedSeries>(series: Iterable<T>): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const s of series) {
    const group = groups.get(s.name);
    if (group) group.push(s);
    else groups.set(s.name, [s]);
  }
  return groups;
}

function renderHistogram(out: string[], metric: string, labels: string, h: Histogram): void {
  const sep = labels ? `${labels},` : '';
  let cumulative = 0;
  for (let i = 0; i < DURATION_BUCKETS_SECONDS.length; i++) {
    cumulative += h.buckets[i];
    out.push(`${metric}_bucket{${sep}le="${DURATION_BUCKETS_SECONDS[i]}"} ${cumulative}`);
  }
  out.push(`${metric}_bucket{${sep}le="+Inf"} ${h.count}`);
  const braces = labels ? `{${labels}}` : '';
  out.push(`${metric}_sum${braces} ${formatNumber(h.sum)}`);
  out.push(`${metric}_count${braces} ${h.count}`);
}

/** `cache.hit` → `flagport_cache_hit`; anything outside [a-zA-Z0-9_:] becomes `_`. */
export function promName(name: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  return name.startsWith('flagport_') ? cleaned : `flagport_${cleaned}`;
}

function labelName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_').replace(/^(\d)/, '_$1');
}

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** StatsD names cannot hold `:`, `|`, `@`, `/` or spaces; dots separate levels. */
function statsdSegment(value: string): string {
  return value.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** `/api/v1/environments/:environment_api_key/` → `api_v1_environments_environment_api_key`. */
export function statsdRouteKey(route: string): string {
  if (route === UNMATCHED_ROUTE) return 'unmatched';
  const key = route
    .replace(/^\/+|\/+$/g, '')
    .replace(/[/.]+/g, '_')
    .replace(/[^A-Za-z0-9_-]/g, '');
  return key || 'root';
}

export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

function formatMs(ms: number): string {
  return String(Math.round(ms * 1000) / 1000);
}
