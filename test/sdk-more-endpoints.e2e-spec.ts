import { DataSource } from 'typeorm';
import { EnvironmentChangesService } from '../src/environments/environment-changes.service';
import { startTestApp, TestApp } from './support/app';
import { QueryCounter, sdk, SdkFixture, seedSdkFixture } from './support/sdk-fixtures';

interface Flag {
  id: number | null;
  feature: { id: number; name: string };
  feature_state_value: unknown;
  enabled: boolean;
  identity: number | null;
  variant?: string | null;
}

const byName = (flags: Flag[]) => Object.fromEntries(flags.map((f) => [f.feature.name, f]));

beforeAll(() => QueryCounter.install());

describe('deprecated SDK endpoints and multivariate options', () => {
  let t: TestApp;
  let f: SdkFixture;
  let api: string;

  beforeAll(async () => {
    t = await startTestApp({ ENABLE_API_USAGE_TRACKING: 'false', PROMETHEUS_ENABLED: 'true' });
    f = await seedSdkFixture(t.app.get(DataSource));
    api = `${t.url}/api/v1`;
  });
  afterAll(() => t.close());

  it('GET /flags/<identifier> → the identity-evaluated flags as a list (identity override applied)', async () => {
    const res = await sdk(api, '/flags/overridden', f.clientKey);
    expect(res.status).toBe(200);
    const flags = byName(res.json<Flag[]>());
    expect(flags.flag_on).toMatchObject({
      feature_state_value: 'identity',
      enabled: false,
      identity: f.identityId,
    });
    expect(flags.server_only).toBeUndefined(); // client key
    const remote = (await sdk(api, '/identities/?identifier=overridden', f.clientKey)).json<{
      flags: Flag[];
    }>();
    expect(res.json<Flag[]>()).toEqual(remote.flags);
  });

  it('GET /flags/<identifier>?feature=<name> → one flag (name matched case-insensitively); unknown → 404', async () => {
    const one = await sdk(api, '/flags/overridden?feature=FLAG_ON', f.clientKey);
    expect(one.status).toBe(200);
    expect(one.json<Flag>().feature_state_value).toBe('identity');
    const missing = await sdk(api, '/flags/overridden?feature=nope', f.clientKey);
    expect(missing.status).toBe(404);
    expect(missing.json()).toEqual({ detail: 'Given feature not found' });
  });

  it('GET /flags/<identifier> for a new identifier → the identity is created', async () => {
    expect((await sdk(api, '/flags/created-by-deprecated', f.serverKey)).status).toBe(200);
    const rows = await t.app
      .get(DataSource)
      .query('SELECT 1 FROM identities WHERE identifier = $1', ['created-by-deprecated']);
    expect(rows).toHaveLength(1);
  });

  it('GET /identities/<identifier>/ → flags, stored traits and the segments the identity belongs to', async () => {
    await sdk(api, '/identities/', f.serverKey, {
      method: 'POST',
      body: { identifier: 'pro-user', traits: [{ trait_key: 'plan', trait_value: 'pro' }] },
    });
    const res = await sdk(api, '/identities/pro-user/', f.serverKey);
    expect(res.status).toBe(200);
    const body = res.json<{
      flags: Flag[];
      traits: { trait_key: string; trait_value: unknown }[];
      segments: unknown[];
    }>();
    expect(byName(body.flags).flag_off.feature_state_value).toBe('segment');
    expect(body.traits).toEqual([expect.objectContaining({ trait_key: 'plan', trait_value: 'pro' })]);
    expect(body.segments).toEqual([{ id: f.segmentId, name: 'pro_users' }]);
    const free = (await sdk(api, '/identities/overridden/', f.serverKey)).json<{ segments: unknown[] }>();
    expect(free.segments).toEqual([]);
  });

  it('deprecated endpoints without a key → 403', async () => {
    expect((await sdk(api, '/flags/someone', undefined)).status).toBe(403);
    expect((await sdk(api, '/identities/someone/', undefined)).status).toBe(403);
  });

  it('GET /flags/{feature_id}/multivariate-options/ → control value and option values; unknown feature → 404', async () => {
    const res = await sdk(api, `/flags/${f.featureIds.mv}/multivariate-options/`, f.clientKey);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ control_value: 'control', options: [{ value: 'a' }, { value: 'b' }] });
    expect((await sdk(api, '/flags/999999/multivariate-options/', f.clientKey)).status).toBe(404);
  });

  it('cache metrics: environment and identity cache hits and misses are counted', async () => {
    await sdk(api, '/identities/?identifier=counted-twice', f.serverKey);
    await sdk(api, '/identities/?identifier=counted-twice', f.serverKey);
    const text = await (await fetch(`${t.url}/metrics`)).text();
    const sample = (labels: string) => Number(new RegExp(`^${labels} (\\d+)$`, 'm').exec(text)?.[1] ?? 'NaN');
    expect(sample('flagport_cache_hit_total\\{cache="environment"\\}')).toBeGreaterThan(0);
    expect(sample('flagport_cache_miss_total\\{cache="environment"\\}')).toBeGreaterThan(0);
    expect(sample('flagport_cache_hit_total\\{cache="identity"\\}')).toBeGreaterThan(0);
    expect(sample('flagport_cache_miss_total\\{cache="identity"\\}')).toBeGreaterThan(0);
  });
});

