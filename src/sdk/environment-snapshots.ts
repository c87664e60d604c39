import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ChangeFeed } from '../changes/change-feed';
import { ENVIRONMENT_CHANGED_CHANNEL, IDENTITY_CHANGED_CHANNEL } from '../changes/channels';
import { CacheHealthRegistry } from '../cache/cache-health';
import { createSharedCache, SharedCache } from '../cache/shared-cache';
import { APP_CONFIG, AppConfig } from '../config';
import { EnvironmentChangesService, readIdentityChange } from '../environments/environment-changes.service';
import { MetricsService } from '../metrics/metrics.service';
import { EnvironmentCache } from './environment-cache';
import { EnvironmentDocumentRepository } from './environment-document.repository';
import { IdentityCache } from './identity-cache';

export { STALE_RETRY_MS, type ResolvedKey } from './environment-cache';

/** Identities cached per process (over all environments), see IdentityCache. */
export const IDENTITY_CACHE_MAX_ENTRIES = 50_000;

/**
 * The SDK's environment and identity caches (EnvironmentCache) wired to the application: the repository loads,
 * memcached is the shared second level (ENVIRONMENT_CACHE_BACKEND=memcached), metrics count hits and misses, and
 * invalidation comes from in-process events (EnvironmentChangesService) and the change feed (writes made by other
 * instances; after the feed's connection was lost everything is dropped, notifications may have been missed).
 * Identities: `flagport_identity_changed` (and in-process identity events) drop single identities.
 */
@Injectable()
export class EnvironmentSnapshots extends EnvironmentCache implements OnModuleInit, OnApplicationShutdown {
  private readonly shared: SharedCache | undefined;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    repository: EnvironmentDocumentRepository,
    private readonly changes: EnvironmentChangesService,
    private readonly feed: ChangeFeed,
    cacheHealth: CacheHealthRegistry,
    metrics: MetricsService,
  ) {
    const ttlMs = config.ENVIRONMENT_CACHE_SECONDS * 1000;
    const counter = (name: string, cache: string) => metrics.counter(name, { cache });
    // The in-process level is the memory cache; a shared second level only makes sense across processes.
    const shared =
      config.ENVIRONMENT_CACHE_BACKEND === 'memcached' && ttlMs > 0
        ? createSharedCache(
            'environment-documents',
            'memcached',
            config.ENVIRONMENT_CACHE_LOCATION,
            config.ENVIRONMENT_CACHE_SECONDS,
          )
        : undefined;
    super({
      ttlMs,
      loader: repository,
      secondLevel: shared,
      identities: new IdentityCache(ttlMs > 0 ? IDENTITY_CACHE_MAX_ENTRIES : 0, {
        hit: counter('cache.hit', 'identity'),
        miss: counter('cache.miss', 'identity'),
      }),
      counters: { hit: counter('cache.hit', 'environment'), miss: counter('cache.miss', 'environment') },
      log: new Logger('EnvironmentCache'),
    });
    this.shared = shared;
    cacheHealth.register(shared);
  }

  onModuleInit(): void {
    this.unsubscribe.push(
      this.changes.onChange((change) => this.invalidate(change.environmentIds)),
      this.changes.onIdentityChange((change) =>
        this.invalidateIdentities(change.environmentId, change.identifiers),
      ),
      this.feed.on(ENVIRONMENT_CHANGED_CHANNEL, (payload) => {
        const ids = environmentIdsOf(payload);
        if (ids === undefined) this.invalidateAll();
        else this.invalidate(ids);
      }),
      this.feed.on(IDENTITY_CHANGED_CHANNEL, (payload) => {
        const change = readIdentityChange(payload);
        if (change === undefined) this.identities.invalidateAll();
        else if (change.origin !== this.changes.instanceId)
          this.invalidateIdentities(change.environmentId, change.identifiers);
      }),
      this.feed.onResync(() => this.invalidateAll()),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
    await this.shared?.close();
  }
}

/**
 * Environment ids in a `flagport_environment_changed` payload (`{"environment_ids": [...], ...}`); undefined when
 * the payload cannot be read (then everything must be dropped).
 */
export function environmentIdsOf(payload: string): number[] | undefined {
  try {
    const parsed = JSON.parse(payload) as { environment_ids?: unknown } | null;
    if (!parsed || !Array.isArray(parsed.environment_ids)) return undefined;
    return parsed.environment_ids.filter((id): id is number => typeof id === 'number');
  } catch {
    return undefined;
  }
}
