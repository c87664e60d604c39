import { DataSource } from 'typeorm';
import { EnvironmentChangesService } from '../src/environments/environment-changes.service';
import { startTestApp, TestApp } from './support/app';
import { queryDatabase } from './support/database';
import { QueryCounter, sdk, SdkFixture, seedSdkFixture, waitUntil } from './support/sdk-fixtures';

interface Flag {
  feature: { name: string };
  feature_state_value: unknown;
  enabled: boolean;
}

const MEMCACHED = 'django.core.cache.backends.memcached.PyMemcacheCache';
const QUIET = { ENABLE_API_USAGE_TRACKING: 'false' };

function valueOf(flags: Flag[], name: string): unknown {
  return flags.find((f) => f.feature.name === name)?.feature_state_value;
}

/** Changes a feature state's value the way the management API does: in a transaction that reports the change. */
async function setValue(app: TestApp, stateId: number, environmentId: number, value: string): Promise<void> {
  await app.app.get(DataSource).transaction(async (m) => {
    await m.query('UPDATE feature_states SET string_value = $1 WHERE id = $2', [value, stateId]);
    await app.app.get(EnvironmentChangesService).environmentsChanged(m, [environmentId]);
  });
}

beforeAll(() => QueryCounter.install());

describe('SDK environment cache in one instance', () => {
  let t: TestApp;
  let f: SdkFixture;
  let api: string;

  beforeAll(async () => {
    t = await startTestApp(QUIET);
    f = await seedSdkFixture(t.app.get(DataSource));
    api = `${t.url}/api/v1`;
  });
  afterAll(() => t.close());

  it('GET /flags/ once the environment is cached → zero queries sent to PostgreSQL', async () => {
    await sdk(api, '/flags/', f.clientKey);
    await sdk(api, '/flags/', f.serverKey);
    const before = QueryCounter.snapshot();
    for (let i = 0; i < 25; i++) {
      expect((await sdk(api, '/flags/', f.clientKey)).status).toBe(200);
      expect((await sdk(api, '/flags/', f.serverKey)).status).toBe(200);
      expect((await sdk(api, '/flags/?feature=flag_on', f.clientKey)).status).toBe(200);
    }
    expect(await sdk(api, '/environment-document/', f.serverKey)).toMatchObject({ status: 200 });
    const sent = QueryCounter.snapshot() - before;
    expect({ sent, recent: sent > 0 ? QueryCounter.recent(sent) : [] }).toEqual({ sent: 0, recent: [] });
  });

  it('the query counter sees queries (an uncached identity request is counted)', async () => {
    const before = QueryCounter.snapshot();
    await sdk(api, '/identities/?identifier=counted', f.clientKey);
    expect(QueryCounter.snapshot() - before).toBeGreaterThan(0);
  });

  it('a cache miss builds the environment with a small fixed number of queries', async () => {
    await setValue(t, f.stateIds.flag_on, f.environmentId, 'miss');
    const before = QueryCounter.snapshot();
    await sdk(api, '/flags/', f.clientKey);
    const sent = QueryCounter.snapshot() - before;
    // key lookup + BEGIN + 7 reads + COMMIT
    expect(sent).toBeLessThanOrEqual(10);
  });

  it('every write that reports a change is visible on the very next request (20 writes in a row)', async () => {
    for (let i = 0; i < 20; i++) {
      await setValue(t, f.stateIds.flag_on, f.environmentId, `v${i}`);
      const flags = (await sdk(api, '/flags/', f.clientKey)).json<Flag[]>();
      expect(valueOf(flags, 'flag_on')).toBe(`v${i}`);
    }
  });

  it('a project-wide change (segment rule) invalidates every environment of the project', async () => {
    const ds = t.app.get(DataSource);
    const identify = async () =>
      (
        await sdk(api, '/identities/', f.serverKey, {
          method: 'POST',
          body: {
            identifier: 'seg-user',
            traits: [{ trait_key: 'plan', trait_value: 'free' }],
            transient: true,
          },
        })
      ).json<{ flags: Flag[] }>().flags;
    expect(valueOf(await identify(), 'flag_off')).toBe(42);
    await ds.transaction(async (m) => {
      await m.query(`UPDATE segment_conditions SET operator = 'NOT_EQUAL' WHERE value = 'pro'`);
      await t.app.get(EnvironmentChangesService).projectChanged(m, f.projectId);
    });
    expect(valueOf(await identify(), 'flag_off')).toBe('segment');
  });

  it('one instance → exactly one LISTEN connection (SDK caches and real-time share the change feed)', async () => {
    const listening = await queryDatabase<{ application_name: string; query: string }>(
      t.databaseUrl,
      `SELECT application_name, query FROM pg_stat_activity
        WHERE datname = current_database() AND query LIKE 'LISTEN%'`,
    );
    expect(listening.map((c) => c.application_name)).toEqual(['flagport-listen']);
  });

  it('after the LISTEN connection is lost it reconnects and drops the whole cache (notifications may be missed)', async () => {
    await sdk(api, '/flags/', f.clientKey);
    // A write that nobody reports: only a cache drop can reveal it.
    await queryDatabase(
      t.databaseUrl,
      `UPDATE feature_states SET string_value = 'unreported' WHERE id = $1`,
      [f.stateIds.flag_on],
    );
    expect(valueOf((await sdk(api, '/flags/', f.clientKey)).json<Flag[]>(), 'flag_on')).not.toBe(
      'unreported',
    );
    const killed = await queryDatabase<{ ok: boolean }>(
      t.databaseUrl,
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
        WHERE application_name = 'flagport-listen' AND datname = current_database()`,
    );
    expect(killed.length).toBeGreaterThan(0);
    await waitUntil(
      async () =>
        valueOf((await sdk(api, '/flags/', f.clientKey)).json<Flag[]>(), 'flag_on') === 'unreported',
      5000,
    );
    expect(t.logs.some((l) => /dropping cached environments/.test(l))).toBe(true);
  });
});

describe('SDK environment cache across two instances sharing one database', () => {
  let a: TestApp;
  let b: TestApp;
  let f: SdkFixture;

  beforeAll(async () => {
    a = await startTestApp(QUIET);
    b = await startTestApp({ ...QUIET, DATABASE_URL: a.databaseUrl });
    f = await seedSdkFixture(a.app.get(DataSource));
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('a change made through instance A is served by instance B within 1 s (LISTEN/NOTIFY)', async () => {
    const apiB = `${b.url}/api/v1`;
    expect(valueOf((await sdk(apiB, '/flags/', f.clientKey)).json<Flag[]>(), 'flag_on')).toBe('on');
    await setValue(a, f.stateIds.flag_on, f.environmentId, 'from-a');
    const elapsed = await waitUntil(
      async () => valueOf((await sdk(apiB, '/flags/', f.clientKey)).json<Flag[]>(), 'flag_on') === 'from-a',
      1000,
      10,
    );
    expect(elapsed).toBeLessThan(1000);
  });

  it('a server key revoked through instance A is refused by instance B within 1 s', async () => {
    const apiB = `${b.url}/api/v1`;
    expect((await sdk(apiB, '/environment-document/', f.serverKey)).status).toBe(200);
    await a.app.get(DataSource).transaction(async (m) => {
      await m.query('UPDATE environment_api_keys SET active = false WHERE key = $1', [f.serverKey]);
      await a.app.get(EnvironmentChangesService).keysChanged(m, [f.environmentId]);
    });
    await waitUntil(
      async () => (await sdk(apiB, '/environment-document/', f.serverKey)).status === 403,
      1000,
      10,
    );
  });
});

describe('SDK environment cache with ENVIRONMENT_CACHE_SECONDS=0', () => {
  let t: TestApp;
  let f: SdkFixture;

  beforeAll(async () => {
    t = await startTestApp({ ...QUIET, ENVIRONMENT_CACHE_SECONDS: '0' });
    f = await seedSdkFixture(t.app.get(DataSource));
  });
  afterAll(() => t.close());

  it('nothing is cached: each request reads the database and sees even unreported writes', async () => {
    const api = `${t.url}/api/v1`;
    await sdk(api, '/flags/', f.clientKey);
    await queryDatabase(t.databaseUrl, `UPDATE feature_states SET string_value = 'raw' WHERE id = $1`, [
      f.stateIds.flag_on,
    ]);
    const before = QueryCounter.snapshot();
    expect(valueOf((await sdk(api, '/flags/', f.clientKey)).json<Flag[]>(), 'flag_on')).toBe('raw');
    expect(QueryCounter.snapshot() - before).toBeGreaterThan(0);
  });
});

describe('SDK environment cache with a memcached second level', () => {
  const location = process.env.TEST_MEMCACHED_LOCATION!;
  let a: TestApp;
  let b: TestApp;
  let f: SdkFixture;

  beforeAll(async () => {
    const env = { ...QUIET, ENVIRONMENT_CACHE_BACKEND: MEMCACHED, ENVIRONMENT_CACHE_LOCATION: location };
    a = await startTestApp(env);
    b = await startTestApp({ ...env, DATABASE_URL: a.databaseUrl });
    f = await seedSdkFixture(a.app.get(DataSource));
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('an environment built by instance A is loaded by instance B from memcached (key lookup only)', async () => {
    expect((await sdk(`${a.url}/api/v1`, '/flags/', f.clientKey)).status).toBe(200);
    const before = QueryCounter.snapshot();
    const res = await sdk(`${b.url}/api/v1`, '/flags/', f.clientKey);
    expect(res.status).toBe(200);
    expect(valueOf(res.json<Flag[]>(), 'flag_on')).toBe('on');
    expect(QueryCounter.recent(QueryCounter.snapshot() - before)).toEqual([
      expect.stringMatching(/SELECT e\.id AS environment_id, e\.api_key AS client_key/),
    ]);
  });

  it('after a change the shared entry is not reused (entries are keyed by environment version)', async () => {
    await setValue(a, f.stateIds.flag_on, f.environmentId, 'v2');
    await waitUntil(
      async () =>
        valueOf((await sdk(`${b.url}/api/v1`, '/flags/', f.clientKey)).json<Flag[]>(), 'flag_on') === 'v2',
      1000,
      10,
    );
    expect(valueOf((await sdk(`${a.url}/api/v1`, '/flags/', f.clientKey)).json<Flag[]>(), 'flag_on')).toBe(
      'v2',
    );
  });

  it('readiness: cache state ok while memcached answers', async () => {
    const res = await fetch(`${a.url}/health/readiness`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { details: { cache: { status: string; state: string } } };
    expect(body.details.cache).toMatchObject({ status: 'up', state: 'ok' });
  });
});

describe('SDK environment cache with memcached unreachable', () => {
  let t: TestApp;
  let f: SdkFixture;

  beforeAll(async () => {
    t = await startTestApp({
      ...QUIET,
      ENVIRONMENT_CACHE_BACKEND: MEMCACHED,
      ENVIRONMENT_CACHE_LOCATION: '127.0.0.1:1',
    });
    f = await seedSdkFixture(t.app.get(DataSource));
  });
  afterAll(() => t.close());

  it('requests still succeed from the database, a warning is logged, readiness 200 says degraded', async () => {
    const api = `${t.url}/api/v1`;
    expect((await sdk(api, '/flags/', f.clientKey)).status).toBe(200);
    expect((await sdk(api, '/environment-document/', f.serverKey)).status).toBe(200);
    expect((await sdk(api, '/identities/?identifier=m', f.serverKey)).status).toBe(200);
    expect(t.logs.some((l) => /WARN/.test(l) && /memcached failed/.test(l))).toBe(true);
    const res = await fetch(`${t.url}/health/readiness`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('degraded');
    expect(JSON.parse(text)).toMatchObject({
      status: 'ok',
      details: { cache: { status: 'up', state: 'degraded' } },
    });
  });
});
