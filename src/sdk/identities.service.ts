import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '../common/unit-of-work';
import type { DocumentSegment, Traits } from '../../libs/engine/src';
import {
  EnvironmentChangesService,
  IDENTITY_CHANGED_CHANNEL,
  identityChangePayload,
} from '../environments/environment-changes.service';
import type { EnvironmentSnapshot } from './environment-snapshot';
import { EnvironmentSnapshots } from './environment-snapshots';
import { CachedIdentity, type RenderedIdentity } from './identity-cache';
import { IdentityStore, StoredValue, traitsUnchanged } from './identity-store';
import type { EvaluatedFlags } from './remote-evaluation';
import type { TraitInput } from './sdk-input';
import type { KeyOrigin } from './sdk.types';

/** A trait in an identities response. */
export interface ResponseTrait {
  readonly id: number | null;
  readonly key: string;
  readonly value: StoredValue;
  readonly transient: boolean;
}

export interface IdentityResult {
  readonly identifier: string;
  readonly flags: EvaluatedFlags;
  /** The response `traits` items, joined with commas (no brackets). */
  readonly traitsJson: string;
  /** Set when the result is a cached identity's stored-trait evaluation: its ETag can be kept there. */
  readonly rendered?: RenderedIdentity;
}

/** Python's str() of a trait value, for the fully transient identifier hash. */
function pyStr(value: string | number | boolean): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return String(value);
}

/** docs/contracts/sdk-api.md §3 mode 1: sha256 of `trait_key + str(value)` over the non-null traits sorted by key; else a uuid4 hex. */
export function transientIdentifier(traits: readonly TraitInput[]): string {
  const present = traits.filter(
    (t): t is TraitInput & { value: string | number | boolean } => t.value !== null,
  );
  if (present.length === 0) return randomUUID().replace(/-/g, '');
  const sorted = [...present].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return createHash('sha256')
    .update(sorted.map((t) => t.key + pyStr(t.value)).join(''))
    .digest('hex');
}

function traitItem(t: ResponseTrait): string {
  return `{"id":${t.id === null ? 'null' : t.id},"trait_key":${JSON.stringify(t.key)},"trait_value":${JSON.stringify(t.value)},"transient":${t.transient}}`;
}

/** Stored traits (as cached) with incoming ones laid over (incoming wins; null removes). */
function overlay(
  stored: CachedIdentity | null,
  incoming: readonly TraitInput[],
  allTransient: boolean,
): { traits: Traits; json: string } {
  const byKey = new Map<string, ResponseTrait>();
  if (stored) for (const t of stored.traits) byKey.set(t.key, { ...t, transient: false });
  for (const input of incoming) {
    if (input.value === null) byKey.delete(input.key);
    else
      byKey.set(input.key, {
        id: null,
        key: input.key,
        value: input.value,
        transient: allTransient || input.transient,
      });
  }
  const traits = Object.create(null) as Record<string, StoredValue>;
  const items: string[] = [];
  for (const t of byKey.values()) {
    traits[t.key] = t.value;
    items.push(traitItem(t));
  }
  return { traits, json: items.join(',') };
}

/**
 * Identity evaluation for GET/POST /api/v1/identities/ and the deprecated identity endpoints (docs/contracts/sdk-api.md §2,
 * §3): identities (id, stored traits) from the in-process identity cache — a cached identity costs no query, an
 * unknown identifier is remembered as such — flags from the environment's snapshot. A cached identity's
 * evaluation with its stored traits is kept per snapshot and kind of key, so a repeated GET only concatenates
 * flag objects. Writes report themselves (`identityChanged`) so that every instance drops the identity.
 */
/** SDK identity and trait writes: Flagsmith audits none of them; their change event is identitiesChanged. */
const SDK_WRITE = { unaudited: 'SDK identity and trait writes are not audited, as in Flagsmith' } as const;

@Injectable()
export class IdentitiesService {
  constructor(
    private readonly store: IdentityStore,
    private readonly snapshots: EnvironmentSnapshots,
    private readonly changes: EnvironmentChangesService,
    private readonly uow: UnitOfWork,
  ) {}

