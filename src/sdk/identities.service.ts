import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Traits } from '../../libs/engine/src';
import type { EnvironmentSnapshot, IdentityFlag } from './environment-snapshot';
import { IdentityStore, StoredValue } from './identity-store';
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
  readonly flags: IdentityFlag[];
  readonly traits: ResponseTrait[];
}

/** Python's str() of a trait value, for the fully transient identifier hash. */
function pyStr(value: string | number | boolean): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return String(value);
}

/** spec §3 mode 1: sha256 of `trait_key + str(value)` over the non-null traits sorted by key; else a uuid4 hex. */
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

function traitsRecord(traits: readonly ResponseTrait[]): Traits {
  const record: Record<string, StoredValue> = Object.create(null) as Record<string, StoredValue>;
  for (const t of traits) record[t.key] = t.value;
  return record;
}

/** Overlays incoming traits on stored ones (incoming wins; null removes). */
function overlay(
  stored: readonly ResponseTrait[],
  incoming: readonly TraitInput[],
  transient: boolean,
): ResponseTrait[] {
  const byKey = new Map<string, ResponseTrait>(stored.map((t) => [t.key, t]));
  for (const input of incoming) {
    if (input.value === null) byKey.delete(input.key);
    else
      byKey.set(input.key, {
        id: null,
        key: input.key,
        value: input.value,
        transient: transient || input.transient,
      });
  }
  return [...byKey.values()];
}

/**
 * Identity evaluation for GET/POST /api/v1/identities/ (spec/sdk-api.md §2, §3): stored traits and overrides from
 * the database, flags from the environment's cached snapshot.
 */
@Injectable()
export class IdentitiesService {
  constructor(private readonly store: IdentityStore) {}

  /** GET /identities/: get-or-create (or a transient in-memory identity) and evaluate with stored traits. */
  async get(
    snapshot: EnvironmentSnapshot,
    origin: KeyOrigin,
    identifier: string,
    transient: boolean,
  ): Promise<IdentityResult> {
    if (transient) {
      return { identifier, flags: snapshot.identityFlags(identifier, {}, origin, false), traits: [] };
    }
    const identity = await this.store.findOrCreate(snapshot.environmentId, identifier);
    const traits = identity.traits.map((t) => ({ id: t.id, key: t.key, value: t.value, transient: false }));
    return {
      identifier,
      flags: snapshot.identityFlags(identifier, traitsRecord(traits), origin, true),
      traits,
    };
  }

  /** POST /identities/: the three modes of spec §3. */
  async identify(
    snapshot: EnvironmentSnapshot,
    origin: KeyOrigin,
    identifierIn: string | undefined,
    incomingIn: readonly TraitInput[],
    transient: boolean,
  ): Promise<IdentityResult> {
    const incoming = origin === 'CLIENT' && !snapshot.allowClientTraits ? [] : incomingIn;

    // 1. No identifier: fully transient, nothing read or written.
    if (identifierIn === undefined) {
      const identifier = transientIdentifier(incoming);
      const traits = overlay([], incoming, true);
      return {
        identifier,
        flags: snapshot.identityFlags(identifier, traitsRecord(traits), origin, false),
        traits,
      };
    }
    const identifier = identifierIn;

    // 2. transient: the stored identity (if any) with the incoming traits overlaid, nothing written.
    if (transient) {
      const identity = await this.store.find(snapshot.environmentId, identifier);
      const stored = (identity?.traits ?? []).map((t) => ({
        id: t.id,
        key: t.key,
        value: t.value,
        transient: false,
      }));
      const traits = overlay(stored, incoming, true);
      return {
        identifier,
        flags: snapshot.identityFlags(identifier, traitsRecord(traits), origin, identity !== undefined),
        traits,
      };
    }

    // 3. Normal: get-or-create; persist non-transient traits when the organisation allows it.
    const persisted = snapshot.persistTraitData ? incoming.filter((t) => !t.transient) : [];
    const memoryOnly = snapshot.persistTraitData ? incoming.filter((t) => t.transient) : incoming;
    const storedTraits =
      persisted.length === 0
        ? (await this.store.findOrCreate(snapshot.environmentId, identifier)).traits
        : await this.store.transaction(async (manager) => {
            const identity = await this.store.findOrCreate(snapshot.environmentId, identifier, manager);
            return this.store.applyTraits(identity.id, identity.traits, persisted, manager);
          });
    const stored = storedTraits.map((t) => ({ id: t.id, key: t.key, value: t.value, transient: false }));
    const byKey = new Map<string, ResponseTrait>(stored.map((t) => [t.key, t]));
    for (const input of memoryOnly) {
      if (input.value === null) byKey.delete(input.key);
      else byKey.set(input.key, { id: null, key: input.key, value: input.value, transient: input.transient });
    }
    const traits = [...byKey.values()];
    return {
      identifier,
      flags: snapshot.identityFlags(identifier, traitsRecord(traits), origin, true),
      traits,
    };
  }
}
