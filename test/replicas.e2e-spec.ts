import { DataSource } from 'typeorm';
import { Site } from '../src/users/site.entity';
import { startTestApp, TestApp } from './support/app';
import { ReplicatedCluster, startReplicatedCluster } from './support/pg-cluster';

async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 10000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function readiness(t: TestApp) {
  const res = await fetch(`${t.url}/health/readiness/`);
  return { status: res.status, body: (await res.json()) as { error?: Record<string, unknown> } };
}

describe('database with a streaming read replica', () => {
  let cluster: ReplicatedCluster;
  let t: TestApp;
  let dataSource: DataSource;

  beforeAll(async () => {
    cluster = await startReplicatedCluster();
    t = await startTestApp({ DATABASE_URL: cluster.primary.url, REPLICA_DATABASE_URLS: cluster.replica.url });
    dataSource = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t?.close();
    await cluster?.stop();
  });

  const servedByReplica = async () =>
    (
      await dataSource
        .createQueryBuilder()
        .select('pg_is_in_recovery()', 'in_recovery')
        .fromDummy()
        .getRawOne<{ in_recovery: boolean }>()
    )?.in_recovery;

  it('read-only query with the replica up is served by the replica', async () => {
    expect(await servedByReplica()).toBe(true);
  });

  it('write goes to the primary and repository reads see it once replicated', async () => {
    await dataSource.getRepository(Site).save({ name: 'flagport', domain: 'flags.example.com' });
    const count = await eventually(
      () => dataSource.getRepository(Site).count(),
      (n) => n === 1,
    );
    expect(count).toBe(1);
    const [{ in_recovery }] = await dataSource.query<{ in_recovery: boolean }[]>(
      'SELECT pg_is_in_recovery() AS in_recovery',
    );
    expect(in_recovery).toBe(false); // raw queries use the primary
  });

  it('readiness with primary and replica up answers 200', async () => {
    expect((await readiness(t)).status).toBe(200);
  });

  it('replica stopped: reads fall back to the primary without an error and readiness reports the replica down', async () => {
    await cluster.replica.stop();
    for (let i = 0; i < 5; i++) expect(await servedByReplica()).toBe(false);
    expect(await dataSource.getRepository(Site).count()).toBe(1);
    const { status, body } = await readiness(t);
    expect(status).toBe(503);
    expect(Object.keys(body.error ?? {})).toEqual(['replicas']);
    expect(t.logs.join('\n')).toMatch(/read replica .* is unavailable/);
  });

  it('replica back: readiness recovers and reads use the replica again', async () => {
    await cluster.replica.start();
    const status = await eventually(
      async () => (await readiness(t)).status,
      (s) => s === 200,
      15000,
    );
    expect(status).toBe(200);
    expect(await eventually(servedByReplica, (r) => r === true, 10000)).toBe(true);
  });

  it('primary stopped: liveness stays 200 while readiness answers 503 naming the database; both recover', async () => {
    await cluster.primary.stop();
    const live = await fetch(`${t.url}/health/liveness/`);
    expect(live.status).toBe(200);
    const down = await readiness(t);
    expect(down.status).toBe(503);
    expect(down.body.error).toHaveProperty('database');
    await cluster.primary.start();
    const status = await eventually(
      async () => (await readiness(t)).status,
      (s) => s === 200,
      20000,
    );
    expect(status).toBe(200);
  });
});
