import { DataSource } from 'typeorm';
import { EnvironmentChangesService } from '../src/environments/environment-changes.service';
import { startTestApp, TestApp } from './support/app';
import { queryDatabase } from './support/database';
import { sdk, SdkFixture, seedSdkFixture } from './support/sdk-fixtures';

interface Flag {
  id: number | null;
  feature: {
    id: number;
    name: string;
    created_date: string | null;
    description: string | null;
    type: string;
  };
  feature_state_value: unknown;
  environment: number | null;
  identity: number | null;
  feature_segment: number | null;
  enabled: boolean;
  variant?: string | null;
}
interface TraitOut {
  id: number | null;
  trait_key: string;
  trait_value: unknown;
  transient: boolean;
}
interface IdentityOut {
  identifier: string;
  flags: Flag[];
  traits: TraitOut[];
}

const byName = (flags: Flag[]) => Object.fromEntries(flags.map((f) => [f.feature.name, f]));

describe('SDK endpoints (flags, identities, traits, environment document, analytics)', () => {
  let t: TestApp;
  let f: SdkFixture;
  let api: string;
  let ds: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    ds = t.app.get(DataSource);
    f = await seedSdkFixture(ds);
    api = `${t.url}/api/v1`;
  });
  afterAll(async () => {
    await t.close();
  });

  const traitRows = (identifier: string) =>
    queryDatabase<{ trait_key: string; value_type: string }>(
      t.databaseUrl,
      `SELECT t.trait_key, t.value_type FROM traits t JOIN identities i ON i.id = t.identity_id
        WHERE i.identifier = $1 ORDER BY t.trait_key`,
      [identifier],
    );
  const identityCount = async (identifier: string) =>
    Number(
      (
        await queryDatabase<{ n: string }>(
          t.databaseUrl,
          'SELECT count(*) AS n FROM identities WHERE identifier = $1',
          [identifier],
        )
      )[0].n,
    );

  // ---------------------------------------------------------------------------------------------- auth
  describe('authentication', () => {
    it.each([
      ['GET', '/flags/'],
      ['GET', '/identities/?identifier=x'],
      ['POST', '/identities/'],
      ['POST', '/traits/'],
      ['PUT', '/traits/bulk/'],
      ['GET', '/environment-document/'],
      ['POST', '/analytics/flags/'],
    ])('%s %s without a key → 403 "Invalid or missing Environment key"', async (method, path) => {
      const res = await sdk(api, path, undefined, { method, body: method === 'GET' ? undefined : {} });
      expect(res.status).toBe(403);
      expect(res.json()).toEqual({ detail: 'Invalid or missing Environment key' });
    });

    it('GET /flags/ with an unknown key → 403 "Invalid or missing Environment Key"', async () => {
      const res = await sdk(api, '/flags/', 'not-a-key');
      expect(res.status).toBe(403);
      expect(res.json()).toEqual({ detail: 'Invalid or missing Environment Key' });
    });

    it('GET /flags/ with an unknown ser. key → 403', async () => {
      expect((await sdk(api, '/flags/', 'ser.doesnotexist')).status).toBe(403);
    });

    it('GET /environment-document/ with a client key → 403 "Invalid or missing Environment key"', async () => {
      const res = await sdk(api, '/environment-document/', f.clientKey);
      expect(res.status).toBe(403);
      expect(res.json()).toEqual({ detail: 'Invalid or missing Environment key' });
    });

    it('a revoked (inactive) server key stops working on the next request', async () => {
      const key = 'ser.revokedkeyrevokedkey1';
      await queryDatabase(
        t.databaseUrl,
        `INSERT INTO environment_api_keys (key, name, environment_id) VALUES ($1, 'r', $2)`,
        [key, f.environmentId],
      );
      expect((await sdk(api, '/flags/', key)).status).toBe(200);
      await ds.transaction(async (m) => {
        await m.query('UPDATE environment_api_keys SET active = false WHERE key = $1', [key]);
        await t.app.get(EnvironmentChangesService).keysChanged(m, [f.environmentId]);
      });
      expect((await sdk(api, '/flags/', key)).status).toBe(403);
    });

    it('a deleted server key stops working on the next request', async () => {
      const key = 'ser.deletedkeydeletedkey1';
      await queryDatabase(
        t.databaseUrl,
        `INSERT INTO environment_api_keys (key, name, environment_id) VALUES ($1, 'd', $2)`,
        [key, f.environmentId],
      );
      expect((await sdk(api, '/environment-document/', key)).status).toBe(200);
      await ds.transaction(async (m) => {
        await m.query('DELETE FROM environment_api_keys WHERE key = $1', [key]);
        await t.app.get(EnvironmentChangesService).keysChanged(m, [f.environmentId]);
      });
      expect((await sdk(api, '/environment-document/', key)).status).toBe(403);
    });

    it('a server key expires at expires_at without any change event (checked per request)', async () => {
      const key = 'ser.expiringkeyexpiring01';
      await queryDatabase(
        t.databaseUrl,
        `INSERT INTO environment_api_keys (key, name, environment_id, expires_at) VALUES ($1, 'e', $2, now() + interval '1 second')`,
        [key, f.environmentId],
      );
      expect((await sdk(api, '/flags/', key)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1100));
      expect((await sdk(api, '/flags/', key)).status).toBe(403);
    });

    it('an already expired server key → 403', async () => {
      const key = 'ser.expiredkeyexpiredkey1';
      await queryDatabase(
        t.databaseUrl,
        `INSERT INTO environment_api_keys (key, name, environment_id, expires_at) VALUES ($1, 'x', $2, now() - interval '1 minute')`,
        [key, f.environmentId],
      );
      expect((await sdk(api, '/flags/', key)).status).toBe(403);
    });

    it('organisation stop_serving_flags → 403 "Organisation is disabled from serving flags."', async () => {
      const other = await seedSdkFixture(ds, { organisation: { stopServingFlags: true } });
      const res = await sdk(api, '/flags/', other.clientKey);
      expect(res.status).toBe(403);
      expect(res.json()).toEqual({ detail: 'Organisation is disabled from serving flags.' });
    });
  });

  // ---------------------------------------------------------------------------------------------- flags
  describe('GET /flags/', () => {
    it('client key: environment defaults, server-key-only features hidden, typed values, flag object shape', async () => {
      const res = await sdk(api, '/flags/', f.clientKey);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const flags = res.json<Flag[]>();
      expect(flags.map((x) => x.feature.name)).toEqual(['flag_on', 'flag_off', 'mv']);
      const m = byName(flags);
      expect(m.flag_on).toEqual({
        id: f.stateIds.flag_on,
        feature: {
          id: f.featureIds.flag_on,
          name: 'flag_on',
          created_date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
          description: 'on flag',
          initial_value: null,
          default_enabled: true,
          type: 'STANDARD',
        },
        feature_state_value: 'on',
        environment: f.environmentId,
        identity: null,
        feature_segment: null,
        enabled: true,
      });
      expect(m.flag_off.feature_state_value).toBe(42);
      expect(m.flag_off.enabled).toBe(false);
      expect(m.mv.feature_state_value).toBe('control');
      expect(m.mv.feature.type).toBe('MULTIVARIATE');
    });

    it('server key: server-key-only features included', async () => {
      const flags = (await sdk(api, '/flags/', f.serverKey)).json<Flag[]>();
      expect(byName(flags).server_only.feature_state_value).toBe(true);
    });

    it('answers with and without the trailing slash', async () => {
      expect((await sdk(api, '/flags', f.clientKey)).status).toBe(200);
      expect((await sdk(api, '/flags/', f.clientKey)).status).toBe(200);
    });

    it('headers: X-Flagsmith-Document-Updated-At (epoch float), ETag, Last-Modified, Vary', async () => {
      const res = await sdk(api, '/flags/', f.clientKey);
      expect(res.headers.get('x-flagsmith-document-updated-at')).toMatch(/^\d{10}\.\d{6}$/);
      expect(res.headers.get('etag')).toMatch(/^".+"$/);
      expect(res.headers.get('last-modified')).toMatch(/GMT$/);
      expect(res.headers.get('vary')).toMatch(/X-Environment-Key/i);
    });

    it('?feature=<name> → the single flag object; unknown → 404 "Given feature not found"', async () => {
      const one = await sdk(api, '/flags/?feature=flag_off', f.clientKey);
      expect(one.status).toBe(200);
      expect(one.json<Flag>().feature.name).toBe('flag_off');
      const missing = await sdk(api, '/flags/?feature=nope', f.clientKey);
      expect(missing.status).toBe(404);
      expect(missing.json()).toEqual({ detail: 'Given feature not found' });
      // client keys cannot see server-key-only features, not even by name
      expect((await sdk(api, '/flags/?feature=server_only', f.clientKey)).status).toBe(404);
      expect((await sdk(api, '/flags/?feature=server_only', f.serverKey)).status).toBe(200);
    });

    it('If-None-Match with the ETag → 304 empty; with another tag → 200', async () => {
      const first = await sdk(api, '/flags/', f.clientKey);
      const etag = first.headers.get('etag')!;
      const again = await sdk(api, '/flags/', f.clientKey, { headers: { 'If-None-Match': etag } });
      expect(again.status).toBe(304);
      expect(again.text).toBe('');
      expect(
        (await sdk(api, '/flags/', f.clientKey, { headers: { 'If-None-Match': '"other"' } })).status,
      ).toBe(200);
    });

    it('If-Modified-Since at/after updated_at → 304; before → 200', async () => {
      const first = await sdk(api, '/flags/', f.clientKey);
      const lastModified = first.headers.get('last-modified')!;
      expect(
        (await sdk(api, '/flags/', f.clientKey, { headers: { 'If-Modified-Since': lastModified } })).status,
      ).toBe(304);
      const earlier = new Date(Date.parse(lastModified) - 10_000).toUTCString();
      expect(
        (await sdk(api, '/flags/', f.clientKey, { headers: { 'If-Modified-Since': earlier } })).status,
      ).toBe(200);
    });

    it('ETag and X-Flagsmith-Document-Updated-At change after a write', async () => {
      const before = await sdk(api, '/flags/', f.clientKey);
      await ds.transaction(async (m) => {
        await m.query(`UPDATE feature_states SET string_value = 'on-2' WHERE id = $1`, [f.stateIds.flag_on]);
        await t.app.get(EnvironmentChangesService).environmentsChanged(m, [f.environmentId]);
      });
      const after = await sdk(api, '/flags/', f.clientKey);
      expect(byName(after.json<Flag[]>()).flag_on.feature_state_value).toBe('on-2');
      expect(after.headers.get('etag')).not.toBe(before.headers.get('etag'));
      expect(Number(after.headers.get('x-flagsmith-document-updated-at'))).toBeGreaterThan(
        Number(before.headers.get('x-flagsmith-document-updated-at')),
      );
      const stale = await sdk(api, '/flags/', f.clientKey, {
        headers: { 'If-None-Match': before.headers.get('etag')! },
      });
      expect(stale.status).toBe(200);
    });

    it('hide_disabled_flags (environment setting) → only enabled flags', async () => {
      const other = await seedSdkFixture(ds, { environment: { hideDisabledFlags: true } });
      const flags = (await sdk(api, '/flags/', other.clientKey)).json<Flag[]>();
      expect(flags.map((x) => x.feature.name)).toEqual(['flag_on', 'mv']);
    });

    it('hide_disabled_flags inherited from the project when the environment leaves it null', async () => {
      const other = await seedSdkFixture(ds, { project: { hideDisabledFlags: true } });
      const flags = (await sdk(api, '/flags/', other.serverKey)).json<Flag[]>();
      expect(flags.every((x) => x.enabled)).toBe(true);
    });

    it('hide_sensitive_data → ids, environment and feature metadata null', async () => {
      const other = await seedSdkFixture(ds, { environment: { hideSensitiveData: true } });
      const flag = byName((await sdk(api, '/flags/', other.clientKey)).json<Flag[]>()).flag_on;
      expect(flag).toEqual({
        id: null,
        feature: {
          id: other.featureIds.flag_on,
          name: 'flag_on',
          created_date: null,
          description: null,
          initial_value: null,
          default_enabled: null,
          type: 'STANDARD',
        },
        feature_state_value: 'on',
        environment: null,
        identity: null,
        feature_segment: null,
        enabled: true,
      });
    });
  });

  // ---------------------------------------------------------------------------------------------- environment document
  describe('GET /environment-document/', () => {
    it('server key: the §5.1 document with the CLIENT api_key, segments, overrides and settings', async () => {
      const res = await sdk(api, '/environment-document/', f.serverKey);
      expect(res.status).toBe(200);
      const doc = res.json<Record<string, unknown> & { project: Record<string, unknown> }>();
      expect(doc.api_key).toBe(f.clientKey);
      expect(doc.id).toBe(f.environmentId);
      expect(doc.project.organisation).toEqual({
        id: f.organisationId,
        name: 'Org',
        feature_analytics: false,
        stop_serving_flags: false,
        persist_trait_data: true,
      });
      expect(doc.project.server_key_only_feature_ids).toEqual([f.featureIds.server_only]);
      expect(doc.project.segments).toEqual([
        {
          id: f.segmentId,
          name: 'pro_users',
          rules: [
            {
              type: 'ALL',
              rules: [
                {
                  type: 'ANY',
                  rules: [],
                  conditions: [{ operator: 'EQUAL', property_: 'plan', value: 'pro' }],
                },
              ],
              conditions: [],
            },
          ],
          feature_states: [
            expect.objectContaining({
              django_id: f.segmentStateId,
              feature_segment: { priority: 0 },
              feature_state_value: 'segment',
              enabled: true,
            }),
          ],
        },
      ]);
      const states = doc.feature_states as {
        feature: { name: string };
        multivariate_feature_state_values: unknown[];
      }[];
      expect(states.map((s) => s.feature.name)).toEqual(['flag_on', 'flag_off', 'server_only', 'mv']);
      expect(states[3].multivariate_feature_state_values).toEqual([
        expect.objectContaining({
          percentage_allocation: 50,
          multivariate_feature_option: expect.objectContaining({ value: 'a', key: 'variant_a' }),
        }),
        expect.objectContaining({
          percentage_allocation: 50,
          multivariate_feature_option: expect.objectContaining({ value: 'b', key: null }),
        }),
      ]);
      expect(doc.identity_overrides).toEqual([
        expect.objectContaining({
          identifier: 'overridden',
          environment_api_key: f.clientKey,
          composite_key: `${f.clientKey}_overridden`,
          identity_traits: [],
          identity_features: [
            expect.objectContaining({
              django_id: f.identityOverrideStateId,
              feature_state_value: 'identity',
            }),
          ],
        }),
      ]);
      expect(doc.use_identity_overrides_in_local_eval).toBe(true);
      expect(doc.updated_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
      expect(res.headers.get('x-flagsmith-document-updated-at')).toMatch(/^\d+\.\d+$/);
    });

    it('use_identity_overrides_in_local_eval = false → identity_overrides []', async () => {
      const other = await seedSdkFixture(ds, { environment: { useIdentityOverridesInLocalEval: false } });
      const doc = (await sdk(api, '/environment-document/', other.serverKey)).json<{
        identity_overrides: unknown[];
      }>();
      expect(doc.identity_overrides).toEqual([]);
    });

    it('If-Modified-Since = Last-Modified → 304 with empty body', async () => {
      const first = await sdk(api, '/environment-document/', f.serverKey);
      const res = await sdk(api, '/environment-document/', f.serverKey, {
        headers: { 'If-Modified-Since': first.headers.get('last-modified')! },
      });
      expect(res.status).toBe(304);
      expect(res.text).toBe('');
    });
  });

  // ---------------------------------------------------------------------------------------------- identities
  describe('GET /identities/', () => {
    it('missing identifier → 200 {"detail": "Missing identifier"} (upstream quirk)', async () => {
      const res = await sdk(api, '/identities/', f.clientKey);
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ detail: 'Missing identifier' });
    });

    it('new identifier: identity created, environment flags, MV bucketed with a variant, no traits', async () => {
      const res = await sdk(api, '/identities/?identifier=new-user-1', f.serverKey);
      expect(res.status).toBe(200);
      const body = res.json<IdentityOut>();
      expect(body.identifier).toBe('new-user-1');
      expect(body.traits).toEqual([]);
      const m = byName(body.flags);
      expect(m.flag_on.variant).toBeNull();
      expect(['a', 'b']).toContain(m.mv.feature_state_value);
      expect(m.mv.variant).toBe(m.mv.feature_state_value === 'a' ? 'variant_a' : null);
      expect(await identityCount('new-user-1')).toBe(1);
    });

    it('stored identity: identity override wins and stored traits are returned', async () => {
      const body = (await sdk(api, '/identities/?identifier=overridden', f.clientKey)).json<IdentityOut>();
      const m = byName(body.flags);
      expect(m.flag_on).toMatchObject({
        id: f.identityOverrideStateId,
        identity: f.identityId,
        enabled: false,
        feature_state_value: 'identity',
      });
      expect(body.traits).toEqual([
        { id: expect.any(Number), trait_key: 'plan', trait_value: 'free', transient: false },
      ]);
    });

    it('identity overrides are honoured remotely even when use_identity_overrides_in_local_eval is false', async () => {
      const other = await seedSdkFixture(ds, { environment: { useIdentityOverridesInLocalEval: false } });
      const body = (
        await sdk(api, '/identities/?identifier=overridden', other.serverKey)
      ).json<IdentityOut>();
      expect(byName(body.flags).flag_on.feature_state_value).toBe('identity');
    });

    it('transient=1: nothing persisted, no stored traits or overrides', async () => {
      const body = (
        await sdk(api, '/identities/?identifier=overridden&transient=1', f.clientKey)
      ).json<IdentityOut>();
      expect(body.traits).toEqual([]);
      expect(byName(body.flags).flag_on.feature_state_value).toBe('on-2');
      await sdk(api, '/identities/?identifier=transient-get&transient=true', f.clientKey);
      expect(await identityCount('transient-get')).toBe(0);
    });

    it('?feature= → single flag with variant; unknown → 404', async () => {
      const one = await sdk(api, '/identities/?identifier=u1&feature=mv', f.clientKey);
      expect(one.status).toBe(200);
      expect(one.json<Flag>()).toHaveProperty('variant');
      expect((await sdk(api, '/identities/?identifier=u1&feature=zzz', f.clientKey)).status).toBe(404);
    });

    it('client key hides server-key-only features; server key shows them', async () => {
      const c = (await sdk(api, '/identities/?identifier=u2', f.clientKey)).json<IdentityOut>();
      const s = (await sdk(api, '/identities/?identifier=u2', f.serverKey)).json<IdentityOut>();
      expect(byName(c.flags).server_only).toBeUndefined();
      expect(byName(s.flags).server_only).toBeDefined();
    });

    it('ETag on GET /identities/, If-None-Match → 304', async () => {
      const first = await sdk(api, '/identities/?identifier=u3', f.clientKey);
      const res = await sdk(api, '/identities/?identifier=u3', f.clientKey, {
        headers: { 'If-None-Match': first.headers.get('etag')! },
      });
      expect(res.status).toBe(304);
    });

    it.each([
      ['longer than 2000 characters', 'x'.repeat(2001)],
      ['with a control character', 'bad\u0001id'],
    ])('identifier %s → 400 {"identifier": [...]}, nothing persisted', async (_name, identifier) => {
      const res = await sdk(api, `/identities/?identifier=${encodeURIComponent(identifier)}`, f.clientKey);
      expect(res.status).toBe(400);
      expect(res.json()).toEqual({ identifier: [expect.any(String)] });
      expect(await identityCount(identifier)).toBe(0);
    });

    it('hide_sensitive_data → traits [] and ids null', async () => {
      const other = await seedSdkFixture(ds, { environment: { hideSensitiveData: true } });
      const body = (
        await sdk(api, '/identities/?identifier=overridden', other.clientKey)
      ).json<IdentityOut>();
      expect(body.traits).toEqual([]);
      expect(body.flags.every((x) => x.id === null && x.identity === null)).toBe(true);
    });
  });

  describe('POST /identities/', () => {
    it('normal: 200 (not 201), identity created, traits persisted typed, segment override applies', async () => {
      const res = await sdk(api, '/identities/', f.serverKey, {
        method: 'POST',
        body: {
          identifier: 'poster',
          traits: [
            { trait_key: 'plan', trait_value: 'pro' },
            { trait_key: 'age', trait_value: 30 },
            { trait_key: 'score', trait_value: 1.5 },
            { trait_key: 'beta', trait_value: true },
          ],
        },
      });
      expect(res.status).toBe(200);
      const body = res.json<IdentityOut>();
      expect(body.identifier).toBe('poster');
      expect(res.headers.get('x-flagsmith-document-updated-at')).toMatch(/^\d+\.\d+$/);
      const off = byName(body.flags).flag_off;
      expect(off).toMatchObject({
        enabled: true,
        feature_state_value: 'segment',
        feature_segment: f.featureSegmentId,
        id: f.segmentStateId,
      });
      expect(body.traits.map((x) => [x.trait_key, x.trait_value, x.transient])).toEqual([
        ['plan', 'pro', false],
        ['age', 30, false],
        ['score', 1.5, false],
        ['beta', true, false],
      ]);
      expect(body.traits.every((x) => typeof x.id === 'number')).toBe(true);
      expect(await traitRows('poster')).toEqual([
        { trait_key: 'age', value_type: 'int' },
        { trait_key: 'beta', value_type: 'bool' },
        { trait_key: 'plan', value_type: 'unicode' },
        { trait_key: 'score', value_type: 'float' },
      ]);
    });

    it('normal: a null value deletes the stored trait; a changed value updates it', async () => {
      const res = await sdk(api, '/identities/', f.serverKey, {
        method: 'POST',
        body: {
          identifier: 'poster',
          traits: [
            { trait_key: 'age', trait_value: null },
            { trait_key: 'plan', trait_value: 'free' },
          ],
        },
      });
      expect(res.status).toBe(200);
      const traits = res.json<IdentityOut>().traits;
      expect(traits.find((x) => x.trait_key === 'age')).toBeUndefined();
      expect(traits.find((x) => x.trait_key === 'plan')?.trait_value).toBe('free');
      expect(byName(res.json<IdentityOut>().flags).flag_off.feature_state_value).toBe(42);
      expect((await traitRows('poster')).map((r) => r.trait_key)).toEqual(['beta', 'plan', 'score']);
    });

    it('a transient trait is used for this evaluation only and not stored', async () => {
      const res = await sdk(api, '/identities/', f.serverKey, {
        method: 'POST',
        body: { identifier: 'poster', traits: [{ trait_key: 'plan', trait_value: 'pro', transient: true }] },
      });
      const body = res.json<IdentityOut>();
      expect(byName(body.flags).flag_off.feature_state_value).toBe('segment');
      expect(body.traits.find((x) => x.trait_key === 'plan')).toEqual({
        id: null,
        trait_key: 'plan',
        trait_value: 'pro',
        transient: true,
      });
      const stored = await queryDatabase<{ string_value: string }>(
        t.databaseUrl,
        `SELECT t.string_value FROM traits t JOIN identities i ON i.id = t.identity_id WHERE i.identifier = 'poster' AND t.trait_key = 'plan'`,
      );
      expect(stored).toEqual([{ string_value: 'free' }]);
    });

    it('transient: true → stored traits overlaid, nothing written, identity not created', async () => {
      const res = await sdk(api, '/identities/', f.serverKey, {
        method: 'POST',
        body: { identifier: 'ghost', traits: [{ trait_key: 'plan', trait_value: 'pro' }], transient: true },
      });
      expect(res.status).toBe(200);
      expect(byName(res.json<IdentityOut>().flags).flag_off.feature_state_value).toBe('segment');
      expect(await identityCount('ghost')).toBe(0);
    });

    it('no identifier → fully transient: sha256 identifier from the traits, nothing persisted', async () => {
      const before = await queryDatabase<{ n: string }>(
        t.databaseUrl,
        'SELECT count(*) AS n FROM identities',
      );
      const res = await sdk(api, '/identities/', f.clientKey, {
        method: 'POST',
        body: {
          traits: [
            { trait_key: 'b', trait_value: true },
            { trait_key: 'a', trait_value: 1 },
          ],
        },
      });
      expect(res.status).toBe(200);
      const body = res.json<IdentityOut>();
      const { createHash } = await import('node:crypto');
      expect(body.identifier).toBe(createHash('sha256').update('a1bTrue').digest('hex'));
      expect(body.traits.every((x) => x.transient && x.id === null)).toBe(true);
      const after = await queryDatabase<{ n: string }>(t.databaseUrl, 'SELECT count(*) AS n FROM identities');
      expect(after).toEqual(before);
    });

    it('client key with allow_client_traits = false → incoming traits ignored', async () => {
      const other = await seedSdkFixture(ds, { environment: { allowClientTraits: false } });
      const res = await sdk(api, '/identities/', other.clientKey, {
        method: 'POST',
        body: { identifier: 'ct', traits: [{ trait_key: 'plan', trait_value: 'pro' }] },
      });
      expect(res.status).toBe(200);
      expect(res.json<IdentityOut>().traits).toEqual([]);
      expect(byName(res.json<IdentityOut>().flags).flag_off.feature_state_value).toBe(42);
    });

    it('persist_trait_data = false → traits used in memory only', async () => {
      const other = await seedSdkFixture(ds, { organisation: { persistTraitData: false } });
      const res = await sdk(api, '/identities/', other.serverKey, {
        method: 'POST',
        body: { identifier: 'np', traits: [{ trait_key: 'plan', trait_value: 'pro' }] },
      });
      expect(byName(res.json<IdentityOut>().flags).flag_off.feature_state_value).toBe('segment');
      const rows = await queryDatabase(
        t.databaseUrl,
        `SELECT 1 FROM traits t JOIN identities i ON i.id = t.identity_id
          WHERE i.environment_id = $1 AND i.identifier = 'np'`,
        [other.environmentId],
      );
      expect(rows).toEqual([]);
      expect(await identityCount('np')).toBe(1);
    });

    it('1000 traits in one request → 200, all stored', async () => {
      const traits = Array.from({ length: 1000 }, (_, i) => ({ trait_key: `k${i}`, trait_value: i }));
      const res = await sdk(api, '/identities/', f.serverKey, {
        method: 'POST',
        body: { identifier: 'many', traits },
      });
      expect(res.status).toBe(200);
      expect(res.json<IdentityOut>().traits).toHaveLength(1000);
      expect(await traitRows('many')).toHaveLength(1000);
    });

    it.each<[string, unknown, Record<string, unknown>]>([
      [
        'identifier longer than 2000 characters',
        { identifier: 'x'.repeat(2001) },
        { identifier: [expect.any(String)] },
      ],
      ['identifier with a control character', { identifier: 'a\nb' }, { identifier: [expect.any(String)] }],
      ['identifier that is an object', { identifier: { a: 1 } }, { identifier: ['Not a valid string.'] }],
      [
        'trait string over 2000 characters',
        { identifier: 'bad1', traits: [{ trait_key: 'k', trait_value: 'x'.repeat(2001) }] },
        { traits: [{ trait_value: ['Value string is too long. Must be less than 2000 character'] }] },
      ],
      [
        'traits not a list',
        { identifier: 'bad2', traits: 'nope' },
        { traits: { non_field_errors: [expect.any(String)] } },
      ],
      [
        'trait without trait_key',
        { identifier: 'bad3', traits: [{ trait_value: 1 }] },
        { traits: [{ trait_key: ['This field is required.'] }] },
      ],
      [
        'trait key over 200 characters',
        { identifier: 'bad4', traits: [{ trait_key: 'k'.repeat(201), trait_value: 1 }] },
        { traits: [{ trait_key: [expect.any(String)] }] },
      ],
      [
        'trait item not an object',
        { identifier: 'bad5', traits: [5] },
        { traits: [{ non_field_errors: [expect.any(String)] }] },
      ],
      [
        'transient not a boolean',
        { identifier: 'bad6', transient: 'maybe' },
        { transient: ['Must be a valid boolean.'] },
      ],
      [
        'body is a list',
        [1, 2],
        { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] },
      ],
    ])('bad input: %s → 400 DRF field errors, nothing persisted', async (_name, body, expected) => {
      const res = await sdk(api, '/identities/', f.serverKey, { method: 'POST', body });
      expect(res.status).toBe(400);
      expect(res.json()).toEqual(expected);
      const identifier = (body as { identifier?: unknown }).identifier;
      if (typeof identifier === 'string') expect(await identityCount(identifier)).toBe(0);
    });

    it('a valid trait next to an invalid one persists nothing', async () => {
      const res = await sdk(api, '/identities/', f.serverKey, {
        method: 'POST',
        body: {
          identifier: 'mixed',
          traits: [
            { trait_key: 'ok', trait_value: 1 },
            { trait_key: 'bad', trait_value: 'x'.repeat(2001) },
          ],
        },
      });
      expect(res.status).toBe(400);
      expect(res.json()).toEqual({ traits: [{}, { trait_value: [expect.any(String)] }] });
      expect(await identityCount('mixed')).toBe(0);
    });

    it('invalid JSON → 400 {"detail": "JSON parse error - …"}, never 500', async () => {
      const res = await sdk(api, '/identities/', f.serverKey, { method: 'POST', rawBody: '{"identifier": ' });
      expect(res.status).toBe(400);
      expect(res.json<{ detail: string }>().detail).toMatch(/^JSON parse error/);
    });

    it('an object trait value is stored as its JSON text', async () => {
      const res = await sdk(api, '/identities/', f.serverKey, {
        method: 'POST',
        body: { identifier: 'objtrait', traits: [{ trait_key: 'o', trait_value: { a: [1] } }] },
      });
      expect(res.json<IdentityOut>().traits[0].trait_value).toBe('{"a":[1]}');
    });
  });

  // ---------------------------------------------------------------------------------------------- traits
  describe('traits endpoints', () => {
    it('POST /traits/ → 200 echo, identity created, trait stored typed', async () => {
      const body = { identity: { identifier: 'traiter' }, trait_key: 'age', trait_value: 31 };
      const res = await sdk(api, '/traits/', f.serverKey, { method: 'POST', body });
      expect(res.status).toBe(200);
      expect(res.json()).toEqual(body);
      expect(await traitRows('traiter')).toEqual([{ trait_key: 'age', value_type: 'int' }]);
    });

    it('POST /traits/ with a client key and allow_client_traits = false → 400', async () => {
      const other = await seedSdkFixture(ds, { environment: { allowClientTraits: false } });
      const res = await sdk(api, '/traits/', other.clientKey, {
        method: 'POST',
        body: { identity: { identifier: 'x' }, trait_key: 'a', trait_value: 1 },
      });
      expect(res.status).toBe(400);
      expect(res.json()).toEqual({ non_field_errors: ['Setting traits not allowed with client key.'] });
    });

    it('POST /traits/ when the organisation does not persist traits → 403', async () => {
      const other = await seedSdkFixture(ds, { organisation: { persistTraitData: false } });
      const res = await sdk(api, '/traits/', other.serverKey, {
        method: 'POST',
        body: { identity: { identifier: 'x' }, trait_key: 'a', trait_value: 1 },
      });
      expect(res.status).toBe(403);
      expect(res.json()).toEqual({ detail: 'Organisation is not authorised to store traits.' });
    });

    it('POST /traits/ without identity → 400 field errors, nothing stored', async () => {
      const res = await sdk(api, '/traits/', f.serverKey, {
        method: 'POST',
        body: { trait_key: 'a', trait_value: 1 },
      });
      expect(res.status).toBe(400);
      expect(res.json()).toEqual({ identity: ['This field is required.'] });
    });

    it('PUT /traits/bulk/ → 200 echo of non-null items; null deletes', async () => {
      const res = await sdk(api, '/traits/bulk/', f.serverKey, {
        method: 'PUT',
        body: [
          { identity: { identifier: 'traiter' }, trait_key: 'age', trait_value: null },
          { identity: { identifier: 'traiter' }, trait_key: 'plan', trait_value: 'pro' },
          { identity: { identifier: 'bulk2' }, trait_key: 'x', trait_value: false },
        ],
      });
      expect(res.status).toBe(200);
      expect(res.json()).toEqual([
        { identity: { identifier: 'traiter' }, trait_key: 'plan', trait_value: 'pro' },
        { identity: { identifier: 'bulk2' }, trait_key: 'x', trait_value: false },
      ]);
      expect(await traitRows('traiter')).toEqual([{ trait_key: 'plan', value_type: 'unicode' }]);
      expect(await traitRows('bulk2')).toEqual([{ trait_key: 'x', value_type: 'bool' }]);
    });

    it('PUT /traits/bulk/ with a non-list body → 400 {"detail": "Invalid request data"}', async () => {
      const res = await sdk(api, '/traits/bulk/', f.serverKey, { method: 'PUT', body: { a: 1 } });
      expect(res.status).toBe(400);
      expect(res.json()).toEqual({ detail: 'Invalid request data' });
    });

    it('PUT /traits/bulk/ with one bad item → 400, nothing stored', async () => {
      const res = await sdk(api, '/traits/bulk/', f.serverKey, {
        method: 'PUT',
        body: [
          { identity: { identifier: 'bulk3' }, trait_key: 'a', trait_value: 1 },
          { identity: { identifier: 'bulk3' }, trait_value: 1 },
        ],
      });
      expect(res.status).toBe(400);
      expect(await identityCount('bulk3')).toBe(0);
    });

    it('POST /traits/increment-value/ → new integer value; non-integer trait → 400', async () => {
      const inc = (k: string) =>
        sdk(api, '/traits/increment-value/', f.serverKey, {
          method: 'POST',
          body: { identifier: 'counter', trait_key: k, increment_by: 2 },
        });
      expect((await inc('n')).json()).toEqual({ trait_key: 'n', trait_value: 2, identifier: 'counter' });
      expect((await inc('n')).json()).toEqual({ trait_key: 'n', trait_value: 4, identifier: 'counter' });
      await sdk(api, '/traits/', f.serverKey, {
        method: 'POST',
        body: { identity: { identifier: 'counter' }, trait_key: 's', trait_value: 'text' },
      });
      expect((await inc('s')).status).toBe(400);
    });
  });

  // ---------------------------------------------------------------------------------------------- analytics
  describe('POST /analytics/flags/', () => {
    it('an object of counts → 200 with an empty body', async () => {
      const res = await sdk(api, '/analytics/flags/', f.clientKey, {
        method: 'POST',
        body: { flag_on: 3, unknown: 5 },
      });
      expect(res.status).toBe(200);
      expect(res.text).toBe('');
    });

    it('a non-object body → 400 {"non_field_errors": ["Expected a JSON object."]}', async () => {
      const res = await sdk(api, '/analytics/flags/', f.clientKey, { method: 'POST', body: [1] });
      expect(res.status).toBe(400);
      expect(res.json()).toEqual({ non_field_errors: ['Expected a JSON object.'] });
    });

    it('POST /api/v2/analytics/flags/ → 204', async () => {
      const res = await sdk(`${t.url}/api/v2`, '/analytics/flags/', f.serverKey, {
        method: 'POST',
        body: {
          evaluations: [
            { feature_name: 'flag_on', identity_identifier: null, enabled_when_evaluated: true, count: 2 },
          ],
        },
      });
      expect(res.status).toBe(204);
    });
  });
});
