import { Call, client } from './api-helpers';
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

const RULES = [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'plan', value: 'pro' }] }];

describe('segment overrides', () => {
  let t: TestApp;
  let call: Call;
  let w: World;
  const FS = '/api/v1/features/feature-segments/';
  beforeAll(async () => {
    QueryCounter.install();
    t = await startTestApp();
    call = client(t);
    w = await makeWorld(call);
  });
  afterAll(async () => {
    await t.close();
  });

  const segment = async (name: string, extra: Record<string, unknown> = {}) => {
    const res = await call('POST', `/api/v1/projects/${w.project.id}/segments/`, {
      auth: w.admin.token,
      body: { name, rules: RULES, ...extra },
    });
    if (res.status !== 201) throw new Error(JSON.stringify(res.body));
    return res.body as { id: number; name: string };
  };
  const slot = async (feature: number, seg: number, token = w.admin.token) =>
    call('POST', FS, { auth: token, body: { feature, segment: seg, environment: w.env.id } });
  const overrideUrl = (feature: number, apiKey = w.env.api_key) =>
    `/api/v1/environments/${apiKey}/features/${feature}/create-segment-override/`;
  const priorities = async (feature: number) =>
    queryDatabase<{ segment_id: number; priority: number }>(
      t.databaseUrl,
      'SELECT segment_id, priority FROM feature_segments WHERE feature_id = $1 AND environment_id = $2 ORDER BY priority',
      [feature, w.env.id],
    );

  describe('feature segments', () => {
    it('a new feature segment answers 201 with Flagsmith fields and gets the next (weakest) priority', async () => {
      const feature = await insertFeature(t, w.project.id, 'slots');
      const a = await segment('slot a');
      const b = await segment('slot b');
      const first = await slot(feature.id, a.id);
      expect(first.status).toBe(201);
      expect(first.body).toEqual({
        id: expect.any(Number),
        uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        feature: feature.id,
        segment: a.id,
        environment: w.env.id,
        priority: 0,
      });
      const second = await slot(feature.id, b.id);
      expect(second.body.priority).toBe(1);
    });

    it('the list for an environment and feature is paginated, ordered by priority, with segment_name and is_feature_specific', async () => {
      const feature = await insertFeature(t, w.project.id, 'listed');
      const generic = await segment('generic');
      const specific = await segment('specific', { feature: feature.id });
      await slot(feature.id, generic.id);
      await slot(feature.id, specific.id);
      const res = await call('GET', `${FS}?environment=${w.env.id}&feature=${feature.id}`, {
        auth: w.admin.token,
      });
      expect(res.status).toBe(200);
      expect(res.body.count).toBe(2);
      expect(res.body.results).toEqual([
        expect.objectContaining({
          segment: generic.id,
          priority: 0,
          segment_name: 'generic',
          is_feature_specific: false,
        }),
        expect.objectContaining({
          segment: specific.id,
          priority: 1,
          segment_name: 'specific',
          is_feature_specific: true,
        }),
      ]);
    });

    it('the list without environment or feature answers 400 naming them', async () => {
      const res = await call('GET', FS, { auth: w.admin.token });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        environment: ['This field is required.'],
        feature: ['This field is required.'],
      });
      const bad = await call('GET', `${FS}?environment=x&feature=1`, { auth: w.admin.token });
      expect(bad.body).toEqual({ environment: ['A valid integer is required.'] });
    });

    it('listing 1 or 8 feature segments costs the same number of queries', async () => {
      const feature = await insertFeature(t, w.project.id, 'counted');
      const url = `${FS}?environment=${w.env.id}&feature=${feature.id}&page_size=50`;
      await slot(feature.id, (await segment('c0')).id);
      const one = await QueryCounter.during(() => call('GET', url, { auth: w.admin.token }));
      for (let i = 1; i < 8; i++) await slot(feature.id, (await segment(`c${i}`)).id);
      let listed = 0;
      const eight = await QueryCounter.during(async () => {
        listed = (await call('GET', url, { auth: w.admin.token })).body.results.length;
      });
      expect(listed).toBe(8);
      expect(eight).toBe(one);
    });

    it('update-priorities reorders the slots, answers the list, bumps the environment and is audited', async () => {
      const feature = await insertFeature(t, w.project.id, 'reordered');
      const ids: number[] = [];
      for (const name of ['p0', 'p1', 'p2'])
        ids.push((await slot(feature.id, (await segment(name)).id)).body.id);
      const before = await envUpdatedAt(t, w.env.id);
      const audits = await auditRows(t);
      const res = await call('POST', `${FS}update-priorities/`, {
        auth: w.admin.token,
        body: [
          { id: ids[2], priority: 0 },
          { id: ids[0], priority: 1 },
          { id: ids[1], priority: 2 },
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body.map((r: Json) => [r.id, r.priority])).toEqual([
        [ids[2], 0],
        [ids[0], 1],
        [ids[1], 2],
      ]);
      expect(res.body[0].segment_name).toBe('p2');
      expect(await envUpdatedAt(t, w.env.id)).toBeGreaterThan(before);
      expect(await auditRows(t)).toBe(audits + 1);
    });

    it('update-priorities across two features answers 400 and changes nothing', async () => {
      const f1 = await insertFeature(t, w.project.id, 'mix1');
      const f2 = await insertFeature(t, w.project.id, 'mix2');
      const s = await segment('mixed');
      const a = (await slot(f1.id, s.id)).body.id;
      const b = (await slot(f2.id, s.id)).body.id;
      const counts = await tableCounts(t);
      const res = await call('POST', `${FS}update-priorities/`, {
        auth: w.admin.token,
        body: [
          { id: a, priority: 1 },
          { id: b, priority: 0 },
        ],
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        non_field_errors: ['All feature segments must belong to the same feature & environment.'],
      });
      expect(await tableCounts(t)).toEqual(counts);
    });

    it('deleting a feature segment answers 204, removes its override state and closes the priority gap', async () => {
      const feature = await insertFeature(t, w.project.id, 'deleted slot');
      const a = await segment('del a');
      const b = await segment('del b');
      const created = await call('POST', overrideUrl(feature.id), {
        auth: w.admin.token,
        body: {
          enabled: true,
          feature_state_value: { type: 'bool', boolean_value: true },
          feature_segment: { segment: a.id },
        },
      });
      await slot(feature.id, b.id);
      const before = await envUpdatedAt(t, w.env.id);
      const res = await call('DELETE', `${FS}${created.body.feature_segment.id}/`, { auth: w.admin.token });
      expect(res.status).toBe(204);
      expect(await priorities(feature.id)).toEqual([{ segment_id: b.id, priority: 0 }]);
      const states = await queryDatabase(t.databaseUrl, 'SELECT id FROM feature_states WHERE id = $1', [
        created.body.id,
      ]);
      expect(states).toEqual([]);
      expect(await envUpdatedAt(t, w.env.id)).toBeGreaterThan(before);
    });

    it('a feature-specific segment cannot override another feature, and a duplicate slot is refused; nothing changes', async () => {
      const mine = await insertFeature(t, w.project.id, 'mine');
      const other = await insertFeature(t, w.project.id, 'other');
      const specific = await segment('only mine', { feature: mine.id });
      const generic = await segment('dup');
      await slot(mine.id, generic.id);
      const counts = await tableCounts(t);
      const wrong = await slot(other.id, specific.id);
      expect(wrong.status).toBe(400);
      expect(wrong.body).toEqual({
        feature: [`Can only create segment override(using this segment) for feature ${mine.id}`],
      });
      const dup = await slot(mine.id, generic.id);
      expect(dup.status).toBe(400);
      expect(dup.body.non_field_errors).toBeDefined();
      expect(await tableCounts(t)).toEqual(counts);
    });
  });

  describe('create-segment-override', () => {
    it('one call creates the slot, the typed override state and its multivariate values (201)', async () => {
      const feature = await insertFeature(t, w.project.id, 'mv flag', {
        value: 'control',
        variants: [
          { value: 'red', percentage: 30 },
          { value: 'blue', percentage: 30 },
        ],
      });
      const s = await segment('mv segment');
      const before = await envUpdatedAt(t, w.env.id);
      const audits = await auditRows(t);
      const res = await call('POST', overrideUrl(feature.id), {
        auth: w.admin.token,
        body: {
          enabled: true,
          feature_state_value: { type: 'unicode', string_value: 'segment value' },
          feature_segment: { segment: s.id },
          multivariate_feature_state_values: [
            { multivariate_feature_option: feature.options[0], percentage_allocation: 60 },
            { multivariate_feature_option: feature.options[1], percentage_allocation: 40 },
          ],
        },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        id: expect.any(Number),
        uuid: expect.any(String),
        feature: feature.id,
        enabled: true,
        environment: w.env.id,
        identity: null,
        feature_state_value: {
          type: 'unicode',
          string_value: 'segment value',
          integer_value: null,
          boolean_value: null,
        },
        feature_segment: { id: expect.any(Number), segment: s.id, priority: 0, uuid: expect.any(String) },
      });
      expect(res.body.multivariate_feature_state_values).toEqual([
        {
          id: expect.any(Number),
          multivariate_feature_option: feature.options[0],
          percentage_allocation: 60,
        },
        {
          id: expect.any(Number),
          multivariate_feature_option: feature.options[1],
          percentage_allocation: 40,
        },
      ]);
      expect(await envUpdatedAt(t, w.env.id)).toBeGreaterThan(before);
      expect(await auditRows(t)).toBe(audits + 1);
    });

    it('an asked-for priority inserts the slot there and moves the others down', async () => {
      const feature = await insertFeature(t, w.project.id, 'inserted');
      const a = await segment('ins a');
      const b = await segment('ins b');
      const c = await segment('ins c');
      await slot(feature.id, a.id);
      await slot(feature.id, b.id);
      const res = await call('POST', overrideUrl(feature.id), {
        auth: w.admin.token,
        body: {
          feature_state_value: { type: 'int', integer_value: 7 },
          feature_segment: { segment: c.id, priority: 0 },
        },
      });
      expect(res.status).toBe(201);
      expect(res.body.feature_segment.priority).toBe(0);
      expect(await priorities(feature.id)).toEqual([
        { segment_id: c.id, priority: 0 },
        { segment_id: a.id, priority: 1 },
        { segment_id: b.id, priority: 2 },
      ]);
    });

    it.each([
      ['no feature_state_value', { feature_segment: {} }, 'feature_state_value'],
      [
        'no feature_segment',
        { feature_state_value: { type: 'unicode', string_value: 'x' } },
        'feature_segment',
      ],
      [
        'an unknown value type',
        { feature_state_value: { type: 'float' }, feature_segment: {} },
        'feature_state_value',
      ],
      [
        'a non-integer integer_value',
        { feature_state_value: { type: 'int', integer_value: 'x' }, feature_segment: {} },
        'feature_state_value',
      ],
      [
        'enabled not a boolean',
        { enabled: 'perhaps', feature_state_value: {}, feature_segment: {} },
        'enabled',
      ],
      [
        'an unknown segment',
        { feature_state_value: {}, feature_segment: { segment: 999999 } },
        'feature_segment',
      ],
      [
        'a negative priority',
        { feature_state_value: {}, feature_segment: { priority: -1 } },
        'feature_segment',
      ],
      [
        'multivariate values over 100%',
        { feature_state_value: {}, feature_segment: {}, multivariate_feature_state_values: 'OVER' },
        'non_field_errors',
      ],
      [
        'an unknown multivariate option',
        { feature_state_value: {}, feature_segment: {}, multivariate_feature_state_values: 'UNKNOWN' },
        'multivariate_feature_state_values',
      ],
      [
        'a 20001-character string value',
        { feature_state_value: { type: 'unicode', string_value: 'x'.repeat(20001) }, feature_segment: {} },
        'feature_state_value',
      ],
    ])('a body with %s answers 400 and changes nothing', async (_label, body: Json, field) => {
      const feature = await insertFeature(t, w.project.id, `bad ${_label}`, {
        variants: [
          { value: 'a', percentage: 10 },
          { value: 'b', percentage: 10 },
        ],
      });
      const s = await segment(`bad ${_label}`);
      if (
        body.feature_segment &&
        body.feature_segment.segment === undefined &&
        !('priority' in body.feature_segment)
      )
        body.feature_segment.segment = s.id;
      if (body.feature_segment && 'priority' in body.feature_segment) body.feature_segment.segment = s.id;
      if (body.multivariate_feature_state_values === 'OVER')
        body.multivariate_feature_state_values = feature.options.map((o) => ({
          multivariate_feature_option: o,
          percentage_allocation: 60,
        }));
      if (body.multivariate_feature_state_values === 'UNKNOWN')
        body.multivariate_feature_state_values = [
          { multivariate_feature_option: 999999, percentage_allocation: 5 },
        ];
      const counts = await tableCounts(t);
      const res = await call('POST', overrideUrl(feature.id), { auth: w.admin.token, body });
      expect(res.status).toBe(400);
      expect(res.body[field]).toBeDefined();
      expect(await tableCounts(t)).toEqual(counts);
    });

    it('an unknown feature answers 404, a 10 MB body 413, malformed JSON 400; nothing changes', async () => {
      const feature = await insertFeature(t, w.project.id, 'huge');
      const counts = await tableCounts(t);
      expect((await call('POST', overrideUrl(999999), { auth: w.admin.token, body: {} })).status).toBe(404);
      expect((await call('POST', overrideUrl(Number.NaN), { auth: w.admin.token, body: {} })).status).toBe(
        404,
      );
      const huge = await call('POST', overrideUrl(feature.id), {
        auth: w.admin.token,
        body: {
          feature_state_value: { type: 'unicode', string_value: TEN_MB },
          feature_segment: { segment: 1 },
        },
      });
      expect(huge.status).toBe(413);
      const broken = await call('POST', overrideUrl(feature.id), {
        auth: w.admin.token,
        rawBody: '{"enabled": tru',
      });
      expect(broken.status).toBe(400);
      const brokenList = await call('POST', `${FS}update-priorities/`, {
        auth: w.admin.token,
        rawBody: '[{',
      });
      expect(brokenList.status).toBe(400);
      const notList = await call('POST', `${FS}update-priorities/`, { auth: w.admin.token, body: { id: 1 } });
      expect(notList.status).toBe(400);
      const badItem = await call('POST', `${FS}update-priorities/`, {
        auth: w.admin.token,
        body: [{ id: 'x', priority: -1 }],
      });
      expect(badItem.status).toBe(400);
      expect(badItem.body).toEqual({
        id: ['A valid integer is required.'],
        priority: ['Ensure this value is greater than or equal to 0.'],
      });
      const unknown = await call('POST', `${FS}update-priorities/`, {
        auth: w.admin.token,
        body: [{ id: 999999, priority: 0 }],
      });
      expect(unknown.status).toBe(404);
      expect((await call('DELETE', `${FS}999999/`, { auth: w.admin.token })).status).toBe(404);
      expect(await tableCounts(t)).toEqual(counts);
    });
  });

  describe('permissions', () => {
    it('VIEW_ENVIRONMENT may list; UPDATE_FEATURE_STATE alone may not write; MANAGE_SEGMENT_OVERRIDES may', async () => {
      const feature = await insertFeature(t, w.project.id, 'guarded');
      const s1 = await segment('guard 1');
      const s2 = await segment('guard 2');
      const existing = (await slot(feature.id, s1.id)).body;
      const member = await joinAsUser(call, w);
      await grantProject(call, w, member.id, ['VIEW_PROJECT']);
      const listUrl = `${FS}?environment=${w.env.id}&feature=${feature.id}`;
      expect((await call('GET', listUrl, { auth: member.token })).status).toBe(403);
      await grantEnvironment(call, w, member.id, ['VIEW_ENVIRONMENT', 'UPDATE_FEATURE_STATE']);
      expect((await call('GET', listUrl, { auth: member.token })).status).toBe(200);
      const counts = await tableCounts(t);
      expect((await slot(feature.id, s2.id, member.token)).status).toBe(403);
      expect((await call('DELETE', `${FS}${existing.id}/`, { auth: member.token })).status).toBe(403);
      expect(
        (
          await call('POST', `${FS}update-priorities/`, {
            auth: member.token,
            body: [{ id: existing.id, priority: 0 }],
          })
        ).status,
      ).toBe(403);
      expect(
        (
          await call('POST', overrideUrl(feature.id), {
            auth: member.token,
            body: { feature_state_value: {}, feature_segment: { segment: s2.id } },
          })
        ).status,
      ).toBe(403);
      expect(await tableCounts(t)).toEqual(counts);

      const manager = await joinAsUser(call, w);
      await grantEnvironment(call, w, manager.id, ['MANAGE_SEGMENT_OVERRIDES']);
      expect((await slot(feature.id, s2.id, manager.token)).status).toBe(201);
      expect((await call('DELETE', `${FS}${existing.id}/`, { auth: manager.token })).status).toBe(204);
    });

    it("another organisation gets 404 for this organisation's environments, slots and features, and nothing changes", async () => {
      const feature = await insertFeature(t, w.project.id, 'foreign');
      const s = await segment('foreign');
      const existing = (await slot(feature.id, s.id)).body;
      const other = await makeWorld(call, 'Other');
      const otherFeature = await insertFeature(t, other.project.id, 'theirs');
      const counts = await tableCounts(t);
      const token = other.admin.token;
      const checks: [string, string, unknown][] = [
        ['GET', `${FS}?environment=${w.env.id}&feature=${feature.id}`, undefined],
        ['POST', FS, { feature: feature.id, segment: s.id, environment: w.env.id }],
        ['DELETE', `${FS}${existing.id}/`, undefined],
        ['POST', `${FS}update-priorities/`, [{ id: existing.id, priority: 0 }]],
        ['POST', overrideUrl(feature.id), { feature_state_value: {}, feature_segment: { segment: s.id } }],
        // their own environment cannot reach our feature either
        [
          'POST',
          overrideUrl(feature.id, other.env.api_key),
          { feature_state_value: {}, feature_segment: { segment: s.id } },
        ],
      ];
      for (const [method, path, body] of checks) {
        const res = await call(method, path, { auth: token, body });
        expect([method, path, res.status]).toEqual([method, path, 404]);
      }
      // our segment in their environment: 400 (not a segment of their project)
      const cross = await call('POST', FS, {
        auth: token,
        body: { feature: otherFeature.id, segment: s.id, environment: other.env.id },
      });
      expect(cross.status).toBe(400);
      expect(await tableCounts(t)).toEqual(counts);
    });
  });
});
