import { randomUUID } from 'node:crypto';

/**
 * Column helpers shared by the entities.
 *
 * `uuid` columns have no database default (a `gen_random_uuid()` default would make TypeORM see a
 * generated column and ask for the uuid-ossp extension); entities fill them with `newUuid()` in a
 * property initialiser, so `repo.create()` / `new Entity()` always carry one. Raw inserts must set it.
 */
export const newUuid = (): string => randomUUID();

/** Every timestamp column is timestamptz. */
export const TIMESTAMP = 'timestamp with time zone' as const;

/**
 * The columns of `after` that differ from `before` (a copy taken before the request's changes were applied):
 * what a PATCH writes, so that a concurrent PATCH of another column is not overwritten with a stale value.
 */
export function changedColumns<T extends object>(before: T, after: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(after) as (keyof T)[]) {
    const a = after[key];
    const b = before[key];
    const same =
      a === b ||
      (a instanceof Date && b instanceof Date && a.getTime() === b.getTime()) ||
      (typeof a === 'object' && a !== null && JSON.stringify(a) === JSON.stringify(b));
    if (!same) out[key] = a;
  }
  return out;
}
