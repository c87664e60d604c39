import { Inject, Injectable } from '@nestjs/common';
import { ThrottleRate } from '../config/setting-types';
import { THROTTLE_STORE, ThrottleStore } from './request-throttles.repository';
import { ALLOWED, MAX_IDENT_LENGTH, ThrottleVerdict } from './sliding-log';

/** Expired throttle logs are deleted at most this often per instance. */
export const PRUNE_INTERVAL_MS = 10 * 60_000;

/**
 * DRF's SimpleRateThrottle (sliding log, sliding-log.ts) with the log in a shared store, so that a limit holds
 * across every instance on the database rather than per process (Flagsmith's default throttle cache is
 * per-process LocMemCache). Callers map a refusal to HTTP (429 with Retry-After, ThrottledException).
 */
@Injectable()
export class RequestThrottleService {
  private prunedAt = Date.now();

  constructor(@Inject(THROTTLE_STORE) private readonly store: ThrottleStore) {}

  /** Counts one request of `ident` against `rate` in `scope`. No rate = no throttle. */
  async hit(scope: string, ident: string, rate: ThrottleRate | undefined): Promise<ThrottleVerdict> {
    if (!rate) return ALLOWED;
    const verdict = await this.store.hit(scope, ident.slice(0, MAX_IDENT_LENGTH), rate);
    this.pruneNowAndThen();
    return verdict;
  }

  private pruneNowAndThen(): void {
    if (Date.now() - this.prunedAt < PRUNE_INTERVAL_MS) return;
    this.prunedAt = Date.now();
    this.store.pruneExpired().catch(() => undefined);
  }
}
