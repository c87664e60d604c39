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