  /** GET /identities/: get-or-create (or a transient in-memory identity), evaluated with its stored traits. */
  async get(
    snapshot: EnvironmentSnapshot,
    origin: KeyOrigin,
    identifier: string,
    transient: boolean,
  ): Promise<IdentityResult> {
    if (transient) {
      return { identifier, flags: snapshot.evaluateIdentity(identifier, null, {}, origin), traitsJson: '' };
    }
    const identity = await this.identity(snapshot.environmentId, identifier, true);
    return this.rendered(snapshot, origin, identifier, identity);
  }

  /** The deprecated identity endpoints: flags (get-or-create), stored traits and the identity's segments. */
  async withSegments(
    snapshot: EnvironmentSnapshot,
    origin: KeyOrigin,
    identifier: string,
  ): Promise<IdentityResult & { segments: DocumentSegment[] }> {
    const identity = await this.identity(snapshot.environmentId, identifier, true);
    const segments: DocumentSegment[] = [];
    const flags = snapshot.evaluateIdentity(identifier, identity.id, identity.traitsRecord, origin, segments);
    return { identifier, flags, traitsJson: identity.traitsJson, segments };
  }

  /** POST /identities/: the three modes of docs/contracts/sdk-api.md §3. */
  async identify(
    snapshot: EnvironmentSnapshot,
    origin: KeyOrigin,
    identifierIn: string | undefined,
    incomingIn: readonly TraitInput[],
    transient: boolean,
  ): Promise<IdentityResult> {
    const incoming = origin === 'CLIENT' && !snapshot.allowClientTraits ? [] : incomingIn;
    const environmentId = snapshot.environmentId;

    // 1. No identifier: fully transient, nothing read or written.
    if (identifierIn === undefined) {
      const identifier = transientIdentifier(incoming);
      const { traits, json } = overlay(null, incoming, true);
      return {
        identifier,
        flags: snapshot.evaluateIdentity(identifier, null, traits, origin),
        traitsJson: json,
      };
    }
    const identifier = identifierIn;

    // 2. transient: the stored identity (if any) with the incoming traits overlaid, nothing written.
    if (transient) {
      const identity = await this.identity(environmentId, identifier, false);
      const { traits, json } = overlay(identity, incoming, true);
      return {
        identifier,
        flags: snapshot.evaluateIdentity(identifier, identity?.id ?? null, traits, origin),
        traitsJson: json,
      };
    }

    // 3. Normal: get-or-create; persist non-transient traits when the organisation allows it.
    const persisted = snapshot.persistTraitData ? incoming.filter((t) => !t.transient) : [];
    const memoryOnly = snapshot.persistTraitData ? incoming.filter((t) => t.transient) : incoming;
    let identity: CachedIdentity;
    const cached =
      persisted.length > 0 ? this.snapshots.identities.get(environmentId, identifier) : undefined;
    if (persisted.length > 0 && !(cached && traitsUnchanged(cached.traits, persisted))) {
      identity = await this.writeTraits(environmentId, identifier, persisted);
    } else {
      identity = cached ?? (await this.identity(environmentId, identifier, true));
    }
    if (memoryOnly.length === 0) return this.rendered(snapshot, origin, identifier, identity);
    const { traits, json } = overlay(identity, memoryOnly, false);
    return {
      identifier,
      flags: snapshot.evaluateIdentity(identifier, identity.id, traits, origin),
      traitsJson: json,
    };
  }

  /**
   * Writes traits of one identity (get-or-create) in a transaction that reports the change; returns the identity
   * as stored afterwards (cached only when nothing needed writing: otherwise every instance drops it on commit).
   */
  async writeTraits(
    environmentId: number,
    identifier: string,
    inputs: readonly TraitInput[],
  ): Promise<CachedIdentity> {
    const token = this.snapshots.identities.begin();
    let unchanged = false;
    const result = await this.uow.run(async (tx) => {
      unchanged = false; // a retried run starts over
      const { identity, created } = await this.store.findOrCreate(
        environmentId,
        identifier,
        this.notice(environmentId, identifier),
        tx.manager,
      );
      const traits = await this.store.applyTraits(identity.id, identity.traits, inputs, tx.manager);
      if (created || traits !== identity.traits) tx.identitiesChanged(environmentId, [identifier]);
      else unchanged = true;
      return new CachedIdentity(identity.id, traits);
    }, SDK_WRITE);
    if (unchanged) this.snapshots.identities.set(environmentId, identifier, result, token);
    return result;
  }

