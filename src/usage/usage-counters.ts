import type { InfluxPoint } from './influx-writer';
import { USAGE_RESOURCES, type UsageResource } from './usage.entity';

/** Distinct counters kept between flushes; beyond it a flush should start early, beyond twice it counts are dropped. */
export const USAGE_MAX_KEYS = 10_000;

const DAY_MS = 86_400_000;

const RESOURCE_INDEX: Readonly<Record<UsageResource, number>> = Object.fromEntries(
  USAGE_RESOURCES.map((resource, index) => [resource, index]),
) as Record<UsageResource, number>;

export interface RequestCount {
  readonly environmentId: number;
  readonly resource: UsageResource;
  /** UTC day, YYYY-MM-DD. */
  readonly day: string;
  readonly count: number;
}

export interface EvaluationCount {
  readonly environmentId: number;
  readonly featureName: string;
  readonly day: string;
  readonly count: number;
}

/** Counts taken out of the counters for one write. */
export interface UsageBatch {
  readonly requests: readonly RequestCount[];
  readonly evaluations: readonly EvaluationCount[];
}

type Counted<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The in-memory counters of SDK requests and flag evaluations, keyed by (environment, resource|feature, UTC day),
 * with `now` (epoch ms) passed in: no clock, no timer, no I/O. Counting a request is one map lookup and an
 * increment. Memory is bounded: at most `maxKeys` environments per day in the request table, at most twice
 * `maxKeys` keys in the others; `full` says when a flush should start early.
 */
export class UsageCounters {
  /**
   * The current day's request counts, environment id → count per resource (USAGE_RESOURCES order). Folded into
   * `requests` when the day changes and at each take().
   */
  private today = new Map<number, number[]>();
  private requests = new Map<string, Counted<RequestCount>>();
  private evaluations = new Map<string, Counted<EvaluationCount>>();
  private dayStart = 0;
  private dayEnd = 0;
  private day = '';

  constructor(private readonly maxKeys = USAGE_MAX_KEYS) {}

  /** Counts one request; false when it is a new environment and the day's table is full (not counted). */
  countRequest(environmentId: number, resource: UsageResource, now: number): boolean {
    if (now < this.dayStart || now >= this.dayEnd) this.startDay(now);
    let counts = this.today.get(environmentId);
    if (counts === undefined) {
      if (this.today.size >= this.maxKeys) return false;
      counts = new Array<number>(USAGE_RESOURCES.length).fill(0);
      this.today.set(environmentId, counts);
    }
    counts[RESOURCE_INDEX[resource]]++;
    return true;
  }

  /**
   * Adds SDK-reported evaluation counts; unknown features and counts that are not positive safe integers are
   * ignored. False when some were dropped because the counters are full.
   */
  countEvaluations(
    environmentId: number,
    counts: Readonly<Record<string, unknown>>,
    known: ReadonlySet<string>,
    now: number,
  ): boolean {
    if (now < this.dayStart || now >= this.dayEnd) this.startDay(now);
    let kept = true;
    for (const [featureName, count] of Object.entries(counts)) {
      if (!known.has(featureName) || typeof count !== 'number' || !Number.isSafeInteger(count) || count <= 0)
        continue;
      kept = this.addEvaluation({ environmentId, featureName, day: this.day, count }) && kept;
    }
    return kept;
  }

  /** Whether a table has reached `maxKeys` keys: flush now rather than at the next interval. */
  get full(): boolean {
    return (
      this.today.size >= this.maxKeys ||
      this.requests.size >= this.maxKeys ||
      this.evaluations.size >= this.maxKeys
    );
  }

  /** Takes every count out of the counters (null when there are none); they start again from zero. */
  take(): UsageBatch | null {
    this.foldToday();
    if (this.requests.size === 0 && this.evaluations.size === 0) return null;
    const batch = { requests: [...this.requests.values()], evaluations: [...this.evaluations.values()] };
    this.requests = new Map();
    this.evaluations = new Map();
    return batch;
  }

  /** Puts back a batch whose write failed, summed with whatever was counted since (within the bounds). */
  restore(batch: UsageBatch): void {
    for (const row of batch.requests) this.addRequest({ ...row });
    for (const row of batch.evaluations) this.addEvaluation({ ...row });
  }

  private startDay(now: number): void {
    this.foldToday();
    this.dayStart = now - (now % DAY_MS);
    this.dayEnd = this.dayStart + DAY_MS;
    this.day = new Date(this.dayStart).toISOString().slice(0, 10);
  }

  private foldToday(): void {
    if (this.today.size === 0) return;
    const today = this.today;
    this.today = new Map();
    for (const [environmentId, counts] of today) {
      counts.forEach((count, i) => {
        if (count > 0) this.addRequest({ environmentId, resource: USAGE_RESOURCES[i], day: this.day, count });
      });
    }
  }

  private addRequest(row: Counted<RequestCount>): boolean {
    return this.add(this.requests, `${row.environmentId}|${row.resource}|${row.day}`, row);
  }

  private addEvaluation(row: Counted<EvaluationCount>): boolean {
    return this.add(this.evaluations, `${row.environmentId}|${row.day}|${row.featureName}`, row);
  }

  private add<T extends { count: number }>(map: Map<string, T>, key: string, row: T): boolean {
    const current = map.get(key);
    if (current !== undefined) {
      current.count += row.count;
      return true;
    }
    if (map.size >= this.maxKeys * 2) return false;
    map.set(key, row);
    return true;
  }
}

/** The InfluxDB points of a written batch: `api_call` and `feature_evaluation`, field `request_count`. */
export function usagePoints(batch: UsageBatch, timestampSeconds: number): InfluxPoint[] {
  return [
    ...batch.requests.map((r) => ({
      measurement: 'api_call',
      tags: { environment_id: r.environmentId, resource: r.resource },
      field: 'request_count',
      value: r.count,
      timestampSeconds,
    })),
    ...batch.evaluations.map((e) => ({
      measurement: 'feature_evaluation',
      tags: { environment_id: e.environmentId, feature_id: e.featureName },
      field: 'request_count',
      value: e.count,
      timestampSeconds,
    })),
  ];
}
