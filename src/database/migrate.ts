import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { APPLICATION_NAMES } from './replica-router';

/** Arbitrary constant: the advisory-lock key that serialises migration runs across instances. */
const MIGRATION_LOCK_KEY = 727_146_521;

/**
 * Applies pending migrations while holding a PostgreSQL advisory lock, so that several instances
 * starting together do not run the same migration twice. Returns the names applied.
 *
 * The lock lives on a dedicated connection (application_name `flagport-migrations`) with an error listener: a
 * terminated lock connection fails this run (startup retries it) instead of crashing the process.
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<string[]> {
  const options = dataSource.options as PostgresConnectionOptions;
  const url = options.replication?.master.url ?? options.url;
  const lock = new Client({ connectionString: url, application_name: APPLICATION_NAMES.migrationsLock });
  let lost: Error | undefined;
  lock.on('error', (err: Error) => {
    lost = err;
    new Logger('Database').warn(`lost the migrations lock connection (${err.message})`);
  });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    if (lost) throw lost;
    return applied.map((m) => m.name);
  } finally {
    await lock.end().catch(() => undefined);
  }
}
