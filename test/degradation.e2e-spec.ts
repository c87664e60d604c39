import { DataSource } from 'typeorm';
import { UsageService } from '../src/usage/usage.service';
import { insertFeature, makeWorld, World } from './admin-fixtures';
import { client, createEnvironment } from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import { queryDatabase } from './support/database';
import { MemcachedServer, startMemcached } from './support/memcached-server';
import { PostgresServer, startPostgresServer } from './support/pg-cluster';
import { sdk, SdkFixture, seedSdkFixture } from './support/sdk-fixtures';

/**
 * Graceful degradation (operations issue, part 5): the database, then memcached, stops for a few seconds under a
 * steady stream of SDK requests (and management writes), then comes back by itself. Every loop is bounded in
 * count and in time, and every request goes to 127.0.0.1.
 */

const UNAVAILABLE = { detail: 'The database is unavailable; try again shortly.' };
/** Hard limits of every stream, whatever happens to the fault. */
const STREAM_MAX_MS = 45_000;
const STREAM_MAX_STEPS = 20_000;
const PLAN_PRO = [{ trait_key: 'plan', trait_value: 'pro' }];
const SEEN = ['seen-0', 'seen-1', 'seen-2'];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

interface ReadinessBody {
  info?: { cache?: { state?: string } };
  error?: Record<string, unknown>;
}

/** Polls readiness until stopped; keeps the distinct consecutive "<status> <cache state>" observations. */
function watchReadiness(url: string) {
  const seen: string[] = [];
  let running = true;
  const done = (async () => {
    const deadline = Date.now() + STREAM_MAX_MS;
    while (running && Date.now() < deadline) {
      let observed: string;
      try {
        const res = await fetch(`${url}/health/readiness/`);
        const body = (await res.json()) as ReadinessBody;
        observed = `${res.status} ${body.info?.cache?.state ?? '-'}`;
      } catch (err) {
        observed = `no answer: ${String(err)}`; // the app itself must always answer
      }
      if (seen[seen.length - 1] !== observed) seen.push(observed);
      await sleep(100);
    }
  })();
  return {
    seen,
    statuses: () => seen.map((s) => s.split(' ')[0]).filter((s, i, all) => i === 0 || all[i - 1] !== s),
    async stop() {
      running = false;
      await done;
    },
  };
}

