import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ReplicaReads } from '../src/database/replica-reads';
import { Site } from '../src/users/site.entity';
import {
  client,
  createOrganisation,
  createProject,
  createEnvironment,
  PASSWORD,
  signUp,
  uniqueEmail,
} from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import { freePort, ReplicatedCluster, startReplicatedCluster } from './support/pg-cluster';
import { ServerProcess, spawnServer } from './support/server-process';

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

async function readiness(url: string) {
  const res = await fetch(`${url}/health/readiness/`);
  return {
    status: res.status,
    body: (await res.json()) as {
      info?: Record<string, Record<string, string>>;
      error?: Record<string, unknown>;
    },
  };
}

const IN_RECOVERY = 'SELECT pg_is_in_recovery() AS in_recovery';

describe('database with a streaming read replica', () => {
  let cluster: ReplicatedCluster;
  let t: TestApp;
  let dataSource: DataSource;
  let replicaReads: ReplicaReads;

  beforeAll(async () => {
    cluster = await startReplicatedCluster();
    t = await startTestApp({ DATABASE_URL: cluster.primary.url, REPLICA_DATABASE_URLS: cluster.replica.url });
    dataSource = t.app.get(DataSource);
    replicaReads = t.app.get(ReplicaReads);
  });
  afterAll(async () => {
    await t?.close();
    await cluster?.stop();
  });

  const plainReadInRecovery = async () =>
    (
      await dataSource
        .createQueryBuilder()
        .select('pg_is_in_recovery()', 'in_recovery')
        .fromDummy()
        .getRawOne<{ in_recovery: boolean }>()
    )?.in_recovery;
  const replicaReadInRecovery = async () =>
    (await replicaReads.read((m) => m.query<{ in_recovery: boolean }[]>(IN_RECOVERY)))[0].in_recovery;

  it('plain read-only query with the replica up is served by the primary', async () => {
    expect(await plainReadInRecovery()).toBe(false);
  });

  it('ReplicaReads read with the replica up is served by the replica', async () => {
    expect(await replicaReadInRecovery()).toBe(true);
  });

  it('ReplicaReads read inside a writing request (POST) is served by the primary', async () => {
    const read = (method: string) =>
      replicaReads.read((m) => m.query<{ in_recovery: boolean }[]>(IN_RECOVERY), { method });
    expect((await read('GET'))[0].in_recovery).toBe(true);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'])
      expect((await read(method))[0].in_recovery).toBe(false);
  });

  it('write then repository read right away sees it (the read goes to the primary)', async () => {
    await dataSource.getRepository(Site).save({ name: 'flagport', domain: 'flags.example.com' });
    expect(await dataSource.getRepository(Site).count()).toBe(1);
  });

  it('readiness with primary and replica up answers 200 with replicas ok', async () => {
    const { status, body } = await readiness(t.url);
    expect(status).toBe(200);
    expect(body.info?.replicas?.state).toBe('ok');
  });

  it('replica connection terminated during a replica read: the read is retried on the primary and succeeds', async () => {
    const answer = await replicaReads.read(async (m) => {
      const [{ in_recovery }] = await m.query<{ in_recovery: boolean }[]>(IN_RECOVERY);
      if (in_recovery) {
        // Kill this very connection from the replica's side, then use it again.
        await m.query('SELECT pg_terminate_backend(pg_backend_pid())').catch(() => undefined);
        await m.query('SELECT 1');
      }
      return in_recovery;
    });
    expect(answer).toBe(false);
    expect(t.logs.join('\n')).toMatch(/a read on replica .* failed .*; retried on the primary/);
    // The replica is up again at once, but skipped for its 5 s back-off.
    expect(await replicaReadInRecovery()).toBe(false);
  });

  it('replica stopped: replica reads fall back to the primary without an error; readiness stays 200 reporting the replica down', async () => {
    await cluster.replica.stop();
    for (let i = 0; i < 5; i++) expect(await replicaReadInRecovery()).toBe(false);
    const { status, body } = await readiness(t.url);
    expect(status).toBe(200);
    expect(body.info?.replicas?.state).toBe('degraded');
    expect(t.logs.join('\n')).toMatch(/read replica .* is unavailable/);
  });

  it('replica back: readiness reports it ok and replica reads use it again', async () => {
    await cluster.replica.start();
    const state = await eventually(
      async () => (await readiness(t.url)).body.info?.replicas?.state,
      (s) => s === 'ok',
      15000,
    );
    expect(state).toBe('ok');
    expect(await eventually(replicaReadInRecovery, (r) => r === true, 10000)).toBe(true);
  });

  describe('REPLICA_READ_STRATEGY and CROSS_REGION_REPLICA_DATABASE_URLS', () => {
    // Two URLs for the one replica server, told apart by their search_path (set through the URL's `options`).
    const second = () => `${cluster.replica.url}?options=${encodeURIComponent('-c search_path=second')}`;
    const searchPaths = async (app: TestApp, reads: number) => {
      const seen = new Set<string>();
      for (let i = 0; i < reads; i++) {
        const [row] = await app.app
          .get(ReplicaReads)
          .read((m) =>
            m.query<{ search_path: string; in_recovery: boolean }[]>(
              'SELECT current_setting($1) AS search_path, pg_is_in_recovery() AS in_recovery',
              ['search_path'],
            ),
          );
        seen.add(row.in_recovery ? row.search_path : 'primary');
      }
      return [...seen].sort();
    };
    const withApp = async (env: Record<string, string>, use: (app: TestApp) => Promise<void>) => {
      const app = await startTestApp({ DATABASE_URL: cluster.primary.url, ...env });
      try {
        await use(app);
      } finally {
        await app.close();
      }
    };

    it('DISTRIBUTED (the default) with two replicas: 40 reads use both', async () => {
      await withApp({ REPLICA_DATABASE_URLS: `${cluster.replica.url},${second()}` }, async (app) => {
        expect(await searchPaths(app, 40)).toEqual(['"$user", public', 'second']);
      });
    });

    it('SEQUENTIAL with two healthy replicas: every read uses the first', async () => {
      await withApp(
        { REPLICA_DATABASE_URLS: `${cluster.replica.url},${second()}`, REPLICA_READ_STRATEGY: 'SEQUENTIAL' },
        async (app) => expect(await searchPaths(app, 20)).toEqual(['"$user", public']),
      );
    });

    it('cross-region replica: unused while the same-region replica answers, used once it fails', async () => {
      const dead = `postgres://postgres@127.0.0.1:${await freePort()}/postgres`;
      await withApp(
        { REPLICA_DATABASE_URLS: cluster.replica.url, CROSS_REGION_REPLICA_DATABASE_URLS: second() },
        async (app) => expect(await searchPaths(app, 20)).toEqual(['"$user", public']),
      );
      await withApp(
        { REPLICA_DATABASE_URLS: dead, CROSS_REGION_REPLICA_DATABASE_URLS: second() },
        async (app) => expect(await searchPaths(app, 5)).toEqual(['second']),
      );
    });
  });

  it('primary stopped: liveness stays 200 while readiness answers 503 naming the database; both recover', async () => {
    await cluster.primary.stop();
    const live = await fetch(`${t.url}/health/liveness/`);
    expect(live.status).toBe(200);
    const down = await readiness(t.url);
    expect(down.status).toBe(503);
    expect(down.body.error).toHaveProperty('database');
    await cluster.primary.start();
    const status = await eventually(
      async () => (await readiness(t.url)).status,
      (s) => s === 200,
      20000,
    );
    expect(status).toBe(200);
  });
});

