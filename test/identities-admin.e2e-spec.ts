import { Call, client, createEnvironment } from './api-helpers';
import {
  auditRows,
  envUpdatedAt,
  grantEnvironment,
  grantProject,
  insertFeature,
  joinAsUser,
  makeWorld,
  QueryCounter,
  tableCounts,
  TEN_MB,
  World,
} from './admin-fixtures';
import { startTestApp, TestApp } from './support/app';
import { queryDatabase } from './support/database';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- loosely typed JSON bodies
type Json = any;

describe('identities (admin)', () => {
  let t: TestApp;
  let call: Call;
  let w: World;
  let base: string;
  beforeAll(async () => {
    QueryCounter.install();
    t = await startTestApp();
    call = client(t);
    w = await makeWorld(call);
    base = `/api/v1/environments/${w.env.api_key}/identities/`;
  });
  afterAll(async () => {
    await t.close();
  });

  const identity = async (identifier: string, env = w.env.api_key) => {
    const res = await call('POST', `/api/v1/environments/${env}/identities/`, {
      auth: w.admin.token,
      body: { identifier },
    });
    if (res.status !== 201) throw new Error(JSON.stringify(res.body));
    return res.body as { id: number; identifier: string };
  };
  const trait = (id: number, body: Record<string, unknown>) =>
    call('POST', `${base}${id}/traits/`, { auth: w.admin.token, body });

  describe('identities', () => {
    it('an identity is created 201 as {id, identifier, environment}, audited without bumping the environment, read back, and a duplicate identifier is refused', async () => {
      const before = await envUpdatedAt(t, w.env.id);
      const audits = await auditRows(t);
      const res = await call('POST', base, { auth: w.admin.token, body: { identifier: 'user-1' } });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ id: expect.any(Number), identifier: 'user-1', environment: w.env.id });
      expect(await envUpdatedAt(t, w.env.id)).toBe(before); // identities are not in the environment document
      expect(await auditRows(t)).toBe(audits + 1);
      expect((await call('GET', `${base}${res.body.id}/`, { auth: w.admin.token })).body).toEqual(res.body);
      const dup = await call('POST', base, { auth: w.admin.token, body: { identifier: 'user-1' } });
      expect(dup.status).toBe(400);
      expect(dup.body).toEqual({
        identifier: ["Identity with identifier 'user-1' already exists in this environment"],
      });
    });

    it('the list is paginated; q searches case-insensitively, a quoted q matches exactly', async () => {
      const env = await createEnvironment(call, w.admin.token, w.project.id, 'Search');
      for (const id of ['alice', 'Alicia', 'bob', 'ali_ce']) await identity(id, env.api_key);
      const url = `/api/v1/environments/${env.api_key}/identities/`;
      const all = await call('GET', `${url}?page_size=3`, { auth: w.admin.token });
      expect(all.body.count).toBe(4);
      expect(all.body.results).toHaveLength(3);
      expect(all.body.next).toContain('page=2');
      const fuzzy = await call('GET', `${url}?q=ALI`, { auth: w.admin.token });
      expect(fuzzy.body.results.map((i: Json) => i.identifier)).toEqual(['alice', 'Alicia', 'ali_ce']);
      const underscore = await call('GET', `${url}?q=i_c`, { auth: w.admin.token });
      expect(underscore.body.results.map((i: Json) => i.identifier)).toEqual(['ali_ce']);
      const exact = await call('GET', `${url}?q=%22alice%22`, { auth: w.admin.token });
      expect(exact.body.results.map((i: Json) => i.identifier)).toEqual(['alice']);
    });

    it('listing 1 or 15 identities costs the same number of queries', async () => {
      const env = await createEnvironment(call, w.admin.token, w.project.id, 'Counting');
      const url = `/api/v1/environments/${env.api_key}/identities/?page_size=50`;
      await identity('i0', env.api_key);
      const one = await QueryCounter.during(() => call('GET', url, { auth: w.admin.token }));
      for (let i = 1; i < 15; i++) await identity(`i${i}`, env.api_key);
      const fifteen = await QueryCounter.during(() => call('GET', url, { auth: w.admin.token }));
      expect(fifteen).toBe(one);
    });

    it('deleting an identity answers 204 and removes its traits and overrides', async () => {
      const feature = await insertFeature(t, w.project.id, 'gone');
      const i = await identity('to-delete');
      await trait(i.id, { trait_key: 'a', value_type: 'unicode', string_value: 'x' });
      await call('POST', `${base}${i.id}/featurestates/`, {
        auth: w.admin.token,
        body: { feature: feature.id, enabled: true },
      });
      const res = await call('DELETE', `${base}${i.id}/`, { auth: w.admin.token });
      expect(res.status).toBe(204);
      expect((await call('GET', `${base}${i.id}/`, { auth: w.admin.token })).status).toBe(404);
      const left = await queryDatabase<{ traits: string; states: string }>(
        t.databaseUrl,
        `SELECT (SELECT count(*) FROM traits WHERE identity_id = $1) AS traits,
                (SELECT count(*) FROM feature_states WHERE identity_id = $1) AS states`,
        [i.id],
      );
      expect(left).toEqual([{ traits: '0', states: '0' }]);
    });
  });

  describe('traits', () => {
    it('traits are created, listed, updated and deleted with Flagsmith fields', async () => {
      const i = await identity('traits-1');
      const created = await trait(i.id, { trait_key: 'age', value_type: 'int', integer_value: 42 });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.any(Number),
        trait_key: 'age',
        value_type: 'int',
        integer_value: 42,
        string_value: null,
        boolean_value: null,
        float_value: null,
        created_date: expect.any(String),
      });
      await trait(i.id, { trait_key: 'score', value_type: 'float', float_value: 1.5 });
      const list = await call('GET', `${base}${i.id}/traits/`, { auth: w.admin.token });
      expect(list.body.count).toBe(2);
      const patched = await call('PATCH', `${base}${i.id}/traits/${created.body.id}/`, {
        auth: w.admin.token,
        body: { integer_value: 43 },
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ trait_key: 'age', integer_value: 43 });
      const put = await call('PUT', `${base}${i.id}/traits/${created.body.id}/`, {
        auth: w.admin.token,
        body: { trait_key: 'age', value_type: 'unicode', string_value: 'old' },
      });
      expect(put.body).toMatchObject({ value_type: 'unicode', string_value: 'old' });
      expect(
        (await call('DELETE', `${base}${i.id}/traits/${created.body.id}/`, { auth: w.admin.token })).status,
      ).toBe(204);
      expect((await call('GET', `${base}${i.id}/traits/`, { auth: w.admin.token })).body.count).toBe(1);
    });

    it('trait-keys lists the distinct keys of the environment; delete-traits removes a key from every identity', async () => {
      const env = await createEnvironment(call, w.admin.token, w.project.id, 'Keys');
      const a = await identity('k-a', env.api_key);
      const b = await identity('k-b', env.api_key);
      const traits = (id: number) => `/api/v1/environments/${env.api_key}/identities/${id}/traits/`;
      for (const [id, key] of [
        [a.id, 'plan'],
        [a.id, 'age'],
        [b.id, 'plan'],
      ] as const) {
        await call('POST', traits(id), { auth: w.admin.token, body: { trait_key: key, string_value: 'x' } });
      }
      const keys = await call('GET', `/api/v1/environments/${env.api_key}/trait-keys/`, {
        auth: w.admin.token,
      });
      expect(keys.body).toEqual({ keys: ['age', 'plan'] });
      const del = await call('POST', `/api/v1/environments/${env.api_key}/delete-traits/`, {
        auth: w.admin.token,
        body: { key: 'plan' },
      });
      expect(del.status).toBe(200);
      expect(
        (await call('GET', `/api/v1/environments/${env.api_key}/trait-keys/`, { auth: w.admin.token })).body,
      ).toEqual({ keys: ['age'] });
      const bad = await call('POST', `/api/v1/environments/${env.api_key}/delete-traits/`, {
        auth: w.admin.token,
        body: {},
      });
      expect(bad.status).toBe(400);
    });

    it.each([
      ['no trait_key', { value_type: 'int', integer_value: 1 }, 'trait_key'],
      ['an unknown value_type', { trait_key: 'x', value_type: 'date' }, 'value_type'],
      [
        'a non-integer integer_value',
        { trait_key: 'x', value_type: 'int', integer_value: 'many' },
        'integer_value',
      ],
      ['a non-number float_value', { trait_key: 'x', value_type: 'float', float_value: 'pi' }, 'float_value'],
      ['a 2001-character string_value', { trait_key: 'x', string_value: 's'.repeat(2001) }, 'string_value'],
      ['a 201-character key', { trait_key: 'k'.repeat(201), string_value: 's' }, 'trait_key'],
    ])('a trait with %s answers 400 and changes nothing', async (_label, body, field) => {
      const i = await identity(`bad-trait ${_label}`);
      const counts = await tableCounts(t);
      const res = await trait(i.id, body);
      expect(res.status).toBe(400);
      expect(res.body[field]).toBeDefined();
      expect(await tableCounts(t)).toEqual(counts);
    });

    it('a duplicate trait key answers 400 with the unique-set message', async () => {
      const i = await identity('dup-trait');
      await trait(i.id, { trait_key: 'k', string_value: 'a' });
      const res = await trait(i.id, { trait_key: 'k', string_value: 'b' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        non_field_errors: ['The fields identity, trait_key must make a unique set.'],
      });
    });
  });

  describe('identity overrides', () => {
    it('an override is created 201 with a raw typed value, listed with the nested identity, updated and deleted', async () => {
      const feature = await insertFeature(t, w.project.id, 'override me', { value: 'default' });
      const i = await identity('ov-1');
      const url = `${base}${i.id}/featurestates/`;
      const before = await envUpdatedAt(t, w.env.id);
      const audits = await auditRows(t);
      const created = await call('POST', url, {
        auth: w.admin.token,
        body: { feature: feature.id, enabled: true, feature_state_value: 42 },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        id: expect.any(Number),
        feature: feature.id,
        enabled: true,
        feature_state_value: 42,
        environment: w.env.id,
        identity: i.id,
        feature_segment: null,
        multivariate_feature_state_values: [],
      });
      expect(await envUpdatedAt(t, w.env.id)).toBeGreaterThan(before);
      expect(await auditRows(t)).toBe(audits + 1);
      const list = await call('GET', url, { auth: w.admin.token });
      expect(list.body.count).toBe(1);
      expect(list.body.results[0].identity).toEqual({ id: i.id, identifier: 'ov-1' });
      const patched = await call('PATCH', `${url}${created.body.id}/`, {
        auth: w.admin.token,
        body: { feature_state_value: 'text' },
      });
      expect(patched.body).toMatchObject({ enabled: true, feature_state_value: 'text' });
      const put = await call('PUT', `${url}${created.body.id}/`, {
        auth: w.admin.token,
        body: { enabled: false, feature_state_value: true },
      });
      expect(put.body).toMatchObject({ enabled: false, feature_state_value: true });
      expect((await call('GET', `${url}${created.body.id}/`, { auth: w.admin.token })).body).toEqual(
        put.body,
      );
      const dup = await call('POST', url, { auth: w.admin.token, body: { feature: feature.id } });
      expect(dup.status).toBe(400);
      expect((await call('DELETE', `${url}${created.body.id}/`, { auth: w.admin.token })).status).toBe(204);
      expect((await call('GET', url, { auth: w.admin.token })).body.count).toBe(0);
    });

    it('featurestates/all gives every flag with identity > segment (lowest priority) > default and resolves multivariate values', async () => {
      const env = await createEnvironment(call, w.admin.token, w.project.id, 'Effective');
      const plain = await insertFeature(t, w.project.id, 'eff plain', { enabled: false, value: 'base' });
      const bySegment = await insertFeature(t, w.project.id, 'eff segment', {
        enabled: false,
        value: 'base',
      });
      const byIdentity = await insertFeature(t, w.project.id, 'eff identity', {
        enabled: false,
        value: 'base',
      });
      const mv = await insertFeature(t, w.project.id, 'eff mv', {
        enabled: true,
        value: 'control',
        variants: [{ value: 'everyone', percentage: 100, key: 'all' }],
      });
      const segments = `/api/v1/projects/${w.project.id}/segments/`;
      const rule = (value: string) => [
        { type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'plan', value }] },
      ];
      const pro = (
        await call('POST', segments, { auth: w.admin.token, body: { name: 'eff pro', rules: rule('pro') } })
      ).body;
      const pro2 = (
        await call('POST', segments, { auth: w.admin.token, body: { name: 'eff pro 2', rules: rule('pro') } })
      ).body;
      const nobody = (
        await call('POST', segments, {
          auth: w.admin.token,
          body: { name: 'eff nobody', rules: rule('none') },
        })
      ).body;
      const override = (segment: number, value: string, priority?: number) =>
        call(
          'POST',
          `/api/v1/environments/${env.api_key}/features/${bySegment.id}/create-segment-override/`,
          {
            auth: w.admin.token,
            body: {
              enabled: true,
              feature_state_value: { type: 'unicode', string_value: value },
              feature_segment: { segment, ...(priority === undefined ? {} : { priority }) },
            },
          },
        );
      await override(pro.id, 'from pro');
      await override(nobody.id, 'from nobody', 0);
      await override(pro2.id, 'from pro 2', 0);
      const i = await identity('eff-user', env.api_key);
      const idBase = `/api/v1/environments/${env.api_key}/identities/${i.id}/`;
      await call('POST', `${idBase}traits/`, {
        auth: w.admin.token,
        body: { trait_key: 'plan', string_value: 'pro' },
      });
      await call('POST', `${idBase}featurestates/`, {
        auth: w.admin.token,
        body: { feature: byIdentity.id, enabled: true, feature_state_value: 'mine' },
      });
      const res = await call('GET', `${idBase}featurestates/all/`, { auth: w.admin.token });
      expect(res.status).toBe(200);
      const byName = Object.fromEntries(res.body.map((f: Json) => [f.feature.name, f]));
      expect(byName['eff plain']).toEqual({
        feature: { id: plain.id, name: 'eff plain', type: 'STANDARD' },
        enabled: false,
        feature_state_value: 'base',
        overridden_by: null,
        segment: null,
        multivariate_feature_state_values: [],
      });
      expect(byName['eff segment']).toMatchObject({
        enabled: true,
        feature_state_value: 'from pro 2',
        overridden_by: 'SEGMENT',
        segment: { id: pro2.id, name: 'eff pro 2' },
      });
      expect(byName['eff identity']).toMatchObject({
        enabled: true,
        feature_state_value: 'mine',
        overridden_by: 'IDENTITY',
        segment: null,
      });
      expect(byName['eff mv']).toMatchObject({
        feature_state_value: 'everyone',
        overridden_by: null,
        multivariate_feature_state_values: [
          { multivariate_feature_option: { value: 'everyone' }, percentage_allocation: 100 },
        ],
      });
      expect(mv.id).toBeGreaterThan(0);
    });

    it('featurestates/all costs the same number of queries for 2 or 12 features', async () => {
      const env = await createEnvironment(call, w.admin.token, w.project.id, 'All count');
      const i = await identity('count-user', env.api_key);
      const url = `/api/v1/environments/${env.api_key}/identities/${i.id}/featurestates/all/`;
      const a = await QueryCounter.during(() => call('GET', url, { auth: w.admin.token }));
      for (let n = 0; n < 10; n++) await insertFeature(t, w.project.id, `count ${n}`, { value: n });
      let length = 0;
      const b = await QueryCounter.during(async () => {
        length = (await call('GET', url, { auth: w.admin.token })).body.length;
      });
      expect(length).toBeGreaterThanOrEqual(10);
      expect(b).toBe(a);
    });

    it('clone-from-given-identity replaces the identity overrides with copies of the source', async () => {
      const f1 = await insertFeature(t, w.project.id, 'clone 1');
      const f2 = await insertFeature(t, w.project.id, 'clone 2');
      const source = await identity('clone-source');
      const target = await identity('clone-target');
      await call('POST', `${base}${source.id}/featurestates/`, {
        auth: w.admin.token,
        body: { feature: f1.id, enabled: true, feature_state_value: 'src' },
      });
      await call('POST', `${base}${target.id}/featurestates/`, {
        auth: w.admin.token,
        body: { feature: f2.id, enabled: true, feature_state_value: 'old' },
      });
      const res = await call('POST', `${base}${target.id}/featurestates/clone-from-given-identity/`, {
        auth: w.admin.token,
        body: { source_identity_id: source.id },
      });
      expect(res.status).toBe(200);
      const byName = Object.fromEntries(res.body.map((f: Json) => [f.feature.name, f]));
      expect(byName['clone 1']).toMatchObject({ overridden_by: 'IDENTITY', feature_state_value: 'src' });
      expect(byName['clone 2'].overridden_by).toBeNull();
      const missing = await call('POST', `${base}${target.id}/featurestates/clone-from-given-identity/`, {
        auth: w.admin.token,
        body: { source_identity_id: 999999 },
      });
      expect(missing.status).toBe(404);
    });

    it('an override carries multivariate values: created, replaced by a PATCH list, copied by clone-from-given-identity', async () => {
      const feature = await insertFeature(t, w.project.id, 'mv override', {
        value: 'control',
        variants: [
          { value: 'red', percentage: 50 },
          { value: 'blue', percentage: 50 },
        ],
      });
      const [red, blue] = feature.options;
      const source = await identity('mv-source');
      const target = await identity('mv-target');
      const url = `${base}${source.id}/featurestates/`;
      const created = await call('POST', url, {
        auth: w.admin.token,
        body: {
          feature: feature.id,
          enabled: true,
          multivariate_feature_state_values: [
            { multivariate_feature_option: red, percentage_allocation: 100 },
            { multivariate_feature_option: blue, percentage_allocation: 0 },
          ],
        },
      });
      expect(created.status).toBe(201);
      // No value given: the feature's initial value, as any new state gets (the project does not prevent flag
      // defaults, Flagsmith's default).
      expect(created.body.feature_state_value).toBe('control');
      expect(created.body.multivariate_feature_state_values).toEqual([
        { id: expect.any(Number), multivariate_feature_option: red, percentage_allocation: 100 },
        { id: expect.any(Number), multivariate_feature_option: blue, percentage_allocation: 0 },
      ]);
      const patched = await call('PATCH', `${url}${created.body.id}/`, {
        auth: w.admin.token,
        body: {
          multivariate_feature_state_values: [
            { multivariate_feature_option: blue, percentage_allocation: 100 },
          ],
        },
      });
      expect(patched.status).toBe(200);
      expect(patched.body.multivariate_feature_state_values).toEqual([
        { id: expect.any(Number), multivariate_feature_option: blue, percentage_allocation: 100 },
      ]);
      const cloned = await call('POST', `${base}${target.id}/featurestates/clone-from-given-identity/`, {
        auth: w.admin.token,
        body: { source_identity_id: source.id },
      });
      expect(cloned.status).toBe(200);
      const copies = await call('GET', `${base}${target.id}/featurestates/`, { auth: w.admin.token });
      expect(copies.body.results).toEqual([
        expect.objectContaining({
          feature: feature.id,
          enabled: true,
          feature_state_value: 'control',
          identity: { id: target.id, identifier: 'mv-target' },
          multivariate_feature_state_values: [
            { id: expect.any(Number), multivariate_feature_option: blue, percentage_allocation: 100 },
          ],
        }),
      ]);
      expect(copies.body.results[0].id).not.toBe(created.body.id);
    });

    it.each([
      ['no feature', { enabled: true }, 'detail'],
      ['a feature that is not a pk', { feature: 'abc' }, 'feature'],
      ['an unknown feature', { feature: 999999 }, 'feature'],
      ['enabled not a boolean', { feature: 'FEATURE', enabled: 'sometimes' }, 'enabled'],
      // Flagsmith reports the value serializer's own errors: the column is named.
      [
        'a 20001-character value',
        { feature: 'FEATURE', feature_state_value: 'v'.repeat(20001) },
        'string_value',
      ],
      ['an integer beyond 32 bits', { feature: 'FEATURE', feature_state_value: 2 ** 40 }, 'integer_value'],
      [
        'multivariate values over 100%',
        { feature: 'FEATURE', multivariate_feature_state_values: 'OVER' },
        'non_field_errors',
      ],
      [
        'an unknown multivariate option',
        { feature: 'FEATURE', multivariate_feature_state_values: 'UNKNOWN' },
        'multivariate_feature_state_values',
      ],
      [
        'multivariate values not a list',
        { feature: 'FEATURE', multivariate_feature_state_values: 3 },
        'multivariate_feature_state_values',
      ],
    ])('an override with %s answers 400 and changes nothing', async (_label, body: Json, field) => {
      const feature = await insertFeature(t, w.project.id, `bad override ${_label}`);
      const i = await identity(`bad-override ${_label}`);
      if (body.feature === 'FEATURE') body.feature = feature.id;
      if (body.multivariate_feature_state_values === 'OVER')
        body.multivariate_feature_state_values = [1, 2].map((option) => ({
          multivariate_feature_option: option,
          percentage_allocation: 60,
        }));
      if (body.multivariate_feature_state_values === 'UNKNOWN')
        body.multivariate_feature_state_values = [
          { multivariate_feature_option: 999999, percentage_allocation: 5 },
        ];
      const counts = await tableCounts(t);
      const res = await call('POST', `${base}${i.id}/featurestates/`, { auth: w.admin.token, body });
      expect(res.status).toBe(400);
      expect(res.body[field]).toBeDefined();
      expect(await tableCounts(t)).toEqual(counts);
    });
  });

  describe('bad requests', () => {
    it('a 10 MB identifier answers 413, malformed JSON 400, a wrong type 400; unknown ids 404; nothing changes', async () => {
      const i = await identity('bad-requests');
      const counts = await tableCounts(t);
      expect((await call('POST', base, { auth: w.admin.token, body: { identifier: TEN_MB } })).status).toBe(
        413,
      );
      expect((await call('POST', base, { auth: w.admin.token, rawBody: '{"identifier":' })).status).toBe(400);
      const wrong = await call('POST', base, { auth: w.admin.token, body: { identifier: ['a'] } });
      expect(wrong.status).toBe(400);
      expect(wrong.body).toEqual({ identifier: ['Not a valid string.'] });
      const long = await call('POST', base, { auth: w.admin.token, body: { identifier: 'i'.repeat(2001) } });
      expect(long.status).toBe(400);
      for (const path of [
        `${base}999999/`,
        `${base}abc/`,
        `${base}999999/traits/`,
        `${base}${i.id}/traits/999999/`,
        `${base}999999/featurestates/all/`,
        `${base}${i.id}/featurestates/999999/`,
        '/api/v1/environments/not-a-key/identities/',
      ]) {
        const res = await call('GET', path, { auth: w.admin.token });
        expect([path, res.status, res.body]).toEqual([path, 404, { detail: 'Not found.' }]);
      }
      expect(await tableCounts(t)).toEqual(counts);
    });
  });

  describe('permissions', () => {
    it('VIEW_IDENTITIES reads identities and traits; MANAGE_IDENTITIES writes them', async () => {
      const i = await identity('perm-identity');
      const member = await joinAsUser(call, w);
      await grantProject(call, w, member.id, ['VIEW_PROJECT']);
      expect((await call('GET', base, { auth: member.token })).status).toBe(403);
      await grantEnvironment(call, w, member.id, ['VIEW_IDENTITIES']);
      expect((await call('GET', base, { auth: member.token })).status).toBe(200);
      expect((await call('GET', `${base}${i.id}/traits/`, { auth: member.token })).status).toBe(200);
      const counts = await tableCounts(t);
      expect((await call('POST', base, { auth: member.token, body: { identifier: 'nope' } })).status).toBe(
        403,
      );
      expect((await call('DELETE', `${base}${i.id}/`, { auth: member.token })).status).toBe(403);
      expect(
        (
          await call('POST', `${base}${i.id}/traits/`, {
            auth: member.token,
            body: { trait_key: 'a', string_value: 'b' },
          })
        ).status,
      ).toBe(403);
      // overrides need VIEW_ENVIRONMENT, trait-keys too; delete-traits needs environment admin
      expect((await call('GET', `${base}${i.id}/featurestates/`, { auth: member.token })).status).toBe(403);
      expect(
        (await call('GET', `/api/v1/environments/${w.env.api_key}/trait-keys/`, { auth: member.token }))
          .status,
      ).toBe(403);
      expect(await tableCounts(t)).toEqual(counts);
      const writer = await joinAsUser(call, w);
      await grantEnvironment(call, w, writer.id, ['MANAGE_IDENTITIES']);
      expect(
        (await call('POST', base, { auth: writer.token, body: { identifier: 'by-writer' } })).status,
      ).toBe(201);
    });

    it('VIEW_ENVIRONMENT reads overrides; UPDATE_FEATURE_STATE writes them; delete-traits needs environment admin', async () => {
      const feature = await insertFeature(t, w.project.id, 'perm override');
      const i = await identity('perm-override');
      const url = `${base}${i.id}/featurestates/`;
      const member = await joinAsUser(call, w);
      await grantEnvironment(call, w, member.id, ['VIEW_ENVIRONMENT']);
      expect((await call('GET', url, { auth: member.token })).status).toBe(200);
      expect((await call('GET', `${url}all/`, { auth: member.token })).status).toBe(200);
      expect((await call('POST', url, { auth: member.token, body: { feature: feature.id } })).status).toBe(
        403,
      );
      expect(
        (
          await call('POST', `/api/v1/environments/${w.env.api_key}/delete-traits/`, {
            auth: member.token,
            body: { key: 'a' },
          })
        ).status,
      ).toBe(403);
      const writer = await joinAsUser(call, w);
      await grantEnvironment(call, w, writer.id, ['UPDATE_FEATURE_STATE']);
      expect((await call('POST', url, { auth: writer.token, body: { feature: feature.id } })).status).toBe(
        201,
      );
    });

    it("another organisation gets 404 for this organisation's identities, traits and overrides, and nothing changes", async () => {
      const feature = await insertFeature(t, w.project.id, 'foreign override');
      const i = await identity('foreign');
      const tr = (await trait(i.id, { trait_key: 'a', string_value: 'b' })).body;
      const fs = (
        await call('POST', `${base}${i.id}/featurestates/`, {
          auth: w.admin.token,
          body: { feature: feature.id },
        })
      ).body;
      const other = await makeWorld(call, 'Other');
      const token = other.admin.token;
      const counts = await tableCounts(t);
      const checks: [string, string, unknown][] = [
        ['GET', base, undefined],
        ['POST', base, { identifier: 'x' }],
        ['GET', `${base}${i.id}/`, undefined],
        ['DELETE', `${base}${i.id}/`, undefined],
        ['GET', `${base}${i.id}/traits/`, undefined],
        ['PATCH', `${base}${i.id}/traits/${tr.id}/`, { string_value: 'x' }],
        ['DELETE', `${base}${i.id}/traits/${tr.id}/`, undefined],
        ['GET', `${base}${i.id}/featurestates/all/`, undefined],
        ['PATCH', `${base}${i.id}/featurestates/${fs.id}/`, { enabled: true }],
        ['DELETE', `${base}${i.id}/featurestates/${fs.id}/`, undefined],
        ['GET', `/api/v1/environments/${w.env.api_key}/trait-keys/`, undefined],
        ['POST', `/api/v1/environments/${w.env.api_key}/delete-traits/`, { key: 'a' }],
        // through their own environment
        ['GET', `/api/v1/environments/${other.env.api_key}/identities/${i.id}/`, undefined],
        [
          'DELETE',
          `/api/v1/environments/${other.env.api_key}/identities/${i.id}/traits/${tr.id}/`,
          undefined,
        ],
        [
          'POST',
          `/api/v1/environments/${other.env.api_key}/identities/${i.id}/featurestates/clone-from-given-identity/`,
          { source_identity_id: i.id },
        ],
      ];
      for (const [method, path, body] of checks) {
        const res = await call(method, path, { auth: token, body });
        expect([method, path, res.status]).toEqual([method, path, 404]);
      }
      const theirs = (
        await call('POST', `/api/v1/environments/${other.env.api_key}/identities/`, {
          auth: token,
          body: { identifier: 'x' },
        })
      ).body;
      const clone = await call(
        'POST',
        `/api/v1/environments/${other.env.api_key}/identities/${theirs.id}/featurestates/clone-from-given-identity/`,
        { auth: token, body: { source_identity_id: i.id } },
      );
      expect(clone.status).toBe(404);
      const overrideForeignFeature = await call(
        'POST',
        `/api/v1/environments/${other.env.api_key}/identities/${theirs.id}/featurestates/`,
        {
          auth: token,
          body: { feature: feature.id },
        },
      );
      expect(overrideForeignFeature.status).toBe(400);
      const after = await tableCounts(t);
      expect({ ...after, identities: after.identities - 1, audit_logs: 0 }).toEqual({
        ...counts,
        audit_logs: 0,
      });
    });
  });
});