/** `workers` loops of `step` (each paused `pauseMs`) until `stop()` or the hard limits; outcomes in order. */
function stream<T>(workers: number, pauseMs: number, step: (n: number) => Promise<T>) {
  const outcomes: T[] = [];
  let running = true;
  let n = 0;
  const started = Date.now();
  const loops = Array.from({ length: workers }, async () => {
    while (running && n < STREAM_MAX_STEPS && Date.now() - started < STREAM_MAX_MS) {
      outcomes.push(await step(n++));
      await sleep(pauseMs);
    }
  });
  return {
    outcomes,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

interface Outcome {
  readonly request: string;
  readonly status: number;
  readonly body: string;
  /** When it was answered (epoch ms). */
  readonly at: number;
}

/** Alternates GET /flags/ and POST /identities/ for an identity seen before (its traits unchanged). */
async function sdkStep(api: string, key: string, n: number): Promise<Outcome> {
  const identify = n % 2 === 1;
  const request = identify ? 'POST /identities/' : 'GET /flags/';
  try {
    const res = identify
      ? await sdk(api, '/identities/', key, {
          method: 'POST',
          body: { identifier: SEEN[n % SEEN.length], traits: PLAN_PRO },
        })
      : await sdk(api, '/flags/', key);
    return { request, status: res.status, body: res.text, at: Date.now() };
  } catch (err) {
    return { request, status: -1, body: String(err), at: Date.now() };
  }
}

/** Warms the environment and the identities the stream identifies again. */
async function warm(api: string, key: string): Promise<void> {
  expect((await sdk(api, '/flags/', key)).status).toBe(200);
  for (const identifier of SEEN) {
    const res = await sdk(api, '/identities/', key, {
      method: 'POST',
      body: { identifier, traits: PLAN_PRO },
    });
    expect(res.status).toBe(200);
  }
}

interface WriteOutcome extends Outcome {
  readonly kind: 'tag' | 'state';
  /** The tag label or feature state value written. */
  readonly value: string;
  readonly retryAfter: string | null;
}

function bannerValue(flags: { feature: { name: string }; feature_state_value: unknown }[]): unknown {
  return flags.find((f) => f.feature.name === 'banner')?.feature_state_value;
}

describe('database stopped and restarted under SDK traffic and management writes', () => {
  let pg: PostgresServer & { destroy(): Promise<void> };
  let t: TestApp;
  let world: World;
  /** Written to during the fault: its feature state is PATCHed (the SDK stream reads `world.env`). */
  let production: { id: number; api_key: string };
  let productionStateId: number;
  let usage: UsageService;

  beforeAll(async () => {
    pg = await startPostgresServer();
    t = await startTestApp({
      DATABASE_URL: pg.url,
      // Short enough that the cached environment expires (and its refresh fails) while the database is away.
      ENVIRONMENT_CACHE_SECONDS: '1',
      DB_CONNECT_TIMEOUT_MS: '1000',
    });
    usage = t.app.get(UsageService);
    const call = client(t);
    world = await makeWorld(call, 'Fault');
    production = await createEnvironment(call, world.admin.token, world.project.id, 'Production');
    const feature = await insertFeature(t, world.project.id, 'banner', { enabled: true, value: 'initial' });
    productionStateId = feature.states.find((s) => s.environmentId === production.id)!.id;
    const api = `${t.url}/api/v1`;
    await warm(api, world.env.api_key);
    await warm(api, production.api_key);
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await pg?.destroy();
  });

  it('SDK answers 200 from cache throughout, writes are kept (2xx) or refused (503, absent), readiness 200 → 503 → 200', async () => {
    const api = `${t.url}/api/v1`;
    const auth = { authorization: `Token ${world.admin.token}`, 'content-type': 'application/json' };
    const health = watchReadiness(t.url);
    const sdkStream = stream(3, 5, (n) => sdkStep(api, world.env.api_key, n));
    const writes = stream(1, 40, async (n): Promise<WriteOutcome> => {
      const kind = n % 2 === 0 ? 'tag' : 'state';
      const value = `${kind}-${n}`;
      const [request, url, method, body] =
        kind === 'tag'
          ? [
              'POST tags/',
              `${t.url}/api/v1/projects/${world.project.id}/tags/`,
              'POST',
              { label: value, color: '#000000' },
            ]
          : [
              'PATCH featurestates/',
              `${t.url}/api/v1/environments/${production.api_key}/featurestates/${productionStateId}/`,
              'PATCH',
              { feature_state_value: value },
            ];
      try {
        const res = await fetch(url, { method, headers: auth, body: JSON.stringify(body) });
        const text = await res.text();
        return {
          kind,
          value,
          request,
          status: res.status,
          body: text,
          retryAfter: res.headers.get('retry-after'),
          at: Date.now(),
        };
      } catch (err) {
        return { kind, value, request, status: -1, body: String(err), retryAfter: null, at: Date.now() };
      }
    });

    await sleep(1500);
    const stoppedAt = Date.now();
    await pg.stop();
    await waitFor('readiness 503', () => health.statuses().includes('503'), 10_000);
    await sleep(3000); // the cached environment expires meanwhile: its refreshes fail
    await usage.flush(); // fails: the counts are kept for the next flush
    const outageWrites = writes.outcomes.length;
    const restartedAt = Date.now();
    await pg.start();
    await waitFor('readiness 200 again', () => health.statuses().join() === '200,503,200', 20_000);
    const recoveredAt = Date.now();
    await waitFor(
      'a write accepted after the restart',
      () => writes.outcomes.slice(outageWrites).some((w) => w.status < 300),
      10_000,
    );
    await Promise.all([sdkStream.stop(), writes.stop(), health.stop()]);

    // GET /flags/ for the cached environment answered 200 throughout, during the outage too.
    const duringOutage = sdkStream.outcomes.filter((o) => o.at > stoppedAt && o.at < restartedAt);
    expect(duringOutage.filter((o) => o.request === 'GET /flags/').length).toBeGreaterThan(10);
    expect(sdkStream.outcomes.filter((o) => o.request === 'GET /flags/' && o.status !== 200)).toEqual([]);
    // POST /identities/ for identities seen before: 200 from the identity cache; an identity the process does not
    // hold truly needs the database, so 503 with the clear body — never a 500. (With the in-process identity
    // cache every one of these is 200.)
    const identities = sdkStream.outcomes.filter((o) => o.request === 'POST /identities/');
    expect(
      identities.filter(
        (o) => o.status !== 200 && !(o.status === 503 && o.body === JSON.stringify(UNAVAILABLE)),
      ),
    ).toEqual([]);
    expect(
      identities.filter((o) => o.at < stoppedAt || o.at > recoveredAt + 1000).some((o) => o.status !== 200),
    ).toBe(false);

    // Usage counters kept across the outage: every SDK request counted exactly once (warm-up: 4).
    await usage.flush();
    const [{ counted }] = await queryDatabase<{ counted: string }>(
      pg.url,
      'SELECT COALESCE(SUM(count), 0) AS counted FROM api_usage_daily WHERE environment_id = $1',
      [world.env.id],
    );
    expect(Number(counted)).toBe(4 + sdkStream.outcomes.length);

    // Every write answered 2xx or 503 (the clear body, Retry-After), never anything else; both happened.
    const accepted = writes.outcomes.filter((w) => w.status >= 200 && w.status < 300);
    const refused = writes.outcomes.filter((w) => w.status === 503);
    expect(writes.outcomes.filter((w) => !accepted.includes(w) && !refused.includes(w))).toEqual([]);
    expect(accepted.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    for (const w of refused) {
      expect({ body: JSON.parse(w.body) as unknown, retryAfter: w.retryAfter }).toEqual({
        body: UNAVAILABLE,
        retryAfter: '5',
      });
    }

    // Accepted tags are present, refused ones absent.
    const labels = new Set(
      (
        await queryDatabase<{ label: string }>(pg.url, 'SELECT label FROM tags WHERE project_id = $1', [
          world.project.id,
        ])
      ).map((r) => r.label),
    );
    const tags = writes.outcomes.filter((w) => w.kind === 'tag');
    expect(tags.filter((w) => labels.has(w.value) !== w.status < 300)).toEqual([]);
    expect(labels.size).toBe(tags.filter((w) => w.status < 300).length);

    // The feature state holds the last accepted value; the refused ones left no audit record either.
    const lastAccepted = [...writes.outcomes].reverse().find((w) => w.kind === 'state' && w.status < 300);
    const [{ string_value: stored }] = await queryDatabase<{ string_value: string }>(
      pg.url,
      'SELECT string_value FROM feature_states WHERE id = $1',
      [productionStateId],
    );
    expect(stored).toBe(lastAccepted?.value);
    const audited = (
      await queryDatabase<{ log: string }>(
        pg.url,
        `SELECT log FROM audit_logs WHERE environment_id = $1 AND related_object_type = 'FEATURE_STATE'`,
        [production.id],
      )
    ).length;
    expect(audited).toBe(accepted.filter((w) => w.kind === 'state').length);

    // Recovered without a restart: the SDK serves the last accepted value, the LISTEN connection is back.
    const flags = await sdk(api, '/flags/', production.api_key);
    expect(bannerValue(flags.json())).toBe(lastAccepted?.value);
    await waitFor(
      'the change listener reconnected',
      () => t.logs.some((l) => /listening for environment changes again/.test(l)),
      15_000,
    );

    // The operator was told, once per outage rather than once per request.
    const logged = (pattern: RegExp) => t.logs.filter((l) => pattern.test(l)).length;
    expect(logged(/serving them stale until the database answers/)).toBe(1);
    expect(logged(/the database answers again: cached environments are refreshed/)).toBe(1);
    expect(logged(/database unavailable: answering 503/)).toBeGreaterThanOrEqual(1);
    expect(logged(/database unavailable: answering 503/)).toBeLessThanOrEqual(3);
    expect(t.logs.filter((l) => /ERROR/.test(l))).toEqual([]);
  }, 90_000);
});

describe('memcached stopped and restarted under SDK traffic', () => {
  let memcached: MemcachedServer;
  let t: TestApp;
  let f: SdkFixture;

  beforeAll(async () => {
    memcached = await startMemcached();
    t = await startTestApp({
      ENVIRONMENT_CACHE_BACKEND: 'memcached',
      ENVIRONMENT_CACHE_LOCATION: memcached.location,
      // Expires every second, so the second level is read (and found failing) while memcached is away.
      ENVIRONMENT_CACHE_SECONDS: '1',
    });
    f = await seedSdkFixture(t.app.get(DataSource));
    await warm(`${t.url}/api/v1`, f.clientKey);
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await memcached?.stop();
  });

  it('every SDK request answers 200 and readiness stays 200 with the cache ok → degraded → ok', async () => {
    const api = `${t.url}/api/v1`;
    const health = watchReadiness(t.url);
    const sdkStream = stream(3, 5, (n) => sdkStep(api, f.clientKey, n));

    await waitFor('cache ok', () => health.seen.includes('200 ok'), 5_000);
    await memcached.stop();
    await waitFor('cache degraded', () => health.seen.includes('200 degraded'), 10_000);
    await sleep(1000);
    await memcached.start();
    // A failing memcached is bypassed for 5 s before it is tried again.
    await waitFor('cache ok again', () => health.seen.join() === '200 ok,200 degraded,200 ok', 20_000);
    await Promise.all([sdkStream.stop(), health.stop()]);

    expect(sdkStream.outcomes.length).toBeGreaterThan(50);
    expect(sdkStream.outcomes.filter((o) => o.status !== 200).slice(0, 3)).toEqual([]);
    expect(health.seen).toEqual(['200 ok', '200 degraded', '200 ok']);
    expect(t.logs.some((l) => /memcached failed/.test(l))).toBe(true);
    expect(t.logs.some((l) => /memcached is answering again/.test(l))).toBe(true);
  }, 60_000);
});
