import { DataSource } from 'typeorm';

/** Arbitrary constant: the advisory-lock key that serialises migration runs across instances. */
const MIGRATION_LOCK_KEY = 727_146_521;

/**
 * Applies pending migrations while holding a PostgreSQL advisory lock, so that several instances
 * starting together do not run the same migration twice. Returns the names applied.
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<string[]> {
  const lock = dataSource.createQueryRunner('master');
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.release();
  }
}
