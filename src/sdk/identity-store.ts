import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { TraitValueType } from '../identities/identity.entity';
import type { TraitInput } from './sdk-input';

export type StoredValue = string | number | boolean | null;

export interface StoredTrait {
  readonly id: number;
  readonly key: string;
  readonly value: StoredValue;
}

export interface StoredIdentity {
  readonly id: number;
  readonly traits: StoredTrait[];
}

interface RawTraitRow {
  identity_id: number;
  id: number | null;
  trait_key: string | null;
  value_type: TraitValueType | null;
  string_value: string | null;
  integer_value: string | null;
  float_value: number | null;
  boolean_value: boolean | null;
}

function valueOf(row: Omit<RawTraitRow, 'identity_id' | 'id' | 'trait_key'>): StoredValue {
  switch (row.value_type) {
    case 'int':
      return row.integer_value === null ? null : Number(row.integer_value);
    case 'float':
      return row.float_value;
    case 'bool':
      return row.boolean_value;
    default:
      return row.string_value;
  }
}

/** Whether applying `inputs` to `current` would write nothing. */
export function traitsUnchanged(current: readonly StoredTrait[], inputs: readonly TraitInput[]): boolean {
  for (const input of inputs) {
    const stored = current.find((t) => t.key === input.key);
    if (input.value === null ? stored !== undefined : !stored || !sameValue(stored.value, input))
      return false;
  }
  return true;
}

function sameValue(stored: StoredValue, input: TraitInput): boolean {
  return stored === input.value && typeof stored === typeof input.value;
}

/**
 * Identities and their traits for the SDK endpoints: one indexed query to read an identity with its traits, and
 * batched statements (one upsert, one delete) to write traits — never a query per trait.
 */
@Injectable()
export class IdentityStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The identity with its stored traits, or undefined. One query. */
  async find(
    environmentId: number,
    identifier: string,
    manager?: EntityManager,
  ): Promise<StoredIdentity | undefined> {
    const rows = await (manager ?? this.dataSource).query<RawTraitRow[]>(
      `SELECT i.id AS identity_id, t.id, t.trait_key, t.value_type, t.string_value, t.integer_value::text AS integer_value,
              t.float_value, t.boolean_value
         FROM identities i LEFT JOIN traits t ON t.identity_id = i.id
        WHERE i.environment_id = $1 AND i.identifier = $2
        ORDER BY t.id`,
      [environmentId, identifier],
    );
    if (rows.length === 0) return undefined;
    const traits: StoredTrait[] = [];
    for (const row of rows) {
      if (row.id !== null && row.trait_key !== null)
        traits.push({ id: row.id, key: row.trait_key, value: valueOf(row) });
    }
    return { id: rows[0].identity_id, traits };
  }

  /**
   * Creates the identity unless it exists: one statement, which also sends `notify` (a NOTIFY channel and
   * payload) when it created the row. Returns the new id, or undefined when the identity already existed.
   */
  async insert(
    environmentId: number,
    identifier: string,
    notify: { channel: string; payload: string },
    manager?: EntityManager,
  ): Promise<number | undefined> {
    const rows = await (manager ?? this.dataSource).query<{ id: number }[]>(
      `WITH created AS (
         INSERT INTO identities (uuid, identifier, environment_id) VALUES ($1, $2, $3)
         ON CONFLICT (environment_id, identifier) DO NOTHING
         RETURNING id)
       SELECT id, pg_notify($4, $5)::text AS notified FROM created`,
      [randomUUID(), identifier, environmentId, notify.channel, notify.payload],
    );
    return rows[0]?.id;
  }

  /** Get-or-create (concurrent creators of one identifier get the same row); `created` when this call made it. */
  async findOrCreate(
    environmentId: number,
    identifier: string,
    notify: { channel: string; payload: string },
    manager?: EntityManager,
  ): Promise<{ identity: StoredIdentity; created: boolean }> {
    const found = await this.find(environmentId, identifier, manager);
    if (found) return { identity: found, created: false };
    const id = await this.insert(environmentId, identifier, notify, manager);
    if (id !== undefined) return { identity: { id, traits: [] }, created: true };
    const again = await this.find(environmentId, identifier, manager);
    if (!again) throw new Error(`identity ${identifier} vanished while being created`);
    return { identity: again, created: false };
  }

  /**
   * Applies trait writes to an identity: values are upserted (only those that differ from `current`), `null`
   * values delete. Returns the identity's stored traits afterwards, in id order (the same array when nothing
   * needed writing).
   */
  async applyTraits(
    identityId: number,
    current: readonly StoredTrait[],
    inputs: readonly TraitInput[],
    manager: EntityManager,
  ): Promise<readonly StoredTrait[]> {
    const last = new Map<string, TraitInput>();
    for (const input of inputs) last.set(input.key, input);
    const byKey = new Map(current.map((t) => [t.key, t]));
    const upserts: TraitInput[] = [];
    const deletes: string[] = [];
    for (const input of last.values()) {
      const stored = byKey.get(input.key);
      if (input.value === null) {
        if (stored) deletes.push(input.key);
      } else if (!stored || !sameValue(stored.value, input)) {
        upserts.push(input);
      }
    }
    if (upserts.length === 0 && deletes.length === 0) return current;
    const run = async (m: EntityManager): Promise<void> => {
      if (deletes.length > 0) {
        await m.query(`DELETE FROM traits WHERE identity_id = $1 AND trait_key = ANY($2::varchar[])`, [
          identityId,
          deletes,
        ]);
      }
      if (upserts.length > 0) {
        const rows = await m.query<{ id: number; trait_key: string }[]>(
          `INSERT INTO traits (identity_id, trait_key, value_type, string_value, integer_value, float_value, boolean_value)
           SELECT $1, k, t, s, i, f, b
             FROM unnest($2::varchar[], $3::varchar[], $4::varchar[], $5::bigint[], $6::float8[], $7::boolean[])
                  AS x(k, t, s, i, f, b)
           ON CONFLICT (identity_id, trait_key) DO UPDATE
              SET value_type = EXCLUDED.value_type, string_value = EXCLUDED.string_value,
                  integer_value = EXCLUDED.integer_value, float_value = EXCLUDED.float_value,
                  boolean_value = EXCLUDED.boolean_value
           RETURNING id, trait_key`,
          [
            identityId,
            upserts.map((u) => u.key),
            upserts.map((u) => u.type),
            upserts.map((u) => (u.type === 'unicode' ? u.value : null)),
            upserts.map((u) => (u.type === 'int' ? u.value : null)),
            upserts.map((u) => (u.type === 'float' ? u.value : null)),
            upserts.map((u) => (u.type === 'bool' ? u.value : null)),
          ],
        );
        for (const row of rows) {
          byKey.set(row.trait_key, { id: row.id, key: row.trait_key, value: last.get(row.trait_key)!.value });
        }
      }
    };
    await run(manager);
    for (const key of deletes) byKey.delete(key);
    return [...byKey.values()].sort((a, b) => a.id - b.id);
  }
}
