import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { runMigrationsLocked } from '../src/database/migrate';
import { ENTITIES } from '../src/entities';
import { createTestDatabase } from './support/database';

const POOLS = { primaryPoolSize: 2, replicaPoolSize: 2, connectTimeoutMs: 5000 };

describe('migrations', () => {
  let dataSource: DataSource;
  beforeAll(async () => {
    const url = await createTestDatabase();
    dataSource = new DataSource(
      dataSourceOptions({ primary: { url, label: 'test' }, replicas: [] }, POOLS, ENTITIES),
    );
    await dataSource.initialize();
  });
  afterAll(async () => {
    await dataSource.destroy();
  });

  it('migrations on an empty database apply every migration, then nothing is pending', async () => {
    const applied = await runMigrationsLocked(dataSource);
    expect(applied.length).toBe(dataSource.migrations.length);
    expect(await dataSource.showMigrations()).toBe(false);
  });

  it('schema after all migrations matches the entities exactly (generating a migration yields nothing)', async () => {
    const sql = await dataSource.driver.createSchemaBuilder().log();
    expect(sql.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('migrations run a second time (another instance starting) apply nothing', async () => {
    expect(await runMigrationsLocked(dataSource)).toEqual([]);
  });

  it('every migration can be reverted and re-applied', async () => {
    for (let i = 0; i < dataSource.migrations.length; i++)
      await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await dataSource.showMigrations()).toBe(true);
    await runMigrationsLocked(dataSource);
    const sql = await dataSource.driver.createSchemaBuilder().log();
    expect(sql.upQueries).toEqual([]);
  });
});
