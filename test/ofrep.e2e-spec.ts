import { DataSource } from 'typeorm';
import { EnvironmentChangesService } from '../src/environments/environment-changes.service';
import { Feature, FeatureState, MultivariateFeatureOption } from '../src/features/feature.entity';
import { Identity } from '../src/identities/identity.entity';
import { startTestApp, TestApp } from './support/app';
import { QueryCounter, sdk, SdkFixture, seedSdkFixture } from './support/sdk-fixtures';

interface OfrepFlag {
  key: string;
  value: unknown;
  reason: string;
  variant?: string;
  metadata: { enabled: boolean; featureId?: number };
}

interface Bulk {
  flags: OfrepFlag[];
  metadata: { version: string };
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: <T = Record<string, unknown>>() => T;
}

async function ofrep(
  base: string,
  path: string,
  headers: Record<string, string>,
  body: string | undefined = '{}',
): Promise<Answer> {
  const res = await fetch(`${base}/ofrep/v1/evaluate/flags${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
}

const context = (ctx: Record<string, unknown>) => JSON.stringify({ context: ctx });
const byKey = (bulk: Bulk) => Object.fromEntries(bulk.flags.map((f) => [f.key, f]));

describe('OFREP endpoints (/ofrep/v1/evaluate/flags)', () => {
  let t: TestApp;
  let dataSource: DataSource;
  let f: SdkFixture;
  let client: Record<string, string>;
  let server: Record<string, string>;

  beforeAll(async () => {
    QueryCounter.install();
    t = await startTestApp();
    dataSource = t.app.get(DataSource);
    f = await seedSdkFixture(dataSource);
    client = { 'X-API-Key': f.clientKey };
    server = { 'X-API-Key': f.serverKey };
  });

  afterAll(async () => {
    await t?.close();
  });

  describe('bulk evaluation', () => {
    it('without a targetingKey: environment flags with STATIC/DISABLED reasons, client key hides server-only flags, version = document updated_at', async () => {
      const res = await ofrep(t.url, '', client, '{"context":{}}');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const flags = await sdk(t.url, '/api/v1/flags/', f.clientKey);
      const bulk = res.json<Bulk>();
      expect(bulk.metadata).toEqual({
        version: flags.headers.get('x-flagsmith-document-updated-at'),
      });
      expect(byKey(bulk)).toEqual({
        flag_on: {
          key: 'flag_on',
          value: 'on',
          reason: 'STATIC',
          metadata: { enabled: true, featureId: f.featureIds.flag_on },
        },
        flag_off: {
          key: 'flag_off',
          value: 42,
          reason: 'DISABLED',
          metadata: { enabled: false, featureId: f.featureIds.flag_off },
        },
        mv: {
          key: 'mv',
          value: 'control',
          reason: 'STATIC',
          metadata: { enabled: true, featureId: f.featureIds.mv },
        },
      });
    });

    it('server key: server-only features are included', async () => {
      const bulk = (await ofrep(t.url, '', server)).json<Bulk>();
      expect(byKey(bulk).server_only).toEqual({
        key: 'server_only',
        value: true,
        reason: 'STATIC',
        metadata: { enabled: true, featureId: f.featureIds.server_only },
      });
    });

    it('a segment match is TARGETING_MATCH, a multivariate split is SPLIT with the variant /identities/ reports', async () => {
      const res = await ofrep(t.url, '', server, context({ targetingKey: 'ofrep-pro', plan: 'pro' }));
      const flags = byKey(res.json<Bulk>());
      expect(flags.flag_off).toEqual({
        key: 'flag_off',
        value: 'segment',
        reason: 'TARGETING_MATCH',
        metadata: { enabled: true, featureId: f.featureIds.flag_off },
      });
      const identity = await sdk(t.url, '/api/v1/identities/', f.serverKey, {
        method: 'POST',
        body: {
          identifier: 'ofrep-pro',
          traits: [{ trait_key: 'plan', trait_value: 'pro' }],
          transient: true,
        },
      });
      const mv = identity
        .json<{
          flags: { feature: { name: string }; feature_state_value: unknown; variant: string | null }[];
        }>()
        .flags.find((x) => x.feature.name === 'mv');
      expect(flags.mv.reason).toBe('SPLIT');
      expect(flags.mv.value).toBe(mv?.feature_state_value);
      // /identities/ names only keyed options; OFREP names an option without a key by its id (ofrep.md §7).
      const option = await dataSource
        .getRepository(MultivariateFeatureOption)
        .findOneByOrFail({ featureId: f.featureIds.mv, stringValue: String(mv?.feature_state_value) });
      expect(flags.mv.variant).toBe(mv?.variant ?? String(option.id));
    });

    it('a multivariate split onto an option without a key: variant is the option id as a string', async () => {
      const optionB = await dataSource
        .getRepository(MultivariateFeatureOption)
        .findOneByOrFail({ featureId: f.featureIds.mv, stringValue: 'b' });
      expect(optionB.key).toBeNull();
      const evaluations = await Promise.all(
        Array.from(
          { length: 20 },
          async (_, i) =>
            byKey(
              (await ofrep(t.url, '', server, context({ targetingKey: `ofrep-split-${i}` }))).json<Bulk>(),
            ).mv,
        ),
      );
      const onB = evaluations.filter((flag) => flag.value === 'b');
      const onA = evaluations.filter((flag) => flag.value === 'a');
      expect(onB.length).toBeGreaterThan(0); // 50 %: twenty identities all on "a" is a 1-in-a-million draw
      expect(new Set(onB.map((flag) => [flag.reason, flag.variant].join()))).toEqual(
        new Set([`SPLIT,${optionB.id}`]),
      );
      expect(new Set(onA.map((flag) => flag.variant))).toEqual(new Set(onA.length ? ['variant_a'] : []));
    });

    it('targetingKey with a stored identity override: the override wins (disabled override → DISABLED with its value)', async () => {
      const flags = byKey(
        (await ofrep(t.url, '', server, context({ targetingKey: 'overridden' }))).json<Bulk>(),
      );
      expect(flags.flag_on).toEqual({
        key: 'flag_on',
        value: 'identity',
        reason: 'DISABLED',
        metadata: { enabled: false, featureId: f.featureIds.flag_on },
      });
    });

    it('context traits are evaluated transiently: no identity or trait is stored', async () => {
      const res = await ofrep(
        t.url,
        '',
        client,
        context({ targetingKey: 'ofrep-never-stored', plan: 'pro' }),
      );
      expect(byKey(res.json<Bulk>()).flag_off.value).toBe('segment');
      const stored = await dataSource
        .getRepository(Identity)
        .count({ where: { identifier: 'ofrep-never-stored' } });
      expect(stored).toBe(0);
    });

    it('structured and null context attributes are ignored, not refused', async () => {
      const res = await ofrep(
        t.url,
        '',
        client,
        context({ targetingKey: 'ofrep-structured', plan: 'pro', nested: { a: 1 }, list: [1], gone: null }),
      );
      expect(res.status).toBe(200);
      expect(byKey(res.json<Bulk>()).flag_off.reason).toBe('TARGETING_MATCH');
    });

    it('If-None-Match with the ETag: 304 with an empty body; after a flag change: 200 with a new ETag', async () => {
      const body = context({ targetingKey: 'etag-user', plan: 'pro' });
      const first = await ofrep(t.url, '', client, body);
      const etag = first.headers.get('etag');
      expect(etag).toMatch(/^".+"$/);
      const second = await ofrep(t.url, '', { ...client, 'If-None-Match': etag! }, body);
      expect([second.status, second.text, second.headers.get('etag')]).toEqual([304, '', etag]);

      const other = await ofrep(
        t.url,
        '',
        { ...client, 'If-None-Match': etag! },
        context({ targetingKey: 'x' }),
      );
      expect(other.status).toBe(200);

      await dataSource.transaction(async (m) => {
        await m.update(FeatureState, { id: f.stateIds.flag_on }, { stringValue: 'changed' });
        await t.app.get(EnvironmentChangesService).environmentsChanged(m, [f.environmentId]);
      });
      const third = await ofrep(t.url, '', { ...client, 'If-None-Match': etag! }, body);
      expect(third.status).toBe(200);
      expect(third.headers.get('etag')).not.toBe(etag);
      expect(byKey(third.json<Bulk>()).flag_on.value).toBe('changed');
    });

    it('a cached environment is answered without any database query (with and without targetingKey)', async () => {
      await ofrep(t.url, '', client, context({ targetingKey: 'warm' }));
      await ofrep(t.url, '', client);
      const before = QueryCounter.snapshot();
      const a = await ofrep(t.url, '', client);
      const b = await ofrep(t.url, '', client, context({ targetingKey: 'cached-user', plan: 'pro' }));
      const c = await ofrep(t.url, '/flag_on', client, context({ targetingKey: 'cached-user' }));
      expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
      expect(QueryCounter.snapshot() - before).toBe(0);
    });
  });

  describe('single-flag evaluation', () => {
    it('returns key, value, reason, variant and metadata of one flag', async () => {
      const res = await ofrep(t.url, '/flag_off', server, context({ targetingKey: 'single', plan: 'pro' }));
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({
        key: 'flag_off',
        value: 'segment',
        reason: 'TARGETING_MATCH',
        metadata: { enabled: true, featureId: f.featureIds.flag_off },
      });
    });

    it('unknown flag: 404 FLAG_NOT_FOUND naming the key', async () => {
      const res = await ofrep(t.url, '/no_such_flag', client);
      expect([res.status, res.json()]).toEqual([
        404,
        {
          key: 'no_such_flag',
          errorCode: 'FLAG_NOT_FOUND',
          errorDetails: "Flag 'no_such_flag' was not found",
        },
      ]);
    });

    it('server-only flag with a client key: 404 FLAG_NOT_FOUND', async () => {
      const res = await ofrep(t.url, '/server_only', client);
      expect(res.status).toBe(404);
      expect(res.json()).toMatchObject({ key: 'server_only', errorCode: 'FLAG_NOT_FOUND' });
    });

    it('a disabled flag without a value: value false, reason DISABLED', async () => {
      const bare = await dataSource.transaction(async (m) => {
        const feature = await m.save(m.create(Feature, { name: 'bare_off', projectId: f.projectId }));
        await m.save(
          m.create(FeatureState, { featureId: feature.id, environmentId: f.environmentId, enabled: false }),
        );
        await t.app.get(EnvironmentChangesService).environmentsChanged(m, [f.environmentId]);
        return feature;
      });
      const res = await ofrep(t.url, '/bare_off', client);
      expect(res.json()).toEqual({
        key: 'bare_off',
        value: false,
        reason: 'DISABLED',
        metadata: { enabled: false, featureId: bare.id },
      });
    });
  });

  describe('authentication', () => {
    it.each([
      ['X-API-Key client key', () => ({ 'X-API-Key': f.clientKey })],
      ['X-API-Key server key', () => ({ 'X-API-Key': f.serverKey })],
      ['Authorization: Bearer', () => ({ Authorization: `Bearer ${f.clientKey}` })],
      ['X-Environment-Key', () => ({ 'X-Environment-Key': f.serverKey })],
    ])('%s is accepted', async (_name, headers) => {
      expect((await ofrep(t.url, '', headers())).status).toBe(200);
      expect((await ofrep(t.url, '/flag_on', headers())).status).toBe(200);
    });

    it('missing or unknown key: 401 with an OFREP error body', async () => {
      const missing = await ofrep(t.url, '', {});
      expect([missing.status, missing.json().errorCode]).toEqual([401, 'GENERAL']);
      const unknown = await ofrep(t.url, '/flag_on', { 'X-API-Key': 'not-a-key' });
      expect([unknown.status, unknown.json()]).toEqual([
        401,
        { key: 'flag_on', errorCode: 'GENERAL', errorDetails: 'Invalid environment key.' },
      ]);
      const basic = await ofrep(t.url, '', { Authorization: `Basic ${f.clientKey}` });
      expect(basic.status).toBe(401);
    });

    it('organisation stopped serving flags: 403', async () => {
      const stopped = await seedSdkFixture(dataSource, { organisation: { stopServingFlags: true } });
      const res = await ofrep(t.url, '', { 'X-API-Key': stopped.clientKey });
      expect([res.status, res.json().errorCode]).toEqual([403, 'GENERAL']);
    });
  });

  describe('malformed requests get 400 INVALID_CONTEXT, never a 500', () => {
    it.each([
      ['invalid JSON', '{"context": '],
      ['a JSON array body', '[]'],
      ['a string context', '{"context":"user-1"}'],
      ['a numeric targetingKey', '{"context":{"targetingKey":12}}'],
      ['a targetingKey with control characters', '{"context":{"targetingKey":"a\\u0000b"}}'],
    ])('%s', async (_name, body) => {
      const bulk = await ofrep(t.url, '', client, body);
      expect([bulk.status, bulk.json().errorCode]).toEqual([400, 'INVALID_CONTEXT']);
      expect(bulk.json().errorDetails).toEqual(expect.any(String));
      const single = await ofrep(t.url, '/flag_on', client, body);
      expect([single.status, single.json().key, single.json().errorCode]).toEqual([
        400,
        'flag_on',
        'INVALID_CONTEXT',
      ]);
    });

    it('a non-JSON content type', async () => {
      const res = await fetch(`${t.url}/ofrep/v1/evaluate/flags`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'X-API-Key': f.clientKey },
        body: 'hello',
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { errorCode: string }).errorCode).toBe('INVALID_CONTEXT');
    });

    it('an empty body is "no context"', async () => {
      const res = await ofrep(t.url, '', client, '');
      expect(res.status).toBe(200);
    });
  });

  it('hide_disabled_flags leaves disabled flags out', async () => {
    const hidden = await seedSdkFixture(dataSource, { project: { hideDisabledFlags: true } });
    const bulk = (await ofrep(t.url, '', { 'X-API-Key': hidden.clientKey })).json<Bulk>();
    expect(bulk.flags.map((x) => x.key).sort()).toEqual(['flag_on', 'mv']);
    expect((await ofrep(t.url, '/flag_off', { 'X-API-Key': hidden.clientKey })).status).toBe(404);
  });

  it('preflight from a page origin allows the OFREP headers', async () => {
    const res = await fetch(`${t.url}/ofrep/v1/evaluate/flags`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-api-key, content-type, if-none-match',
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toContain('x-api-key');
  });
});
