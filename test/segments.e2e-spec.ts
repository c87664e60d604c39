import { Call, client, createEnvironment, createProject } from './api-helpers';
import {
  auditRows,
  envUpdatedAt,
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

const VALUE_LIMIT = 64;

const ALL_OPERATORS = [
  ['EQUAL', 'plan', 'pro'],
  ['NOT_EQUAL', 'plan', 'free'],
  ['GREATER_THAN', 'age', '17'],
  ['GREATER_THAN_INCLUSIVE', 'age', '18'],
  ['LESS_THAN', 'age', '100'],
  ['LESS_THAN_INCLUSIVE', 'age', '99'],
  ['CONTAINS', 'email', '@acme'],
  ['NOT_CONTAINS', 'email', 'spam'],
  ['REGEX', 'email', '^a.*'],
  ['PERCENTAGE_SPLIT', null, '50'],
  ['MODULO', 'age', '2|0'],
  ['IS_SET', 'plan', ''],
  ['IS_NOT_SET', 'banned', ''],
  ['IN', 'country', 'uk,fr'],
] as const;

function tree() {
  return [
    {
      type: 'ALL',
      rules: [
        {
          type: 'ANY',
          rules: [],
          conditions: [
            { operator: 'EQUAL', property: 'plan', value: 'pro', description: 'paying' },
            { operator: 'IN', property: 'country', value: 'uk,fr' },
          ],
        },
        { type: 'NONE', rules: [], conditions: [{ operator: 'IS_SET', property: 'banned', value: '' }] },
      ],
      conditions: [],
    },
  ];
}

/** The response tree without ids, for round-trip comparisons. */
function shape(rules: Json[]): Json[] {
  return rules.map((r) => ({
    type: r.type,
    rules: shape(r.rules ?? []),
    conditions: (r.conditions ?? []).map((c: Json) => ({
      operator: c.operator,
      property: c.property ?? null,
      value: c.value ?? null,
      description: c.description ?? null,
    })),
  }));
}

describe('segments', () => {
  let t: TestApp;
  let call: Call;
  let w: World;
  let base: string;
  beforeAll(async () => {
    QueryCounter.install();
    t = await startTestApp({ SEGMENT_CONDITION_VALUE_LIMIT: String(VALUE_LIMIT) });
    call = client(t);
    w = await makeWorld(call);
    base = `/api/v1/projects/${w.project.id}/segments/`;
  });
  afterAll(async () => {
    await t.close();
  });

  const create = async (name: string, rules: unknown = tree(), extra: Record<string, unknown> = {}) => {
    const res = await call('POST', base, { auth: w.admin.token, body: { name, rules, ...extra } });
    if (res.status !== 201)
      throw new Error(`segment create failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  describe('create and read', () => {
    it('a segment with a nested ALL/ANY/NONE tree is created 201 in the Flagsmith shape and reads back identically', async () => {
      const res = await call('POST', base, {
        auth: w.admin.token,
        body: { name: 'Paying', description: 'who pays', rules: tree() },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        id: expect.any(Number),
        uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'Paying',
        description: 'who pays',
        project: w.project.id,
        feature: null,
        metadata: [],
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      expect(res.body.rules[0]).toMatchObject({ id: expect.any(Number), type: 'ALL' });
      expect(res.body.rules[0].rules[0].conditions[0]).toMatchObject({
        id: expect.any(Number),
        operator: 'EQUAL',
        property: 'plan',
        value: 'pro',
        description: 'paying',
      });
      expect(shape(res.body.rules)).toEqual(shape(tree()));
      const got = await call('GET', `${base}${res.body.id}/`, { auth: w.admin.token });
      expect(got.status).toBe(200);
      expect(got.body).toEqual(res.body);
    });

    it('a segment using every operator (PERCENTAGE_SPLIT without property) round-trips', async () => {
      const rules = [
        {
          type: 'ALL',
          rules: [],
          conditions: ALL_OPERATORS.map(([operator, property, value]) => ({ operator, property, value })),
        },
      ];
      const created = await create('Every operator', rules);
      expect(shape(created.rules)).toEqual(shape(rules));
    });

    it('a numeric or boolean condition value is stored as text, like Flagsmith str(value)', async () => {
      const created = await create('Typed values', [
        {
          type: 'ALL',
          conditions: [
            { operator: 'EQUAL', property: 'age', value: 30 },
            { operator: 'EQUAL', property: 'beta', value: true },
          ],
        },
      ]);
      expect(created.rules[0].conditions.map((c: Json) => c.value)).toEqual(['30', 'True']);
    });

    it('each segment write bumps every environment of the project and leaves an audit row', async () => {
      const env2 = await createEnvironment(call, w.admin.token, w.project.id, 'Staging');
      const before = [await envUpdatedAt(t, w.env.id), await envUpdatedAt(t, env2.id)];
      const audits = await auditRows(t);
      const seg = await create('Bumps');
      const afterCreate = [await envUpdatedAt(t, w.env.id), await envUpdatedAt(t, env2.id)];
      expect(afterCreate[0]).toBeGreaterThan(before[0]);
      expect(afterCreate[1]).toBeGreaterThan(before[1]);
      await call('PATCH', `${base}${seg.id}/`, { auth: w.admin.token, body: { name: 'Bumps 2' } });
      const afterPatch = await envUpdatedAt(t, w.env.id);
      expect(afterPatch).toBeGreaterThan(afterCreate[0]);
      await call('DELETE', `${base}${seg.id}/`, { auth: w.admin.token });
      expect(await envUpdatedAt(t, w.env.id)).toBeGreaterThan(afterPatch);
      expect(await auditRows(t)).toBe(audits + 3);
      const logs = await queryDatabase<{ log: string; related_object_type: string }>(
        t.databaseUrl,
        'SELECT log, related_object_type FROM audit_logs ORDER BY id DESC LIMIT 3',
      );
      expect(logs.map((l) => l.log)).toEqual([
        'Segment deleted: Bumps 2',
        'Segment updated: Bumps 2',
        'New Segment created: Bumps',
      ]);
      expect(new Set(logs.map((l) => l.related_object_type))).toEqual(new Set(['SEGMENT']));
    });
  });

  describe('list', () => {
    it('the list is paginated Flagsmith-style and filters by q (case-insensitive) and include_feature_specific', async () => {
      const project = await createProject(call, w.admin.token, w.org.id, 'Listing');
      const url = `/api/v1/projects/${project.id}/segments/`;
      const feature = await insertFeature(t, project.id, 'listing_flag');
      for (const name of ['Alpha', 'beta', 'Gamma_50%']) {
        await call('POST', url, { auth: w.admin.token, body: { name, rules: tree() } });
      }
      await call('POST', url, {
        auth: w.admin.token,
        body: { name: 'Specific', feature: feature.id, rules: tree() },
      });
      const page = await call('GET', `${url}?page_size=2`, { auth: w.admin.token });
      expect(page.status).toBe(200);
      expect(page.body.count).toBe(4);
      expect(page.body.results).toHaveLength(2);
      expect(page.body.next).toContain('page=2');
      expect(page.body.previous).toBeNull();
      expect(page.body.results[0].rules).toHaveLength(1);
      const q = await call('GET', `${url}?q=BET`, { auth: w.admin.token });
      expect(q.body.results.map((s: Json) => s.name)).toEqual(['beta']);
      const pct = await call('GET', `${url}?q=50%25`, { auth: w.admin.token });
      expect(pct.body.results.map((s: Json) => s.name)).toEqual(['Gamma_50%']);
      const generic = await call('GET', `${url}?include_feature_specific=false`, { auth: w.admin.token });
      expect(generic.body.results.map((s: Json) => s.name)).toEqual(['Alpha', 'beta', 'Gamma_50%']);
      const bad = await call('GET', `${url}?include_feature_specific=maybe`, { auth: w.admin.token });
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual({ include_feature_specific: ['Must be a valid boolean.'] });
      const past = await call('GET', `${url}?page=9`, { auth: w.admin.token });
      expect(past.status).toBe(404);
    });

    it('listing 1 or 12 segments with rule trees costs the same number of queries', async () => {
      const project = await createProject(call, w.admin.token, w.org.id, 'Counting');
      const url = `/api/v1/projects/${project.id}/segments/?page_size=50`;
      await call('POST', url, { auth: w.admin.token, body: { name: 's0', rules: tree() } });
      const one = await QueryCounter.during(() => call('GET', url, { auth: w.admin.token }));
      for (let i = 1; i < 12; i++)
        await call('POST', url, { auth: w.admin.token, body: { name: `s${i}`, rules: tree() } });
      let listed = 0;
      const twelve = await QueryCounter.during(async () => {
        listed = (await call('GET', url, { auth: w.admin.token })).body.results.length;
      });
      expect(listed).toBe(12);
      expect(twelve).toBe(one);
    });

    it('?identity= lists only the segments whose rules the identity matches, evaluated on its traits', async () => {
      const project = await createProject(call, w.admin.token, w.org.id, 'Membership');
      const env = await createEnvironment(call, w.admin.token, project.id, 'Prod');
      const url = `/api/v1/projects/${project.id}/segments/`;
      const rule = (operator: string, property: string, value: string) => [
        { type: 'ALL', conditions: [{ operator, property, value }] },
      ];
      const adults = (
        await call('POST', url, {
          auth: w.admin.token,
          body: { name: 'adults', rules: rule('GREATER_THAN_INCLUSIVE', 'age', '18') },
        })
      ).body;
      await call('POST', url, {
        auth: w.admin.token,
        body: { name: 'kids', rules: rule('LESS_THAN', 'age', '18') },
      });
      const pro = (
        await call('POST', url, {
          auth: w.admin.token,
          body: { name: 'pro', rules: rule('EQUAL', 'plan', 'pro') },
        })
      ).body;
      const identity = (
        await call('POST', `/api/v1/environments/${env.api_key}/identities/`, {
          auth: w.admin.token,
          body: { identifier: 'ann' },
        })
      ).body;
      const traits = `/api/v1/environments/${env.api_key}/identities/${identity.id}/traits/`;
      await call('POST', traits, {
        auth: w.admin.token,
        body: { trait_key: 'age', value_type: 'int', integer_value: 30 },
      });
      await call('POST', traits, {
        auth: w.admin.token,
        body: { trait_key: 'plan', value_type: 'unicode', string_value: 'pro' },
      });
      const res = await call('GET', `${url}?identity=${identity.id}`, { auth: w.admin.token });
      expect(res.status).toBe(200);
      expect(res.body.results.map((s: Json) => s.id)).toEqual([adults.id, pro.id]);
      const bad = await call('GET', `${url}?identity=abc`, { auth: w.admin.token });
      expect(bad.status).toBe(400);
      const foreign = await call('GET', `${base}?identity=${identity.id}`, { auth: w.admin.token });
      expect(foreign.status).toBe(404);
    });
  });

  describe('update', () => {
    it('PUT replaces the rule tree: items with an id are kept, delete:true drops them, new ones are added', async () => {
      const seg = await create('Editable');
      const top = seg.rules[0];
      const anyRule = top.rules[0];
      const noneRule = top.rules[1];
      const res = await call('PUT', `${base}${seg.id}/`, {
        auth: w.admin.token,
        body: {
          name: 'Edited',
          rules: [
            {
              id: top.id,
              type: 'ALL',
              rules: [
                {
                  id: anyRule.id,
                  type: 'ANY',
                  conditions: [
                    { ...anyRule.conditions[0], value: 'enterprise' },
                    { ...anyRule.conditions[1], delete: true },
                    { operator: 'EQUAL', property: 'tier', value: 'gold' },
                  ],
                },
                { ...noneRule, delete: true },
              ],
              conditions: [],
            },
          ],
        },
      });
      expect(res.status).toBe(200);
      expect(res.body.name).toBe('Edited');
      expect(res.body.rules[0].id).toBe(top.id);
      expect(res.body.rules[0].rules).toHaveLength(1);
      expect(res.body.rules[0].rules[0].id).toBe(anyRule.id);
      const conditions = res.body.rules[0].rules[0].conditions;
      expect(conditions[0]).toMatchObject({ id: anyRule.conditions[0].id, value: 'enterprise' });
      expect(conditions[1]).toMatchObject({ property: 'tier', value: 'gold' });
      expect(conditions).toHaveLength(2);
      const stored = await queryDatabase<{ n: string }>(
        t.databaseUrl,
        'SELECT count(*) AS n FROM segment_rules WHERE id = $1',
        [noneRule.id],
      );
      expect(Number(stored[0].n)).toBe(0);
    });

    it('PATCH without rules changes only the given fields and keeps the tree', async () => {
      const seg = await create('Patchable');
      const res = await call('PATCH', `${base}${seg.id}/`, {
        auth: w.admin.token,
        body: { description: 'new' },
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ name: 'Patchable', description: 'new' });
      expect(res.body.rules).toEqual(seg.rules);
    });

    it('an id that is not a rule or condition of this segment answers 400 and changes nothing', async () => {
      const a = await create('Owner A');
      const b = await create('Owner B');
      const counts = await tableCounts(t);
      const res = await call('PUT', `${base}${b.id}/`, {
        auth: w.admin.token,
        body: { name: 'steal', rules: [{ id: a.rules[0].id, type: 'ALL', conditions: [] }] },
      });
      expect(res.status).toBe(400);
      expect(res.body.rules).toBeDefined();
      expect(await tableCounts(t)).toEqual(counts);
      expect((await call('GET', `${base}${b.id}/`, { auth: w.admin.token })).body).toEqual(b);
    });
  });

  describe('delete, clone, associated features', () => {
    it('deleting a segment removes its overrides and closes the priority gap of the others', async () => {
      const feature = await insertFeature(t, w.project.id, 'delete_cascade');
      const first = await create('First');
      const second = await create('Second');
      const url = `/api/v1/environments/${w.env.api_key}/features/${feature.id}/create-segment-override/`;
      for (const s of [first, second]) {
        const res = await call('POST', url, {
          auth: w.admin.token,
          body: {
            enabled: true,
            feature_state_value: { type: 'unicode', string_value: s.name },
            feature_segment: { segment: s.id },
          },
        });
        expect(res.status).toBe(201);
      }
      const del = await call('DELETE', `${base}${first.id}/`, { auth: w.admin.token });
      expect(del.status).toBe(204);
      expect((await call('GET', `${base}${first.id}/`, { auth: w.admin.token })).status).toBe(404);
      const rows = await queryDatabase<{ segment_id: number; priority: number }>(
        t.databaseUrl,
        'SELECT segment_id, priority FROM feature_segments WHERE feature_id = $1',
        [feature.id],
      );
      expect(rows).toEqual([{ segment_id: second.id, priority: 0 }]);
      const states = await queryDatabase<{ n: string }>(
        t.databaseUrl,
        'SELECT count(*) AS n FROM feature_states WHERE feature_id = $1 AND feature_segment_id IS NOT NULL',
        [feature.id],
      );
      expect(Number(states[0].n)).toBe(1);
    });

    it('clone copies the rule tree under new ids with the new name, answering 201', async () => {
      const seg = await create('Original');
      const res = await call('POST', `${base}${seg.id}/clone/`, {
        auth: w.admin.token,
        body: { name: 'Copy' },
      });
      expect(res.status).toBe(201);
      expect(res.body.name).toBe('Copy');
      expect(res.body.id).not.toBe(seg.id);
      expect(shape(res.body.rules)).toEqual(shape(seg.rules));
      expect(res.body.rules[0].id).not.toBe(seg.rules[0].id);
      const bad = await call('POST', `${base}${seg.id}/clone/`, { auth: w.admin.token, body: {} });
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual({ name: ['This field is required.'] });
    });

    it('associated-features lists the override states using the segment, narrowed by environment', async () => {
      const feature = await insertFeature(t, w.project.id, 'associated');
      const seg = await create('Associated');
      const fs = await call(
        'POST',
        `/api/v1/environments/${w.env.api_key}/features/${feature.id}/create-segment-override/`,
        {
          auth: w.admin.token,
          body: {
            feature_state_value: { type: 'int', integer_value: 3 },
            feature_segment: { segment: seg.id },
          },
        },
      );
      const res = await call('GET', `${base}${seg.id}/associated-features/`, { auth: w.admin.token });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        count: 1,
        results: [{ id: fs.body.id, feature: feature.id, environment: w.env.id }],
      });
      const narrowed = await call('GET', `${base}${seg.id}/associated-features/?environment=${w.env.id}`, {
        auth: w.admin.token,
      });
      expect(narrowed.body.count).toBe(1);
    });
  });

  describe('permissions', () => {
    it('a member with VIEW_PROJECT may list and read segments but not create, update, delete or clone them', async () => {
      const seg = await create('Guarded');
      const member = await joinAsUser(call, w);
      expect((await call('GET', base, { auth: member.token })).status).toBe(403);
      await grantProject(call, w, member.id, ['VIEW_PROJECT']);
      expect((await call('GET', base, { auth: member.token })).status).toBe(200);
      expect((await call('GET', `${base}${seg.id}/`, { auth: member.token })).status).toBe(200);
      const counts = await tableCounts(t);
      expect(
        (await call('POST', base, { auth: member.token, body: { name: 'x', rules: tree() } })).status,
      ).toBe(403);
      expect(
        (await call('PATCH', `${base}${seg.id}/`, { auth: member.token, body: { name: 'x' } })).status,
      ).toBe(403);
      expect((await call('DELETE', `${base}${seg.id}/`, { auth: member.token })).status).toBe(403);
      expect(
        (await call('POST', `${base}${seg.id}/clone/`, { auth: member.token, body: { name: 'x' } })).status,
      ).toBe(403);
      expect(await tableCounts(t)).toEqual(counts);
    });

    it('a member with MANAGE_SEGMENTS may create segments', async () => {
      const member = await joinAsUser(call, w);
      await grantProject(call, w, member.id, ['VIEW_PROJECT', 'MANAGE_SEGMENTS']);
      const res = await call('POST', base, {
        auth: member.token,
        body: { name: 'By member', rules: tree() },
      });
      expect(res.status).toBe(201);
    });

    it("another organisation's admin gets 404 for this project's segments and changes nothing", async () => {
      const seg = await create('Private');
      const other = await makeWorld(call, 'Other');
      const counts = await tableCounts(t);
      for (const [method, path, body] of [
        ['GET', base, undefined],
        ['POST', base, { name: 'x', rules: tree() }],
        ['GET', `${base}${seg.id}/`, undefined],
        ['PUT', `${base}${seg.id}/`, { name: 'x', rules: tree() }],
        ['PATCH', `${base}${seg.id}/`, { name: 'x' }],
        ['DELETE', `${base}${seg.id}/`, undefined],
        ['POST', `${base}${seg.id}/clone/`, { name: 'x' }],
        ['GET', `${base}${seg.id}/associated-features/`, undefined],
      ] as const) {
        const res = await call(method, path, { auth: other.admin.token, body });
        expect([method, path, res.status, res.body]).toEqual([method, path, 404, { detail: 'Not found.' }]);
      }
      // and their own project cannot address our segment either
      const own = `/api/v1/projects/${other.project.id}/segments/${seg.id}/`;
      expect((await call('GET', own, { auth: other.admin.token })).status).toBe(404);
      expect((await call('DELETE', own, { auth: other.admin.token })).status).toBe(404);
      expect(await tableCounts(t)).toEqual(counts);
    });

    it('no credentials answers 401', async () => {
      expect((await call('GET', base)).status).toBe(401);
    });
  });

  describe('bad input', () => {
    const cond = (c: Record<string, unknown>) => [{ type: 'ALL', conditions: [c] }];
    it.each([
      ['missing name', { rules: tree() }, 'name'],
      ['missing rules', { name: 'x' }, 'rules'],
      ['empty rules', { name: 'x', rules: [] }, 'rules'],
      ['rules not a list', { name: 'x', rules: 'ALL' }, 'rules'],
      ['name not a string', { name: { a: 1 }, rules: tree() }, 'name'],
      ['unknown rule type', { name: 'x', rules: [{ type: 'SOME', conditions: [] }] }, 'rules'],
      [
        'unknown operator',
        { name: 'x', rules: cond({ operator: 'LIKE', property: 'a', value: 'b' }) },
        'rules',
      ],
      ['missing operator', { name: 'x', rules: cond({ property: 'a', value: 'b' }) }, 'rules'],
      [
        'object value',
        { name: 'x', rules: cond({ operator: 'EQUAL', property: 'a', value: { v: 1 } }) },
        'rules',
      ],
      [
        'value over the limit',
        { name: 'x', rules: cond({ operator: 'EQUAL', property: 'a', value: 'v'.repeat(VALUE_LIMIT + 1) }) },
        'rules',
      ],
      [
        'property not a string',
        { name: 'x', rules: cond({ operator: 'EQUAL', property: ['a'], value: 'b' }) },
        'rules',
      ],
      ['condition not an object', { name: 'x', rules: [{ type: 'ALL', conditions: ['EQUAL'] }] }, 'rules'],
      ['unknown feature', { name: 'x', rules: tree(), feature: 999999 }, 'feature'],
      ['feature not a pk', { name: 'x', rules: tree(), feature: 'abc' }, 'feature'],
      [
        'rules nested three deep',
        {
          name: 'x',
          rules: [{ type: 'ALL', rules: [{ type: 'ANY', rules: [{ type: 'ALL', conditions: [] }] }] }],
        },
        'segment',
      ],
    ])('a segment with %s answers 400 and changes nothing', async (_label, body, field) => {
      const counts = await tableCounts(t);
      const res = await call('POST', base, { auth: w.admin.token, body });
      expect(res.status).toBe(400);
      expect(res.body[field]).toBeDefined();
      expect(await tableCounts(t)).toEqual(counts);
    });

    it('a condition value over SEGMENT_CONDITION_VALUE_LIMIT gets the limit in a clear message; at the limit it is accepted', async () => {
      const over = await call('POST', base, {
        auth: w.admin.token,
        body: {
          name: 'long',
          rules: cond({ operator: 'EQUAL', property: 'a', value: 'v'.repeat(VALUE_LIMIT + 1) }),
        },
      });
      expect(over.body).toEqual({
        rules: [
          { conditions: [{ value: [`Ensure this field has no more than ${VALUE_LIMIT} characters.`] }] },
        ],
      });
      const at = await call('POST', base, {
        auth: w.admin.token,
        body: {
          name: 'long',
          rules: cond({ operator: 'EQUAL', property: 'a', value: 'v'.repeat(VALUE_LIMIT) }),
        },
      });
      expect(at.status).toBe(201);
    });

    it('a 10 MB name answers 413, malformed JSON 400, and neither changes anything', async () => {
      const counts = await tableCounts(t);
      const huge = await call('POST', base, { auth: w.admin.token, body: { name: TEN_MB, rules: tree() } });
      expect(huge.status).toBe(413);
      expect(huge.body).toEqual({ detail: expect.any(String) });
      const broken = await call('POST', base, { auth: w.admin.token, rawBody: '{"name": "x", "rules": [' });
      expect(broken.status).toBe(400);
      expect(broken.body.detail).toBeDefined();
      const array = await call('POST', base, { auth: w.admin.token, body: [1, 2] });
      expect(array.status).toBe(400);
      expect(await tableCounts(t)).toEqual(counts);
    });

    it('unknown or malformed segment ids answer 404', async () => {
      for (const id of ['999999', 'abc', '-1', '99999999999999999999']) {
        expect((await call('GET', `${base}${id}/`, { auth: w.admin.token })).status).toBe(404);
        expect(
          (await call('PATCH', `${base}${id}/`, { auth: w.admin.token, body: { name: 'x' } })).status,
        ).toBe(404);
      }
    });
  });
});