/**
 * Read-your-writes: the replica applies WAL 2 s late (recovery_min_apply_delay), so any read of a fresh write that
 * reached it would miss the write. Every call below follows the write it depends on immediately.
 */
describe('management API with a replica lagging 2 s', () => {
  let cluster: ReplicatedCluster;
  let t: TestApp;
  let call: ReturnType<typeof client>;

  beforeAll(async () => {
    cluster = await startReplicatedCluster({ applyDelay: '2s' });
    t = await startTestApp({ DATABASE_URL: cluster.primary.url, REPLICA_DATABASE_URLS: cluster.replica.url });
    call = client(t);
  });
  afterAll(async () => {
    await t?.close();
    await cluster?.stop();
  });

  it('login right after registration answers 200', async () => {
    const email = uniqueEmail('lag');
    await signUp(call, email);
    const login = await call('POST', '/api/v1/auth/login/', { body: { email, password: PASSWORD } });
    expect(login.status).toBe(200);
  });

  it('a project created in a new organisation right away answers 201', async () => {
    const user = await signUp(call);
    const organisation = await createOrganisation(call, user.token, 'Fresh org');
    const project = await call('POST', '/api/v1/projects/', {
      auth: user.token,
      body: { name: 'Fresh', organisation: organisation.id },
    });
    expect(project.status).toBe(201);
  });

  it('a feature created is at once fetched, listed, PATCHed and DELETEd', async () => {
    const user = await signUp(call);
    const organisation = await createOrganisation(call, user.token);
    const project = await createProject(call, user.token, organisation.id);
    const base = `/api/v1/projects/${project.id}/features/`;
    const created = await call('POST', base, { auth: user.token, body: { name: 'fresh_flag' } });
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    expect((await call('GET', `${base}${id}/`, { auth: user.token })).status).toBe(200);
    const list = await call('GET', base, { auth: user.token });
    expect(list.status).toBe(200);
    expect((list.body.results as { id: number }[]).map((f) => f.id)).toContain(id);
    const patched = await call('PATCH', `${base}${id}/`, { auth: user.token, body: { description: 'now' } });
    expect(patched.status).toBe(200);
    expect((await call('GET', `${base}${id}/`, { auth: user.token })).body.description).toBe('now');
    expect((await call('DELETE', `${base}${id}/`, { auth: user.token })).status).toBe(204);
    expect((await call('GET', `${base}${id}/`, { auth: user.token })).status).toBe(404);
  });

  it('a new segment is used in a segment override right away', async () => {
    const user = await signUp(call);
    const organisation = await createOrganisation(call, user.token);
    const project = await createProject(call, user.token, organisation.id);
    const environment = await createEnvironment(call, user.token, project.id);
    const feature = await call('POST', `/api/v1/projects/${project.id}/features/`, {
      auth: user.token,
      body: { name: 'segmented' },
    });
    const segment = await call('POST', `/api/v1/projects/${project.id}/segments/`, {
      auth: user.token,
      body: {
        name: 'pro',
        rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'plan', value: 'pro' }] }],
      },
    });
    expect(segment.status).toBe(201);
    const slot = await call('POST', '/api/v1/features/feature-segments/', {
      auth: user.token,
      body: { feature: feature.body.id, segment: segment.body.id, environment: environment.id },
    });
    expect(slot.status).toBe(201);
  });
});

