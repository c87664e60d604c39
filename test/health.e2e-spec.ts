import { startTestApp, TestApp } from './support/app';
import { DataSource } from 'typeorm';
import { MemcachedServer, startMemcached } from './support/memcached-server';
import { sdk, seedSdkFixture } from './support/sdk-fixtures';

describe('health probes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(['/health/liveness/', '/health/liveness'])(
    'liveness %s answers 200 {"status":"ok"}',
    async (path) => {
      const res = await fetch(`${t.url}${path}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    },
  );

  it.each([
    '/health/readiness/',
    '/health/readiness',
    '/health/',
    '/health',
    '/healthcheck/',
    '/healthcheck',
  ])('readiness %s with a healthy database and no pending migration answers 200', async (path) => {
    const res = await fetch(`${t.url}${path}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; details: Record<string, { status: string }> };
    expect(body.status).toBe('ok');
    expect(body.details.database.status).toBe('up');
    expect(body.details.migrations.status).toBe('up');
  });
});

interface CacheReadiness {
  status: number;
  state?: string;
  ms: number;
}

async function readCacheState(url: string): Promise<CacheReadiness> {
  const started = Date.now();
  const res = await fetch(`${url}/health/readiness/`);
  const body = (await res.json()) as { info?: { cache?: { state?: string } } };
  return { status: res.status, state: body.info?.cache?.state, ms: Date.now() - started };
}

/** Polls readiness (and nothing else) every 100 ms until the cache state is `state`; returns every answer seen. */
async function readinessUntil(url: string, state: string, timeoutMs: number): Promise<CacheReadiness[]> {
  const seen: CacheReadiness[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await readCacheState(url);
    seen.push(answer);
    if (answer.state === state) return seen;
    if (Date.now() > deadline)
      throw new Error(`cache not ${state} within ${timeoutMs} ms: ${JSON.stringify(seen.slice(-3))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Issue 13, item 6: readiness itself sees memcached go and come back, with no request using the cache. */
describe('readiness with memcached stopped and restarted on the same port', () => {
  let memcached: MemcachedServer;
  let t: TestApp;

  beforeAll(async () => {
    memcached = await startMemcached();
    t = await startTestApp({
      ENVIRONMENT_CACHE_BACKEND: 'memcached',
      ENVIRONMENT_CACHE_LOCATION: memcached.location,
    });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await memcached?.stop();
  });

  it('readiness alone: cache degraded while memcached is down, ok again within 5 s of its restart, always 200', async () => {
    expect(await readCacheState(t.url)).toMatchObject({ status: 200, state: 'ok' });
    await memcached.stop();
    const down = await readinessUntil(t.url, 'degraded', 10_000);
    // A dead memcached must not make the probe slow (each memcached round trip is bounded at 300 ms; 1.5 s leaves
    // room for a loaded 2-core machine).
    expect(down.filter((a) => a.status !== 200 || a.ms > 1500)).toEqual([]);

    await memcached.start();
    const restarted = Date.now();
    const back = await readinessUntil(t.url, 'ok', 10_000);
    expect(Date.now() - restarted).toBeLessThan(5000);
    expect(back.filter((a) => a.status !== 200)).toEqual([]);
  }, 60_000);

  it('cache degraded by an SDK request during the outage: ok again within 5 s of the restart with no other request', async () => {
    const f = await seedSdkFixture(t.app.get(DataSource));
    expect(await readCacheState(t.url)).toMatchObject({ status: 200, state: 'ok' });
    await memcached.stop();
    // The request reads the environment's memcached entry, fails, and is answered from the database.
    expect((await sdk(`${t.url}/api/v1`, '/flags/', f.clientKey)).status).toBe(200);
    expect(await readCacheState(t.url)).toMatchObject({ status: 200, state: 'degraded' });

    await memcached.start();
    const restarted = Date.now();
    await readinessUntil(t.url, 'ok', 10_000);
    expect(Date.now() - restarted).toBeLessThan(5000);
  }, 60_000);
});
