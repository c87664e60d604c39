import { DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config';
import { dataSourceOptions, PoolSettings, ResolvedDatabase } from './data-source-options';
import { runMigrationsLocked } from './migrate';
import { ReplicaReads } from './replica-reads';
import { ReplicaRouter } from './replica-router';

export function poolSettings(config: AppConfig): PoolSettings {
  return {
    primaryPoolSize: config.DB_POOL_SIZE,
    replicaPoolSize: config.REPLICA_DB_POOL_SIZE,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
  };
}

/** TypeORM on the primary (+ fail-safe read replicas for the reads named in ReplicaReads); applies migrations at startup unless turned off. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(
    db: ResolvedDatabase,
    config: AppConfig,
    entities: NonNullable<DataSourceOptions['entities']>,
  ): DynamicModule {
    const logger = new Logger('Database');
    const pools = poolSettings(config);
    const router = new ReplicaRouter(db.replicas, {
      strategy: config.REPLICA_READ_STRATEGY,
      poolSize: pools.replicaPoolSize,
      connectTimeoutMs: Math.min(pools.connectTimeoutMs, 2000),
      retryAfterMs: 5000,
      onChange: (label, up, error) =>
        up
          ? logger.warn(`read replica ${label} is back; reads use it again`)
          : logger.warn(
              `read replica ${label} is unavailable (${error ?? 'unknown error'}); reads fall back`,
            ),
    });
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...dataSourceOptions(db, pools, entities),
            retryAttempts: 5,
            retryDelay: 2000,
          }),
          dataSourceFactory: async (options) => {
            const dataSource = new DataSource(options!);
            router.install(dataSource);
            await dataSource.initialize();
            if (config.RUN_MIGRATIONS_ON_START) {
              const migrationsStarted = Date.now();
              const applied = await runMigrationsLocked(dataSource);
              const took = `${Date.now() - migrationsStarted} ms`;
              if (applied.length > 0)
                logger.warn(`applied ${applied.length} migration(s) in ${took}: ${applied.join(', ')}`);
              else logger.log(`migrations: none pending (checked in ${took})`);
            }
            return dataSource;
          },
        }),
      ],
      providers: [{ provide: ReplicaRouter, useValue: router }, ReplicaReads],
      exports: [ReplicaRouter, ReplicaReads],
    };
  }
}
