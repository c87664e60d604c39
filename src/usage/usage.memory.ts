import { UsageBatch } from './usage-counters';
import { UsageStore } from './usage.repository';

/**
 * UsageStore in memory for unit tests: totals by "environment|resource|day" and "environment|day|feature".
 * `failWith` makes writes fail; `hold()` keeps the next writes pending until the returned release is called.
 */
export class InMemoryUsageStore implements UsageStore {
  readonly requests = new Map<string, number>();
  readonly evaluations = new Map<string, number>();
  writes = 0;
  failWith: Error | undefined;
  private gate: Promise<void> | undefined;

  hold(): () => void {
    let release!: () => void;
    this.gate = new Promise((resolve) => (release = resolve));
    return () => {
      this.gate = undefined;
      release();
    };
  }

  async add(batch: UsageBatch): Promise<void> {
    this.writes++;
    if (this.gate) await this.gate;
    if (this.failWith) throw this.failWith;
    for (const r of batch.requests) sum(this.requests, `${r.environmentId}|${r.resource}|${r.day}`, r.count);
    for (const e of batch.evaluations)
      sum(this.evaluations, `${e.environmentId}|${e.day}|${e.featureName}`, e.count);
  }
}

const sum = (map: Map<string, number>, key: string, n: number) => map.set(key, (map.get(key) ?? 0) + n);
