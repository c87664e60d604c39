import type { Traits } from '../../libs/engine/src';
import type { EvaluatedFlags } from './remote-evaluation';
import type { StoredTrait } from './identity-store';

/** The identities endpoints' evaluation of a cached identity for one snapshot and kind of key. */
export interface RenderedIdentity {
  /** EnvironmentSnapshot.serial of the snapshot it was evaluated against. */
  readonly snapshot: number;
  readonly flags: EvaluatedFlags;
  /** ETag of the full GET /identities/ body, once computed. */
  etag: string | undefined;
}

/**
 * An identity as the SDK endpoints need it: database id and stored traits (id order), plus what is derived from
 * them once (the evaluation traits, the response `traits` JSON, the last evaluation per kind of key).
 */
export class CachedIdentity {
  private record: Traits | undefined;
  private json: string | undefined;
  /** [CLIENT, SERVER] */
  readonly rendered: [RenderedIdentity | undefined, RenderedIdentity | undefined] = [undefined, undefined];
  /** Second-chance bit of the eviction. */
  visited = false;

  constructor(
    readonly id: number,
    readonly traits: readonly StoredTrait[],
  ) {}

  get traitsRecord(): Traits {
    if (this.record === undefined) {
      const record = Object.create(null) as Record<string, StoredTrait['value']>;
      for (const t of this.traits) record[t.key] = t.value;
      this.record = record;
    }
    return this.record;
  }

  /** The stored traits as response items, joined with commas (no brackets). */
  get traitsJson(): string {
    if (this.json === undefined) {
      this.json = this.traits
        .map(
          (t) =>
            `{"id":${t.id},"trait_key":${JSON.stringify(t.key)},"trait_value":${JSON.stringify(t.value)},"transient":false}`,
        )
        .join(',');
    }
    return this.json;
  }
}

/** A cached fact that an identifier has no identity (yet). */
class Absent {
  visited = false;
}
type Slot = CachedIdentity | Absent;

interface EnvironmentBucket {
  readonly entries: Map<string, Slot>;
  /** identifier → clock of its last invalidation (only those after `floor`). */
  readonly invalidatedAt: Map<string, number>;
  /** Loads that began before this clock may not store (invalidations before it were forgotten). */
  floor: number;
}

/** Invalidation records kept per environment before they are folded into its floor. */
const MAX_INVALIDATION_RECORDS = 10_000;

export interface IdentityCacheCounters {
  hit(): void;
  miss(): void;
}

/**
 * The in-process identity cache of the SDK endpoints: per environment, identifier → identity (id, stored traits)
 * or "no such identity" (so a transient request for an unknown identifier costs no query). Bounded to
 * `maxEntries` over all environments (FIFO with a second chance for entries used since they were queued, i.e.
 * approximately least-recently-used).
 *
 * Invalidation is by identifier (trait and identity writes, from this process or — through NOTIFY — any other),
 * by environment (every change of the environment: identity overrides, admin writes) or everything. Loads are
 * guarded by a clock: take `begin()` before reading the database and `set(…, token)` stores only when no
 * invalidation of that identifier (or its environment) happened since, so a load that raced a write can never
 * leave its stale result behind.
 */
export class IdentityCache {
  private readonly buckets = new Map<number, EnvironmentBucket>();
  private readonly environmentFloor = new Map<number, number>();
  private clock = 0;
  private allFloor = 0;
  private count = 0;

  constructor(
    readonly maxEntries: number,
    private readonly counters?: IdentityCacheCounters,
  ) {}

  /** The cached identity, null when it is known not to exist, undefined when not cached. No I/O. */
  get(environmentId: number, identifier: string): CachedIdentity | null | undefined {
    const slot = this.buckets.get(environmentId)?.entries.get(identifier);
    if (slot === undefined) {
      this.counters?.miss();
      return undefined;
    }
    this.counters?.hit();
    slot.visited = true;
    return slot instanceof CachedIdentity ? slot : null;
  }

  /** Token for a load about to read the database. */
  begin(): number {
    return this.clock;
  }

  /** Stores a loaded identity (null = does not exist) unless it was invalidated after `token`. */
  set(environmentId: number, identifier: string, identity: CachedIdentity | null, token: number): boolean {
    if (this.maxEntries <= 0 || token < this.allFloor) return false;
    if (token < (this.environmentFloor.get(environmentId) ?? 0)) return false;
    const bucket = this.bucket(environmentId);
    if (token < bucket.floor || token < (bucket.invalidatedAt.get(identifier) ?? 0)) return false;
    const had = bucket.entries.delete(identifier);
    bucket.entries.set(identifier, identity ?? new Absent());
    if (!had) {
      this.count++;
      if (this.count > this.maxEntries) this.evict(bucket);
    }
    return true;
  }

  /** These identities changed (traits, created, deleted): drop them; loads in flight will not store. */
  invalidate(environmentId: number, identifiers: readonly string[]): void {
    const at = ++this.clock;
    const bucket = this.bucket(environmentId);
    for (const identifier of identifiers) {
      if (bucket.entries.delete(identifier)) this.count--;
      bucket.invalidatedAt.set(identifier, at);
    }
    if (bucket.invalidatedAt.size > MAX_INVALIDATION_RECORDS) {
      bucket.invalidatedAt.clear();
      bucket.floor = at;
    }
  }

  /** Every identity of the environment. */
  invalidateEnvironment(environmentId: number): void {
    const at = ++this.clock;
    this.environmentFloor.set(environmentId, at);
    const bucket = this.buckets.get(environmentId);
    if (bucket) {
      this.count -= bucket.entries.size;
      this.buckets.delete(environmentId);
    }
  }

  invalidateAll(): void {
    this.allFloor = ++this.clock;
    this.buckets.clear();
    this.environmentFloor.clear();
    this.count = 0;
  }

  get size(): number {
    return this.count;
  }

  private bucket(environmentId: number): EnvironmentBucket {
    let bucket = this.buckets.get(environmentId);
    if (bucket === undefined) {
      bucket = { entries: new Map(), invalidatedAt: new Map(), floor: 0 };
      this.buckets.set(environmentId, bucket);
    }
    return bucket;
  }

  /** Drops one entry: the oldest not used since it was queued (used ones are queued again). */
  private evict(preferred: EnvironmentBucket): void {
    const bucket = preferred.entries.size > 1 ? preferred : this.largestBucket();
    if (!bucket) return;
    const entries = bucket.entries;
    for (let guard = entries.size; guard >= 0; guard--) {
      const first = entries.entries().next();
      if (first.done) return;
      const [identifier, slot] = first.value;
      entries.delete(identifier);
      if (slot.visited && guard > 0) {
        slot.visited = false;
        entries.set(identifier, slot);
      } else {
        this.count--;
        return;
      }
    }
  }

  private largestBucket(): EnvironmentBucket | undefined {
    let best: EnvironmentBucket | undefined;
    for (const bucket of this.buckets.values()) {
      if (!best || bucket.entries.size > best.entries.size) best = bucket;
    }
    return best;
  }
}