  /** Trait writes for several identities in one transaction (PUT /traits/bulk/, POST /traits/). */
  async writeMany(
    environmentId: number,
    byIdentity: ReadonlyMap<string, readonly TraitInput[]>,
  ): Promise<void> {
    await this.uow.run(async (tx) => {
      const changed: string[] = [];
      for (const [identifier, inputs] of byIdentity) {
        const { identity, created } = await this.store.findOrCreate(
          environmentId,
          identifier,
          this.notice(environmentId, identifier),
          tx.manager,
        );
        const traits = await this.store.applyTraits(identity.id, identity.traits, inputs, tx.manager);
        if (created || traits !== identity.traits) changed.push(identifier);
      }
      if (changed.length) tx.identitiesChanged(environmentId, changed);
    }, SDK_WRITE);
  }

  /**
   * POST /traits/increment-value/: adds `by` to an integer trait (absent = 0); undefined when the stored trait is
   * not an integer.
   */
  async increment(
    environmentId: number,
    identifier: string,
    traitKey: string,
    by: number,
  ): Promise<number | undefined> {
    return this.uow.run(async (tx) => {
      const { manager } = tx;
      const { identity } = await this.store.findOrCreate(
        environmentId,
        identifier,
        this.notice(environmentId, identifier),
        manager,
      );
      const current = identity.traits.find((t) => t.key === traitKey);
      if (current && (typeof current.value !== 'number' || !Number.isInteger(current.value)))
        return undefined;
      const next = ((current?.value as number | undefined) ?? 0) + by;
      await this.store.applyTraits(
        identity.id,
        identity.traits,
        [{ key: traitKey, value: next, type: 'int', transient: false }],
        manager,
      );
      tx.identitiesChanged(environmentId, [identifier]);
      return next;
    }, SDK_WRITE);
  }

  /** The cached evaluation of an identity with its stored traits, made now if needed. */
  private rendered(
    snapshot: EnvironmentSnapshot,
    origin: KeyOrigin,
    identifier: string,
    identity: CachedIdentity,
  ): IdentityResult {
    const slot = origin === 'SERVER' ? 1 : 0;
    let rendered = identity.rendered[slot];
    if (rendered === undefined || rendered.snapshot !== snapshot.serial) {
      rendered = {
        snapshot: snapshot.serial,
        flags: snapshot.evaluateIdentity(identifier, identity.id, identity.traitsRecord, origin),
        etag: undefined,
      };
      identity.rendered[slot] = rendered;
    }
    return { identifier, flags: rendered.flags, traitsJson: identity.traitsJson, rendered };
  }

  /** The NOTIFY sent when an identity is created (other instances may remember it as absent). */
  private notice(environmentId: number, identifier: string): { channel: string; payload: string } {
    return {
      channel: IDENTITY_CHANGED_CHANNEL,
      payload: identityChangePayload(this.changes.instanceId, { environmentId, identifiers: [identifier] }),
    };
  }

  /**
   * The identity from the cache, else from the database (and cached). `create`: get-or-create (one INSERT when
   * the identifier is known to be new); otherwise null when it does not exist.
   */
  private identity(environmentId: number, identifier: string, create: true): Promise<CachedIdentity>;
  private identity(environmentId: number, identifier: string, create: false): Promise<CachedIdentity | null>;
  private async identity(
    environmentId: number,
    identifier: string,
    create: boolean,
  ): Promise<CachedIdentity | null> {
    const cache = this.snapshots.identities;
    const cached = cache.get(environmentId, identifier);
    if (cached) return cached;
    if (cached === null && !create) return null;
    const token = cache.begin();
    if (cached === undefined || !create) {
      const found = await this.store.find(environmentId, identifier);
      if (found || !create) {
        const identity = found ? new CachedIdentity(found.id, found.traits) : null;
        cache.set(environmentId, identifier, identity, token);
        return identity;
      }
    }
    // Known not to exist: one INSERT … ON CONFLICT DO NOTHING (which also notifies the other instances).
    const id = await this.store.insert(environmentId, identifier, this.notice(environmentId, identifier));
    let identity: CachedIdentity;
    if (id !== undefined) {
      identity = new CachedIdentity(id, []);
    } else {
      // Created concurrently (by this or another instance).
      const found = await this.store.find(environmentId, identifier);
      if (!found) throw new Error(`identity ${identifier} vanished while being created`);
      identity = new CachedIdentity(found.id, found.traits);
    }
    cache.set(environmentId, identifier, identity, token);
    return identity;
  }
}
