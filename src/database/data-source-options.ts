import { DataSourceOptions } from 'typeorm';
import { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { MIGRATIONS } from '../../migrations';
import { PostgresTarget } from '../config';
import { APPLICATION_NAMES } from './replica-router';

/** The database servers actually in use: configured ones, or the embedded server once started. */
export interface ResolvedDatabase {
  readonly primary: PostgresTarget;
  readonly replicas: readonly PostgresTarget[];
}

export interface PoolSettings {
  readonly primaryPoolSize: number;
  readonly replicaPoolSize: number;
  readonly connectTimeoutMs: number;
}

/**
 * TypeORM options shared by the app, the migrate CLI and tests. Never `synchronize`: the schema comes
 * from migrations only. `entities` is the list of src/entities.ts, passed in by the caller so that `database`
 * imports no domain folder. With replicas, every query still goes to the primary (read-your-writes) except the reads
 * named in code as able to be stale (ReplicaReads, replica-reads.ts).
 */
export function dataSourceOptions(
  db: ResolvedDatabase,
  pools: PoolSettings,
  entities: NonNullable<DataSourceOptions['entities']>,
): DataSourceOptions {
  const common: Omit<PostgresConnectionOptions, 'replication' | 'url'> = {
    type: 'postgres',
    entities,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName: APPLICATION_NAMES.primaryPool,
    connectTimeoutMS: pools.connectTimeoutMs,
    poolSize: pools.primaryPoolSize,
  };
  if (db.replicas.length === 0) {
    return { ...common, url: db.primary.url };
  }
  return {
    ...common,
    replication: {
      master: { url: db.primary.url },
      // Same-region first, the order ReplicaRouter keeps its pools in.
      slaves: [...db.replicas.filter((r) => !r.crossRegion), ...db.replicas.filter((r) => r.crossRegion)].map(
        (replica) => ({ url: replica.url }),
      ),
      defaultMode: 'master',
    },
  };
}