describe('GET_IDENTITIES_ENDPOINT_CACHE_* and GET_FLAGS_ENDPOINT_CACHE_* (memory backend)', () => {
  let t: TestApp;
  let f: SdkFixture;
  let api: string;

  beforeAll(async () => {
    t = await startTestApp({
      ENABLE_API_USAGE_TRACKING: 'false',
      GET_IDENTITIES_ENDPOINT_CACHE_SECONDS: '60',
      GET_IDENTITIES_ENDPOINT_CACHE_BACKEND: 'django.core.cache.backends.locmem.LocMemCache',
      GET_FLAGS_ENDPOINT_CACHE_SECONDS: '60',
      GET_FLAGS_ENDPOINT_CACHE_BACKEND: 'django.core.cache.backends.locmem.LocMemCache',
    });
    f = await seedSdkFixture(t.app.get(DataSource));
    api = `${t.url}/api/v1`;
  });
  afterAll(() => t.close());

  const planOf = async (identifier: string) =>
    (await sdk(api, `/identities/?identifier=${identifier}`, f.serverKey))
      .json<{ traits: { trait_key: string; trait_value: unknown }[] }>()
      .traits.find((tr) => tr.trait_key === 'plan')?.trait_value;

  it('a cached GET /identities/ response is served until its TTL even after a trait write (as upstream)', async () => {
    expect(await planOf('overridden')).toBe('free');
    await sdk(api, '/traits/', f.serverKey, {
      method: 'POST',
      body: { identity: { identifier: 'overridden' }, trait_key: 'plan', trait_value: 'pro' },
    });
    expect(await planOf('overridden')).toBe('free');
  });

  it('a change of the environment → the cached responses are not used any more', async () => {
    await t.app.get(DataSource).transaction(async (m) => {
      await m.query(`UPDATE feature_states SET string_value = 'changed' WHERE id = $1`, [f.stateIds.flag_on]);
      await t.app.get(EnvironmentChangesService).environmentsChanged(m, [f.environmentId]);
    });
    expect(await planOf('overridden')).toBe('pro');
    const flags = (await sdk(api, '/flags/', f.clientKey)).json<Flag[]>();
    expect(byName(flags).flag_on.feature_state_value).toBe('changed');
  });

  it('responses are cached per URL and key: another identifier or key is its own entry', async () => {
    expect(await planOf('someone-else')).toBeUndefined();
    const client = await sdk(api, '/identities/?identifier=overridden', f.clientKey);
    expect(client.json<{ flags: Flag[] }>().flags.some((fl) => fl.feature.name === 'server_only')).toBe(
      false,
    );
  });

  it('a cached GET /flags/ answer keeps its ETag: If-None-Match → 304', async () => {
    const first = await sdk(api, '/flags/', f.clientKey);
    const again = await sdk(api, '/flags/', f.clientKey, {
      headers: { 'If-None-Match': first.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
  });

  it('a cached identity GET does not touch the database', async () => {
    await planOf('overridden');
    const before = QueryCounter.snapshot();
    await planOf('overridden');
    expect(QueryCounter.snapshot() - before).toBe(0);
  });
});
