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

/** After a refresh failed, the stale snapshot is served this long before the database is tried again. */
export const STALE_RETRY_MS = 2000;

/** An expired entry kept to answer with while its refresh fails (see `resolve`). */
interface StaleEntry {
  readonly resolved: ResolvedKey;
  /** Served without trying the database until then (epoch ms); 0 = not failed yet. */
  retryAt: number;
}

/** Where snapshots come from on a miss (EnvironmentDocumentRepository; an in-memory fake in tests). */
export interface SnapshotLoader {
  /** The key's environment and version, one indexed query. */
  findKey(key: string): Promise<KeyRow | undefined>;
  /** Everything the snapshot is built from. */
  load(environmentId: number): Promise<EnvironmentSource | undefined>;
}

/** The shared second level (SharedCache on memcached; a Map in tests): string values by key. */
export interface SecondLevelCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

export interface EnvironmentCacheOptions {
  /** ENVIRONMENT_CACHE_SECONDS in ms; 0 = nothing is kept (every request resolves). */
  readonly ttlMs: number;
  readonly loader: SnapshotLoader;
  readonly secondLevel?: SecondLevelCache;
  readonly identities: IdentityCache;
  readonly counters?: { readonly hit: () => void; readonly miss: () => void };
  readonly log: { warn(message: string): void };
  /** Epoch ms for resolutions (lookups are given `now` by their caller). */
  readonly clock?: () => number;
}

const noop = (): void => undefined;

/**
 * The in-process cache of environments by SDK key (spec: ENVIRONMENT_CACHE_*), and of identities (`identities`):
 * the whole state machine, with no framework or database of its own (EnvironmentSnapshots wires it to Nest, the
 * repository, memcached and the change notifications; tests give it in-memory fakes).
 *
 * - `lookup(key)` is synchronous and touches no database: the hot path of every SDK request.
 * - `resolve(key)` on a miss: one indexed key query, then the environment's snapshot — from this process if it is
 *   still the current version, else from the shared second level (keyed by environment id AND version
 *   `updated_at`, so a stale entry can never be read), else built from the loader. Concurrent misses for one key
 *   share one resolution.
 * - Invalidation (`invalidate`, `invalidateAll`, `invalidateIdentities`): every invalidation advances a clock and
 *   records it per environment: a build that started before an invalidation of its environment is served to the
 *   requests that were waiting for it but never kept, and requests that arrive after an invalidation never join
 *   a build that started before it. An environment invalidation drops all of its identities.
 * - Loader failing: a key whose snapshot expired keeps being served from it (stale) while its refresh fails,
 *   tried again every STALE_RETRY_MS; logged once per outage (see `resolve`).
 * - ttlMs = 0 turns the cache off: every request resolves from the loader.
 */
export class EnvironmentCache {
  private readonly byKey = new Map<string, ResolvedKey>();
  private readonly byEnvironment = new Map<number, EnvironmentSnapshot>();
  private readonly keysOf = new Map<number, Set<string>>();
  private readonly inflight = new Map<string, Promise<ResolvedKey | undefined>>();
  /** Invalidation clock: bumped on every invalidation; per environment, the clock of its last one. */
  private clock = 0;
  private readonly invalidatedAt = new Map<number, number>();
  private allInvalidatedAt = 0;
  private readonly ttlMs: number;
  private readonly loader: SnapshotLoader;
  private readonly secondLevel: SecondLevelCache | undefined;
  private readonly log: { warn(message: string): void };
  private readonly now: () => number;
  private readonly builtListeners = new Set<(snapshot: EnvironmentSnapshot) => void>();
  /** Identities of every environment (bounded, invalidated with their environment and by identity changes). */
  readonly identities: IdentityCache;
  private readonly hit: () => void;
  private readonly miss: () => void;
  /** Keys whose snapshot expired, by key: what to serve if the refresh fails (the database is unreachable). */
  private readonly stale = new Map<string, StaleEntry>();
  /** Stale answers since the database last failed a refresh; undefined while refreshes succeed. */
  private staleServed: number | undefined;

  constructor(options: EnvironmentCacheOptions) {
    this.ttlMs = options.ttlMs;
    this.loader = options.loader;
    this.secondLevel = options.secondLevel;
    this.identities = options.identities;
    this.hit = options.counters?.hit ?? noop;
    this.miss = options.counters?.miss ?? noop;
    this.log = options.log;
    this.now = options.clock ?? Date.now;
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
    return this.lookup(key, this.now()) ?? (await this.resolve(key));
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
      this.log.warn(
        `the database answers again: cached environments are refreshed (${this.staleServed} stale answer(s) served meanwhile)`,
      );
      this.staleServed = undefined;
    }
    return resolved;
  }

  /** A failed resolution: the key's expired snapshot if it has one (logged once per outage), else the error. */
  private refreshFailed(key: string, err: unknown): ResolvedKey {
    const now = this.now();
    const stale = this.stale.get(key);
    if (stale === undefined || !this.servable(stale.resolved, now)) throw err;
    stale.retryAt = now + STALE_RETRY_MS;
    if (this.staleServed === undefined) {
      this.staleServed = 0;
      this.log.warn(
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
    const row = await this.loader.findKey(key);
    const now = this.now();
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
      source = await this.loader.load(row.environmentId);
      if (!source) return undefined;
      if (this.secondLevel)
        await this.secondLevel.set(`${source.environmentId}:${source.version}`, JSON.stringify(source));
    }
    const snapshot = new EnvironmentSnapshot(source, this.ttlMs, now);
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