/**
 * A spawned server (so that a crash is an observable exit) against primary + replica: every kind of server
 * connection is killed with pg_terminate_backend, then the replica is stopped under readiness probes.
 */
describe('spawned server when its database connections are killed', () => {
  let cluster: ReplicatedCluster;
  let server: ServerProcess;
  let url: string;

  beforeAll(async () => {
    cluster = await startReplicatedCluster();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = spawnServer({
      DATABASE_URL: cluster.primary.url,
      REPLICA_DATABASE_URLS: cluster.replica.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      ENABLE_TELEMETRY: 'false',
      ADMIN_PANEL_ENABLED: 'false',
      EMAIL_BACKEND: 'none',
      DJANGO_SECRET_KEY: 'x'.repeat(60),
    });
    await server.waitForOutput(/listening on/, 60000);
  });
  afterAll(async () => {
    if (server && server.child.exitCode === null) await server.stop('SIGKILL');
    await cluster?.stop();
  });

  const alive = () => server.child.exitCode === null && server.child.signalCode === null;
  const terminate = async (databaseUrl: string, applicationName: string) => {
    const admin = new Client({ connectionString: databaseUrl });
    await admin.connect();
    try {
      const rows = await admin.query<{ killed: boolean }>(
        'SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      );
      return rows.rows.length;
    } finally {
      await admin.end();
    }
  };
  /** Opens replica and primary pool connections: readiness checks both, the audit log list reads the replica. */
  const warm = async () => {
    await Promise.all(
      Array.from({ length: 4 }, () => fetch(`${url}/health/readiness/`).then((r) => r.text())),
    );
  };

  it('pg_terminate_backend of each connection kind on primary and replica: the process stays up and recovers', async () => {
    await warm();
    const kinds: [string, string][] = [
      [cluster.replica.url, 'flagport-replica'],
      [cluster.primary.url, 'flagport'],
      [cluster.primary.url, 'flagport-listen'],
    ];
    for (const [databaseUrl, name] of kinds) {
      await warm();
      expect({ name, killed: (await terminate(databaseUrl, name)) > 0 }).toEqual({ name, killed: true });
      await new Promise((r) => setTimeout(r, 300));
      expect({ name, alive: alive() }).toEqual({ name, alive: true });
      const status = await eventually(
        async () => (await readiness(url)).status,
        (s) => s === 200,
        15000,
      );
      expect({ name, status }).toEqual({ name, status: 200 });
    }
    // The change listener reconnected (and dropped what it had cached, as notifications may have been missed).
    await server.waitForOutput(/listening for environment changes again/, 15000);
    expect(alive()).toBe(true);
  });

  it('after its LISTEN connection was killed, a change made by another instance reaches the SDK answer', async () => {
    const call = client({ url } as TestApp);
    const user = await signUp(call);
    const organisation = await createOrganisation(call, user.token);
    const project = await createProject(call, user.token, organisation.id);
    const environment = await createEnvironment(call, user.token, project.id);
    await call('POST', `/api/v1/projects/${project.id}/features/`, {
      auth: user.token,
      body: { name: 'remote' },
    });
    const flags = async () => {
      const res = await fetch(`${url}/api/v1/flags/`, {
        headers: { 'X-Environment-Key': environment.api_key },
      });
      return ((await res.json()) as { feature: { name: string }; enabled: boolean }[]).find(
        (f) => f.feature.name === 'remote',
      )?.enabled;
    };
    expect(await flags()).toBe(false); // now cached by this instance
    expect(await terminate(cluster.primary.url, 'flagport-listen')).toBeGreaterThan(0);
    await server.waitForOutput(
      /listening for environment changes again[\s\S]*listening for environment changes again/,
      15000,
    );
    expect(await flags()).toBe(false); // cached again after the resync dropped the cache
    // "Another instance": a write straight to the primary plus the notification flagport sends on commit.
    const other = new Client({ connectionString: cluster.primary.url });
    await other.connect();
    try {
      await other.query('UPDATE feature_states SET enabled = true WHERE environment_id = $1', [
        environment.id,
      ]);
      await other.query('SELECT pg_notify($1, $2)', [
        'flagport_environment_changed',
        JSON.stringify({ environment_ids: [environment.id], api_keys: [environment.api_key] }),
      ]);
    } finally {
      await other.end();
    }
    expect(await eventually(flags, (enabled) => enabled === true, 10000)).toBe(true);
  });

  it('migrations lock connection terminated while waiting for the lock: the starting process stays up and starts', async () => {
    const holder = new Client({ connectionString: cluster.primary.url });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock(727146521)'); // MIGRATION_LOCK_KEY: another instance migrating
    const port = await freePort();
    const second = spawnServer({
      DATABASE_URL: cluster.primary.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      ENABLE_TELEMETRY: 'false',
      ADMIN_PANEL_ENABLED: 'false',
      EMAIL_BACKEND: 'none',
      DJANGO_SECRET_KEY: 'x'.repeat(60),
    });
    try {
      const waiting = await eventually(
        async () =>
          (
            await holder.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'flagport-migrations'",
            )
          ).rows[0].n,
        (n) => n > 0,
        30000,
      );
      expect(waiting).toBeGreaterThan(0);
      expect(await terminate(cluster.primary.url, 'flagport-migrations')).toBeGreaterThan(0);
      await holder.query('SELECT pg_advisory_unlock(727146521)');
      await second.waitForOutput(/listening on/, 60000);
      expect(second.child.exitCode).toBeNull();
      expect((await fetch(`http://127.0.0.1:${port}/health/readiness/`)).status).toBe(200);
    } finally {
      await holder.end();
      await second.stop('SIGKILL');
    }
  });

  it('replica stopped (fast shutdown) under 8 parallel readiness probes: the process stays up and answers', async () => {
    let probing = true;
    const statuses: number[] = [];
    const probes = Array.from({ length: 8 }, async () => {
      while (probing) {
        const res = await fetch(`${url}/health/readiness/`).catch(() => undefined);
        if (res) {
          statuses.push(res.status);
          await res.text();
        }
      }
    });
    await new Promise((r) => setTimeout(r, 500));
    await cluster.replica.stop();
    await new Promise((r) => setTimeout(r, 3000));
    probing = false;
    await Promise.all(probes);
    expect(alive()).toBe(true);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(server.output()).not.toMatch(/Unhandled 'error' event/);
    await cluster.replica.start();
  });
});
