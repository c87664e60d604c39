import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ChangeFeed } from '../changes/change-feed';
import { ENVIRONMENT_CHANGED_CHANNEL, IDENTITY_CHANGED_CHANNEL } from '../changes/channels';
import { CacheHealthRegistry } from '../cache/cache-health';
import { createSharedCache, SharedCache } from '../cache/shared-cache';
import { APP_CONFIG, AppConfig } from '../config';
import { EnvironmentChangesService, readIdentityChange } from '../environments/environment-changes.service';
import { MetricsService } from '../metrics/metrics.service';
import { EnvironmentDocumentRepository } from './environment-document.repository';
import { EnvironmentSnapshot } from './environment-snapshot';
import { IdentityCache } from './identity-cache';
import type { EnvironmentSource, KeyOrigin, KeyRow } from './sdk.types';

/** A key the SDK presented, resolved to its environment's snapshot. */
export interface ResolvedKey {
  readonly key: string;
  readonly origin: KeyOrigin;
  readonly snapshot: EnvironmentSnapshot;
  /** The server-side key's own expiry (epoch ms), checked on every request; null = never. */
  readonly keyExpiresAt: number | null;
}

/** Identities cached per process (over all environments), see IdentityCache. */
export const IDENTITY_CACHE_MAX_ENTRIES = 50_000;

/** After a refresh failed, the stale snapshot is served this long before the database is tried again. */
export const STALE_RETRY_MS = 2000;

/** An expired entry kept to answer with while its refresh fails (see `resolve`). */
interface StaleEntry {
  readonly resolved: ResolvedKey;
  /** Served without trying the database until then (epoch ms); 0 = not failed yet. */
  retryAt: number;
}

/**
 * The in-process cache of environments by SDK key (spec: ENVIRONMENT_CACHE_*), and of identities (`identities`).
 *
 * - `lookup(key)` is synchronous and touches no database: the hot path of every SDK request.
 * - `resolve(key)` on a miss: one indexed key query, then the environment's snapshot — from this process if it is
 *   still the current version, else from the shared second level (memcached, keyed by environment id AND version
 *   `updated_at`, so a stale entry can never be read), else built from the database (a fixed number of queries).
 *   Concurrent misses for one key share one resolution.
 * - Invalidation: in-process events from EnvironmentChangesService, and the change feed
 *   (`flagport_environment_changed`) for writes made by other instances. Every invalidation advances a clock and records it per environment: a build
 *   that started before an invalidation of its environment is served to the requests that were waiting for it but
 *   never kept, and requests that arrive after an invalidation never join a build that started before it. After
 *   the feed's connection was lost everything is dropped (notifications may have been missed).
 * - Identities: `flagport_identity_changed` (and in-process identity events) drop single identities; an
 *   environment invalidation drops all of its identities.
 * - Database unreachable: a key whose snapshot expired keeps being served from it (stale) while its refresh
 *   fails, tried again every STALE_RETRY_MS; logged once per outage (see `resolve`).
 * - ENVIRONMENT_CACHE_SECONDS = 0 turns the cache off: every request resolves from the database.
 */
