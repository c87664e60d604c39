import { ThrottleRate } from '../config/setting-types';
import { hitSlidingLog, ThrottleVerdict } from './sliding-log';
import { ThrottleStore } from './request-throttles.repository';

/** ThrottleStore in one process's memory, on a clock the caller controls (unit tests). */
export class InMemoryThrottles implements ThrottleStore {
  private readonly logs = new Map<string, { log: readonly number[]; expiresAt: number }>();
  prunes = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  hit(scope: string, ident: string, rate: ThrottleRate): Promise<ThrottleVerdict> {
    const key = JSON.stringify([scope, ident]);
    const now = this.clock();
    const { verdict, log } = hitSlidingLog(this.logs.get(key)?.log ?? [], now, rate);
    this.logs.set(key, { log, expiresAt: now + rate.seconds * 1000 });
    return Promise.resolve(verdict);
  }

  pruneExpired(): Promise<void> {
    this.prunes++;
    const now = this.clock();
    for (const [key, { expiresAt }] of this.logs) if (expiresAt < now) this.logs.delete(key);
    return Promise.resolve();
  }

  /** How many (scope, ident) logs are kept. */
  get size(): number {
    return this.logs.size;
  }
}
