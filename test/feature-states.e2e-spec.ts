import { Client } from 'pg';
import { Call, client, createEnvironment, createOrganisation, createProject, signUp } from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import { queryDatabase } from './support/database';

/** Counts every query any pg client of this process sends (the in-process app's pool included). */
const queries = { count: 0, installed: false };
function installQueryCounter() {
  if (queries.installed) return;
  queries.installed = true;
  const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]): unknown {
    queries.count++;
    return original.apply(this, args);
  };
}

describe('feature states (docs/contracts/admin-api.md §7)', () => {
  let t: TestApp;
  let call: Call;
  let admin: { id: number; token: string };
  let org: { id: number };
  const db = <T = Record<string, unknown>>(sql: string, params: unknown[] = []) =>
    queryDatabase<T>(t.databaseUrl, sql, params);

  beforeAll(async () => {
    installQueryCounter();
    t = await startTestApp();
    call = client(t);
    admin = await signUp(call);
    org = await createOrganisation(call, admin.token, 'Acme');
  });
  afterAll(async () => {
    await t.close();
  });

  /** A project with one environment, a STANDARD flag and a MULTIVARIATE flag (options 30 % / 20 %). */
  async function setup(name: string) {
    const project = await createProject(call, admin.token, org.id, name);
    await call('PATCH', `/api/v1/projects/${project.id}/`, {
      auth: admin.token,
      body: { prevent_flag_defaults: false },
    });
    const env = await createEnvironment(call, admin.token, project.id, 'Dev');
    const features = `/api/v1/projects/${project.id}/features/`;
    const flag = await call('POST', features, {
      auth: admin.token,
      body: { name: 'flag', default_enabled: true, initial_value: 'hello' },
    });
    const mv = await call('POST', features, {
      auth: admin.token,
      body: {
        name: 'mv',
        initial_value: 'control',
        multivariate_options: [
          { type: 'unicode', string_value: 'a', default_percentage_allocation: 30 },
          { type: 'unicode', string_value: 'b', default_percentage_allocation: 20 },
        ],
      },
    });
    const stateOf = async (featureId: number) =>
      (
        await db<{ id: number }>(
          'SELECT id FROM feature_states WHERE feature_id = $1 AND environment_id = $2 AND identity_id IS NULL AND feature_segment_id IS NULL',
          [featureId, env.id],
        )
      )[0].id;
    return {
      project,
      env,
      flag: { id: flag.body.id as number, state: await stateOf(flag.body.id) },
      mv: {
        id: mv.body.id as number,
        state: await stateOf(mv.body.id),
        options: (mv.body.multivariate_options as { id: number }[]).map((o) => o.id),
      },
      base: `/api/v1/environments/${env.api_key}/featurestates/`,
    };
  }

  async function member(projectId: number, envKey: string, permissions: string[]) {
    const link = await call('POST', `/api/v1/organisations/${org.id}/invite-links/`, {
      auth: admin.token,
      body: {},
    });
    const user = await signUp(call);
    await call('POST', `/api/v1/users/join/link/${link.body.hash}/`, { auth: user.token });
    await call('POST', `/api/v1/projects/${projectId}/user-permissions/`, {
      auth: admin.token,
      body: { user: user.id, permissions: ['VIEW_PROJECT'], admin: false },
    });
    if (permissions.length) {
      const grant = await call('POST', `/api/v1/environments/${envKey}/user-permissions/`, {
        auth: admin.token,
        body: { user: user.id, permissions, admin: false },
      });
      expect(grant.status).toBe(201);
    }
    return user;
  }

  const stateRow = async (id: number) =>
    (
      await db(
        `SELECT enabled, value_type, string_value, integer_value, boolean_value FROM feature_states WHERE id = $1`,
        [id],
      )
    )[0];
  const mvRows = async (stateId: number) =>
    db<{ option: number; pct: number }>(
      `SELECT multivariate_feature_option_id AS option, percentage_allocation AS pct
         FROM multivariate_feature_state_values WHERE feature_state_id = $1 ORDER BY option`,
      [stateId],
    );
  const updatedAt = async (envId: number) =>
    (
      await db<{ updated_at: Date }>('SELECT updated_at FROM environments WHERE id = $1', [envId])
    )[0].updated_at.getTime();
  const audits = async (envId: number) =>
    (
      await db<{ log: string }>(
        `SELECT log FROM audit_logs WHERE environment_id = $1 AND related_object_type = 'FEATURE_STATE' ORDER BY id`,
        [envId],
      )
    ).map((r) => r.log);

  describe('/environments/{api_key}/featurestates/', () => {
    it('lists the environment default states with Flagsmith fields, filtered by feature and feature_name', async () => {
      const { env, flag, mv, base } = await setup('List');
      const res = await call('GET', base, { auth: admin.token });
      expect(res.status).toBe(200);
      expect(res.body.count).toBe(2);
      expect(res.body.results[0]).toEqual({
        id: flag.state,
        uuid: expect.any(String),
        feature: flag.id,
        enabled: true,
        feature_state_value: 'hello',
        environment: env.id,
        identity: null,
        feature_segment: null,
        multivariate_feature_state_values: [],
        live_from: null,
        version: 1,
        created_at: expect.any(String),
        updated_at: expect.any(String),
        change_request: null,
        environment_feature_version: null,
        deleted_at: null,
      });
      expect(res.body.results[1].multivariate_feature_state_values).toEqual([
        {
          id: expect.any(Number),
          multivariate_feature_option: mv.options[0],
          percentage_allocation: 30,
        },
        {
          id: expect.any(Number),
          multivariate_feature_option: mv.options[1],
          percentage_allocation: 20,
        },
      ]);
      const ids = async (q: string) =>
        (await call('GET', `${base}?${q}`, { auth: admin.token })).body.results.map(
          (s: { id: number }) => s.id,
        );
      expect(await ids(`feature=${mv.id}`)).toEqual([mv.state]);
      expect(await ids('feature_name=FLAG')).toEqual([flag.state]);
      expect(await ids('feature_name=nope')).toEqual([]);
      expect(await ids('anyIdentity=1')).toEqual([]);
      expect((await call('GET', `${base}?feature=x`, { auth: admin.token })).status).toBe(400);
      const page = await call('GET', `${base}?page_size=1&page=2`, { auth: admin.token });
      expect(page.body).toMatchObject({ count: 2, next: null, results: [{ id: mv.state }] });
    });

    it('anyIdentity lists identity overrides instead, with the identity nested', async () => {
      const { env, flag, base } = await setup('AnyIdentity');
      const [identity] = await db<{ id: number }>(
        `INSERT INTO identities (uuid, identifier, environment_id) VALUES (gen_random_uuid(), 'alice', $1) RETURNING id`,
        [env.id],
      );
      await db(
        `INSERT INTO feature_states (uuid, feature_id, environment_id, identity_id, enabled, value_type, string_value)
         VALUES (gen_random_uuid(), $1, $2, $3, false, 'unicode', 'mine')`,
        [flag.id, env.id, identity.id],
      );
      const res = await call('GET', `${base}?anyIdentity`, { auth: admin.token });
      expect(res.body.results).toEqual([
        expect.objectContaining({
          feature: flag.id,
          identity: { id: identity.id, identifier: 'alice' },
          feature_state_value: 'mine',
        }),
      ]);
    });

    it('the list costs the same number of queries for 2 states as for 12', async () => {
      const { project, base } = await setup('QueryCount');
      const measure = async () => {
        let best = Infinity;
        for (let attempt = 0; attempt < 3; attempt++) {
          const start = queries.count;
          const res = await call('GET', `${base}?page_size=50`, { auth: admin.token });
          expect(res.status).toBe(200);
          best = Math.min(best, queries.count - start);
        }
        return best;
      };
      const few = await measure();
      for (let i = 0; i < 10; i++)
        await call('POST', `/api/v1/projects/${project.id}/features/`, {
          auth: admin.token,
          body: {
            name: `extra${i}`,
            multivariate_options: [{ type: 'unicode', string_value: 'x', default_percentage_allocation: 5 }],
          },
        });
      const many = await measure();
      expect((await call('GET', `${base}?page_size=50`, { auth: admin.token })).body.count).toBe(12);
      expect(many).toBe(few);
      expect(few).toBeLessThanOrEqual(10);
    });

    it.each<[string, unknown, Record<string, unknown>]>([
      [
        'a string',
        'blue',
        { value_type: 'unicode', string_value: 'blue', integer_value: null, boolean_value: null },
      ],
      ['an integer', 42, { value_type: 'int', string_value: null, integer_value: 42, boolean_value: null }],
      [
        'a boolean',
        false,
        { value_type: 'bool', string_value: null, integer_value: null, boolean_value: false },
      ],
      [
        'a float',
        1.5,
        { value_type: 'unicode', string_value: '1.5', integer_value: null, boolean_value: null },
      ],
      ['null', null, { value_type: 'unicode', string_value: null, integer_value: null, boolean_value: null }],
    ])(
      'PUT with %s as feature_state_value stores it typed by its JSON type and answers it back',
      async (_what, value, row) => {
        const { env, flag, base } = await setup(`Typed ${_what}`);
        const before = await updatedAt(env.id);
        const res = await call('PUT', `${base}${flag.state}/`, {
          auth: admin.token,
          body: {
            id: flag.state,
            feature: flag.id,
            environment: env.id,
            enabled: false,
            feature_state_value: value,
          },
        });
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({
          id: flag.state,
          enabled: false,
          feature_state_value: value === 1.5 ? '1.5' : value,
        });
        expect(await stateRow(flag.state)).toEqual({ enabled: false, ...row });
        expect(await updatedAt(env.id)).toBeGreaterThan(before);
        expect(await audits(env.id)).toEqual(['Flag state updated for feature: flag']);
      },
    );

    it('PATCH of the value alone keeps enabled and is audited as a remote config change', async () => {
      const { env, flag, base } = await setup('PatchValue');
      const res = await call('PATCH', `${base}${flag.state}/`, {
        auth: admin.token,
        body: { feature_state_value: 7 },
      });
      expect(res.status).toBe(200);
      expect(await stateRow(flag.state)).toMatchObject({
        enabled: true,
        value_type: 'int',
        integer_value: 7,
      });
      expect(await audits(env.id)).toEqual(['Remote config value updated for feature: flag']);
      expect(
        (await call('GET', `${base}${flag.state}/`, { auth: admin.token })).body.feature_state_value,
      ).toBe(7);
    });

    it('multivariate_feature_state_values edits the allocations; a sum over 100 answers 400 and changes nothing', async () => {
      const { env, mv, base } = await setup('MvEdit');
      const url = `${base}${mv.state}/`;
      const ok = await call('PUT', url, {
        auth: admin.token,
        body: {
          enabled: true,
          feature_state_value: 'control',
          multivariate_feature_state_values: [
            { multivariate_feature_option: mv.options[0], percentage_allocation: 60 },
            { multivariate_feature_option: mv.options[1], percentage_allocation: 40 },
          ],
        },
      });
      expect(ok.status).toBe(200);
      expect(
        ok.body.multivariate_feature_state_values.map(
          (v: { percentage_allocation: number }) => v.percentage_allocation,
        ),
      ).toEqual([60, 40]);
      expect(await mvRows(mv.state)).toEqual([
        { option: mv.options[0], pct: 60 },
        { option: mv.options[1], pct: 40 },
      ]);
      const before = await updatedAt(env.id);
      const auditsBefore = await audits(env.id);
      const tooMuch = await call('PUT', url, {
        auth: admin.token,
        body: {
          enabled: false,
          multivariate_feature_state_values: [
            { multivariate_feature_option: mv.options[0], percentage_allocation: 70 },
            { multivariate_feature_option: mv.options[1], percentage_allocation: 40 },
          ],
        },
      });
      expect(tooMuch.status).toBe(400);
      expect(tooMuch.body).toEqual({
        non_field_errors: ['Multivariate percentage values exceed 100%.'],
      });
      expect(await mvRows(mv.state)).toEqual([
        { option: mv.options[0], pct: 60 },
        { option: mv.options[1], pct: 40 },
      ]);
      expect(await stateRow(mv.state)).toMatchObject({ enabled: true });
      expect(await updatedAt(env.id)).toBe(before);
      expect(await audits(env.id)).toEqual(auditsBefore);
      const dropOne = await call('PATCH', url, {
        auth: admin.token,
        body: {
          multivariate_feature_state_values: [
            { multivariate_feature_option: mv.options[1], percentage_allocation: 10 },
          ],
        },
      });
      expect(dropOne.status).toBe(200);
      expect(await mvRows(mv.state)).toEqual([{ option: mv.options[1], pct: 10 }]);
    });

    it('an option of another feature, a bad percentage or a non-list answers 400 and changes nothing', async () => {
      const { mv, base } = await setup('MvBad');
      const other = await setup('MvBadOther');
      for (const values of [
        [{ multivariate_feature_option: other.mv.options[0], percentage_allocation: 10 }],
        [{ multivariate_feature_option: mv.options[0], percentage_allocation: 'lots' }],
        [{ multivariate_feature_option: mv.options[0], percentage_allocation: -1 }],
        [{ percentage_allocation: 5 }],
        'all of them',
      ]) {
        const res = await call('PATCH', `${base}${mv.state}/`, {
          auth: admin.token,
          body: { enabled: false, multivariate_feature_state_values: values },
        });
        expect([values, res.status]).toEqual([values, 400]);
        expect(res.body.multivariate_feature_state_values).toBeDefined();
      }
      expect(await mvRows(mv.state)).toEqual([
        { option: mv.options[0], pct: 30 },
        { option: mv.options[1], pct: 20 },
      ]);
      expect(await stateRow(mv.state)).toMatchObject({ enabled: false });
    });

    it.each<[string, string, Record<string, unknown>]>([
      ['a non-boolean enabled', 'enabled', { enabled: 'sometimes' }],
      ['an integer beyond 32 bits', 'integer_value', { feature_state_value: 2 ** 40 }],
      ['a 20001-character string', 'string_value', { feature_state_value: 'x'.repeat(20001) }],
      ['another feature', 'feature', { feature: 999999 }],
      ['another environment', 'environment', { environment: 999999 }],
    ])('a body with %s answers 400 naming %s and changes nothing', async (_what, field, body) => {
      const { env, flag, base } = await setup(`Bad ${field}`);
      const before = await stateRow(flag.state);
      const stamp = await updatedAt(env.id);
      const res = await call('PUT', `${base}${flag.state}/`, { auth: admin.token, body });
      expect(res.status).toBe(400);
      expect(res.body[field]).toEqual([expect.any(String)]);
      expect(await stateRow(flag.state)).toEqual(before);
      expect(await updatedAt(env.id)).toBe(stamp);
    });

    it('malformed JSON answers 400 and a 10 MB value 413, changing nothing', async () => {
      const { flag, base } = await setup('RawBodies');
      const before = await stateRow(flag.state);
      const malformed = await call('PUT', `${base}${flag.state}/`, {
        auth: admin.token,
        rawBody: '{"enabled": tru',
      });
      expect(malformed.status).toBe(400);
      expect(malformed.body.detail).toMatch(/JSON parse error/);
      const huge = await call('PUT', `${base}${flag.state}/`, {
        auth: admin.token,
        body: { feature_state_value: 'x'.repeat(10 * 1024 * 1024) },
      });
      expect(huge.status).toBe(413);
      expect(await stateRow(flag.state)).toEqual(before);
    });

    it('unknown ids, overrides and states of other environments answer 404', async () => {
      const { env, flag, base } = await setup('Ids');
      const other = await setup('Ids other');
      const [identity] = await db<{ id: number }>(
        `INSERT INTO identities (uuid, identifier, environment_id) VALUES (gen_random_uuid(), 'bob', $1) RETURNING id`,
        [env.id],
      );
      const [override] = await db<{ id: number }>(
        `INSERT INTO feature_states (uuid, feature_id, environment_id, identity_id) VALUES (gen_random_uuid(), $1, $2, $3) RETURNING id`,
        [flag.id, env.id, identity.id],
      );
      for (const id of ['999999', 'abc', String(other.flag.state), String(override.id)]) {
        expect([id, (await call('GET', `${base}${id}/`, { auth: admin.token })).status]).toEqual([id, 404]);
        expect([
          id,
          (await call('PATCH', `${base}${id}/`, { auth: admin.token, body: { enabled: false } })).status,
        ]).toEqual([id, 404]);
      }
      expect(
        (await call('GET', '/api/v1/environments/nope/featurestates/', { auth: admin.token })).status,
      ).toBe(404);
      expect(await stateRow(other.flag.state)).toMatchObject({ enabled: true });
    });
  });

  describe('/features/featurestates/', () => {
    async function segmentOverrideSlot(projectId: number, envId: number, featureId: number) {
      const [segment] = await db<{ id: number }>(
        `INSERT INTO segments (uuid, name, project_id) VALUES (gen_random_uuid(), 'pros', $1) RETURNING id`,
        [projectId],
      );
      const [fsg] = await db<{ id: number }>(
        `INSERT INTO feature_segments (uuid, feature_id, segment_id, environment_id, priority)
         VALUES (gen_random_uuid(), $1, $2, $3, 0) RETURNING id`,
        [featureId, segment.id, envId],
      );
      return fsg.id;
    }

    it('creates a segment override state with a typed value, then updates it with PUT and PATCH', async () => {
      const { project, env, mv } = await setup('Typed form');
      const fsg = await segmentOverrideSlot(project.id, env.id, mv.id);
      const before = await updatedAt(env.id);
      const created = await call('POST', '/api/v1/features/featurestates/', {
        auth: admin.token,
        body: {
          feature: mv.id,
          environment: env.id,
          feature_segment: fsg,
          enabled: true,
          feature_state_value: { type: 'int', integer_value: 12, string_value: null, boolean_value: null },
          multivariate_feature_state_values: [
            { multivariate_feature_option: mv.options[0], percentage_allocation: 100 },
          ],
        },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        feature: mv.id,
        environment: env.id,
        feature_segment: fsg,
        identity: null,
        enabled: true,
        feature_state_value: { type: 'int', integer_value: 12, string_value: null, boolean_value: null },
        multivariate_feature_state_values: [
          { multivariate_feature_option: mv.options[0], percentage_allocation: 100 },
        ],
      });
      expect(await updatedAt(env.id)).toBeGreaterThan(before);
      expect(await audits(env.id)).toEqual(["Segment override created for feature 'mv' and segment 'pros'"]);
      const url = `/api/v1/features/featurestates/${created.body.id}/`;
      const put = await call('PUT', url, {
        auth: admin.token,
        body: {
          feature: mv.id,
          environment: env.id,
          enabled: false,
          feature_state_value: { type: 'bool', boolean_value: true },
        },
      });
      expect(put.status).toBe(200);
      expect(put.body.feature_state_value).toEqual({
        type: 'bool',
        boolean_value: true,
        integer_value: null,
        string_value: null,
      });
      expect(await stateRow(created.body.id)).toEqual({
        enabled: false,
        value_type: 'bool',
        string_value: null,
        integer_value: null,
        boolean_value: true,
      });
      const missing = await call('PUT', url, { auth: admin.token, body: { enabled: true } });
      expect(missing.status).toBe(400);
      expect(Object.keys(missing.body).sort()).toEqual(['environment', 'feature']);
      const patch = await call('PATCH', url, {
        auth: admin.token,
        body: { feature_state_value: { type: 'unicode', string_value: 'x' } },
      });
      expect(patch.body.feature_state_value).toMatchObject({ type: 'unicode', string_value: 'x' });
      const list = await call(
        'GET',
        `/api/v1/features/featurestates/?environment=${env.id}&feature=${mv.id}`,
        { auth: admin.token },
      );
      expect(list.status).toBe(200);
      expect(list.body.results.map((s: { id: number }) => s.id)).toEqual([mv.state, created.body.id]);
      expect(list.body.results[0].feature_state_value).toEqual({
        type: 'unicode',
        string_value: 'control',
        integer_value: null,
        boolean_value: null,
      });
      const bySegment = await call(
        'GET',
        `/api/v1/features/featurestates/?environment=${env.id}&feature_segment=${fsg}`,
        { auth: admin.token },
      );
      expect(bySegment.body.count).toBe(1);
    });

    it('refuses a missing environment, a foreign feature, a second default state and a bad value type', async () => {
      const { env, flag } = await setup('Typed refusals');
      const other = await setup('Typed refusals other');
      expect((await call('GET', '/api/v1/features/featurestates/', { auth: admin.token })).status).toBe(400);
      const count = async () =>
        Number((await db<{ n: string }>('SELECT count(*) AS n FROM feature_states'))[0].n);
      const before = await count();
      for (const [body, field] of [
        [{ feature: other.flag.id, environment: env.id }, 'feature'],
        [{ feature: flag.id, environment: env.id }, 'non_field_errors'],
        [
          { feature: flag.id, environment: env.id, feature_state_value: { type: 'float' } },
          'feature_state_value',
        ],
        [{ environment: env.id }, 'feature'],
        [{ feature: flag.id }, 'environment'],
      ] as const) {
        const res = await call('POST', '/api/v1/features/featurestates/', { auth: admin.token, body });
        expect([field, res.status, res.body[field] !== undefined]).toEqual([field, 400, true]);
      }
      expect(await count()).toBe(before);
    });
  });

  describe('permissions', () => {
    it('VIEW_ENVIRONMENT reads but cannot write; UPDATE_FEATURE_STATE writes', async () => {
      const { project, env, flag, base } = await setup('Perms');
      const viewer = await member(project.id, env.api_key, ['VIEW_ENVIRONMENT']);
      const updater = await member(project.id, env.api_key, ['UPDATE_FEATURE_STATE']);
      const none = await member(project.id, env.api_key, []);
      const url = `${base}${flag.state}/`;
      expect((await call('GET', base, { auth: viewer.token })).status).toBe(200);
      expect((await call('GET', url, { auth: viewer.token })).status).toBe(200);
      expect((await call('PATCH', url, { auth: viewer.token, body: { enabled: false } })).status).toBe(403);
      expect((await call('GET', base, { auth: updater.token })).status).toBe(403);
      expect((await call('PATCH', url, { auth: updater.token, body: { enabled: false } })).status).toBe(200);
      expect((await call('GET', base, { auth: none.token })).status).toBe(403);
      expect((await call('PATCH', url, { auth: none.token, body: { enabled: true } })).status).toBe(403);
      expect(
        (
          await call('PATCH', `/api/v1/features/featurestates/${flag.state}/`, {
            auth: viewer.token,
            body: { enabled: true },
          })
        ).status,
      ).toBe(403);
      expect(
        (await call('GET', `/api/v1/features/featurestates/?environment=${env.id}`, { auth: updater.token }))
          .status,
      ).toBe(403);
      expect(await stateRow(flag.state)).toMatchObject({ enabled: false });
    });

    it('a user of another organisation gets 404 for every state route and nothing changes', async () => {
      const { env, flag, base } = await setup('Private');
      const stranger = await signUp(call);
      await createOrganisation(call, stranger.token, 'Other Co');
      for (const [method, path, body] of [
        ['GET', base, undefined],
        ['GET', `${base}${flag.state}/`, undefined],
        ['PUT', `${base}${flag.state}/`, { enabled: false }],
        ['GET', `/api/v1/features/featurestates/?environment=${env.id}`, undefined],
        ['PATCH', `/api/v1/features/featurestates/${flag.state}/`, { enabled: false }],
        ['POST', '/api/v1/features/featurestates/', { feature: flag.id, environment: env.id }],
      ] as const) {
        const res = await call(method, path, { auth: stranger.token, body });
        expect([method, path, res.status, res.body]).toEqual([method, path, 404, { detail: 'Not found.' }]);
      }
      expect(await stateRow(flag.state)).toMatchObject({ enabled: true, string_value: 'hello' });
      expect(await audits(env.id)).toEqual([]);
    });
  });
});