@Injectable()
export class EnvironmentSnapshots implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('EnvironmentCache');
  private readonly byKey = new Map<string, ResolvedKey>();
  private readonly byEnvironment = new Map<number, EnvironmentSnapshot>();
  private readonly keysOf = new Map<number, Set<string>>();
  private readonly inflight = new Map<string, Promise<ResolvedKey | undefined>>();
  /** Invalidation clock: bumped on every invalidation; per environment, the clock of its last one. */
  private clock = 0;
  private readonly invalidatedAt = new Map<number, number>();
  private allInvalidatedAt = 0;
  private readonly ttlMs: number;
  readonly secondLevel: SharedCache | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly builtListeners = new Set<(snapshot: EnvironmentSnapshot) => void>();
  /** Identities of every environment (bounded, invalidated with their environment and by identity changes). */
  readonly identities: IdentityCache;
  private readonly hit: () => void;
  private readonly miss: () => void;
  /** Keys whose snapshot expired, by key: what to serve if the refresh fails (the database is unreachable). */
  private readonly stale = new Map<string, StaleEntry>();
  /** Stale answers since the database last failed a refresh; undefined while refreshes succeed. */
  private staleServed: number | undefined;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly repository: EnvironmentDocumentRepository,
    private readonly changes: EnvironmentChangesService,
    private readonly feed: ChangeFeed,
    cacheHealth: CacheHealthRegistry,
    metrics: MetricsService,
  ) {
    this.ttlMs = config.ENVIRONMENT_CACHE_SECONDS * 1000;
    const counter = (name: string, cache: string) => metrics.counter(name, { cache });
    this.hit = counter('cache.hit', 'environment');
    this.miss = counter('cache.miss', 'environment');
    const identityHit = counter('cache.hit', 'identity');
    const identityMiss = counter('cache.miss', 'identity');
    this.identities = new IdentityCache(this.ttlMs > 0 ? IDENTITY_CACHE_MAX_ENTRIES : 0, {
      hit: identityHit,
      miss: identityMiss,
    });
    // The in-process level is the memory cache; a shared second level only makes sense across processes.
    this.secondLevel =
      config.ENVIRONMENT_CACHE_BACKEND === 'memcached' && this.ttlMs > 0
        ? createSharedCache(
            'environment-documents',
            'memcached',
            config.ENVIRONMENT_CACHE_LOCATION,
            config.ENVIRONMENT_CACHE_SECONDS,
          )
        : undefined;
    cacheHealth.register(this.secondLevel);
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
    await this.secondLevel?.close();
  }

  /** Cached resolution of a key, or undefined (then call `resolve`). No I/O. */
  lookup(key: string, now: number): ResolvedKey | undefined {
    const entry = this.byKey.get(key);
    if (entry !== undefined) {
      const keyValid = entry.keyExpiresAt === null || entry.keyExpiresAt > now;
      if (entry.snapshot.isFresh(now) && keyValid) {
        this.hit();
        return entry;
      }
      this.forgetKey(key, entry.snapshot.environmentId);
      if (keyValid) this.stale.set(key, { resolved: entry, retryAt: 0 });
    } else if (this.stale.size !== 0) {
      const stale = this.stale.get(key);
      if (stale !== undefined && stale.retryAt > now && this.servable(stale.resolved, now)) {
        this.hit();
        if (this.staleServed !== undefined) this.staleServed++;
        return stale.resolved;
      }
    }
    this.miss();
    return undefined;
  }

  /**
   * Resolves a key from the database (and caches it); undefined for unknown, inactive or expired keys. Concurrent
   * callers share one resolution, but only one that started after the last invalidation (see `invalidate`).
   * When the database fails a refresh of a key whose snapshot expired, the expired snapshot is served (stale)
   * and the database is tried again after STALE_RETRY_MS; a key never cached has nothing to fall back on.
   */
  resolve(key: string): Promise<ResolvedKey | undefined> {
    let pending = this.inflight.get(key);
    if (pending === undefined) {
      const started = this.resolveUncached(key).then(
        (resolved) => this.refreshed(key, resolved),
        (err: unknown) => this.refreshFailed(key, err),
      );
      pending = started.finally(() => {
        if (this.inflight.get(key) === pending) this.inflight.delete(key);
      });
      this.inflight.set(key, pending);
    }
    return pending;
  }

  /** Drop these identities of an environment (null: all of them). */
  invalidateIdentities(environmentId: number, identifiers: readonly string[] | null): void {
    if (identifiers === null) this.identities.invalidateEnvironment(environmentId);
    else this.identities.invalidate(environmentId, identifiers);
  }

  /** The snapshot for a key: cached, or resolved. */
  async get(key: string): Promise<ResolvedKey | undefined> {
    return this.lookup(key, Date.now()) ?? (await this.resolve(key));
  }

  /** Called with every snapshot built or loaded (e.g. to warm a response cache). */
  onSnapshot(listener: (snapshot: EnvironmentSnapshot) => void): void {
    this.builtListeners.add(listener);
  }

  invalidate(environmentIds: readonly number[]): void {
    if (environmentIds.length === 0) return;
    const at = ++this.clock;
    // Resolutions in flight started before this change: later requests must not join them.
    this.inflight.clear();
    if (this.stale.size !== 0) {
      for (const [key, entry] of this.stale)
        if (environmentIds.includes(entry.resolved.snapshot.environmentId)) this.stale.delete(key);
    }
    for (const id of environmentIds) {
      this.identities.invalidateEnvironment(id);
      this.invalidatedAt.set(id, at);
      this.byEnvironment.delete(id);
      const keys = this.keysOf.get(id);
      if (keys) for (const key of keys) this.byKey.delete(key);
      this.keysOf.delete(id);
    }
    // Keep the clock map small: folding it into the "everything" mark only makes running resolutions not store.
    if (this.invalidatedAt.size > 10_000) {
      this.invalidatedAt.clear();
      this.allInvalidatedAt = at;
    }
  }

  invalidateAll(): void {
    this.allInvalidatedAt = ++this.clock;
    this.inflight.clear();
    this.identities.invalidateAll();
    this.stale.clear();
    this.byEnvironment.clear();
    this.byKey.clear();
    this.keysOf.clear();
  }

  /** Number of environments cached in this process. */
  get size(): number {
    return this.byEnvironment.size;
  }

  private servable(resolved: ResolvedKey, now: number): boolean {
    return resolved.keyExpiresAt === null || resolved.keyExpiresAt > now;
  }

  private refreshed(key: string, resolved: ResolvedKey | undefined): ResolvedKey | undefined {
    if (this.stale.size !== 0) this.stale.delete(key);
    if (this.staleServed !== undefined) {
      this.logger.warn(
        `the database answers again: cached environments are refreshed (${this.staleServed} stale answer(s) served meanwhile)`,
      );
      this.staleServed = undefined;
    }
    return resolved;
  }

  /** A failed resolution: the key's expired snapshot if it has one (logged once per outage), else the error. */
  private refreshFailed(key: string, err: unknown): ResolvedKey {
    const now = Date.now();
    const stale = this.stale.get(key);
    if (stale === undefined || !this.servable(stale.resolved, now)) throw err;
    stale.retryAt = now + STALE_RETRY_MS;
    if (this.staleServed === undefined) {
      this.staleServed = 0;
      this.logger.warn(
        `cannot refresh cached environments (${err instanceof Error ? err.message : String(err)}): serving them stale until the database answers`,
      );
    }
    this.staleServed++;
    return stale.resolved;
  }

  private unchangedSince(environmentId: number, started: number): boolean {
    return this.allInvalidatedAt <= started && (this.invalidatedAt.get(environmentId) ?? 0) <= started;
  }

  private async resolveUncached(key: string): Promise<ResolvedKey | undefined> {
    const started = this.clock;
    const row = await this.repository.findKey(key);
    const now = Date.now();
    if (!row || !row.active || (row.expiresAt !== null && row.expiresAt <= now)) return undefined;
    const snapshot = await this.snapshotFor(row, started, now);
    if (!snapshot) return undefined;
    const resolved: ResolvedKey = {
      key,
      origin: key.startsWith('ser.') ? 'SERVER' : 'CLIENT',
      snapshot,
      keyExpiresAt: row.expiresAt,
    };
    if (this.ttlMs > 0 && this.unchangedSince(row.environmentId, started)) {
      this.byKey.set(key, resolved);
      let keys = this.keysOf.get(row.environmentId);
      if (!keys) this.keysOf.set(row.environmentId, (keys = new Set()));
      keys.add(key);
    }
    return resolved;
  }

  private async snapshotFor(
    row: KeyRow,
    started: number,
    now: number,
  ): Promise<EnvironmentSnapshot | undefined> {
    const current = this.byEnvironment.get(row.environmentId);
    if (current && current.version === row.version && current.isFresh(now)) return current;

    const l2Key = `${row.environmentId}:${row.version}`;
    let source: EnvironmentSource | undefined;
    const cached = this.secondLevel ? await this.secondLevel.get(l2Key) : undefined;
    if (cached !== undefined) {
      try {
        source = JSON.parse(cached) as EnvironmentSource;
      } catch {
        source = undefined;
      }
    }
    if (source === undefined || (source.nextLiveFrom !== null && source.nextLiveFrom <= now)) {
      source = await this.repository.load(row.environmentId);
      if (!source) return undefined;
      if (this.secondLevel)
        await this.secondLevel.set(`${source.environmentId}:${source.version}`, JSON.stringify(source));
    }
    const snapshot = new EnvironmentSnapshot(source, this.ttlMs);
    if (this.ttlMs > 0 && this.unchangedSince(row.environmentId, started)) {
      this.byEnvironment.set(row.environmentId, snapshot);
    }
    for (const listener of this.builtListeners) listener(snapshot);
    return snapshot;
  }

  private forgetKey(key: string, environmentId: number): void {
    this.byKey.delete(key);
    this.keysOf.get(environmentId)?.delete(key);
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
