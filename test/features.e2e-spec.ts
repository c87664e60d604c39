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

describe('features (docs/contracts/admin-api.md §6, §4 tags/owners)', () => {
  let t: TestApp;
  let call: Call;
  let admin: { id: number; token: string; email: string };
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

  /** A project that applies flag defaults (prevent_flag_defaults false) with two environments. */
  async function setup(name: string, settings: Record<string, unknown> = { prevent_flag_defaults: false }) {
    const project = await createProject(call, admin.token, org.id, name);
    await call('PATCH', `/api/v1/projects/${project.id}/`, { auth: admin.token, body: settings });
    const dev = await createEnvironment(call, admin.token, project.id, 'Dev');
    const prod = await createEnvironment(call, admin.token, project.id, 'Prod');
    return { project, dev, prod, base: `/api/v1/projects/${project.id}/features/` };
  }

  async function member(projectId: number, permissions: string[]) {
    const link = await call('POST', `/api/v1/organisations/${org.id}/invite-links/`, {
      auth: admin.token,
      body: {},
    });
    const user = await signUp(call);
    await call('POST', `/api/v1/users/join/link/${link.body.hash}/`, { auth: user.token });
    if (permissions.length) {
      const grant = await call('POST', `/api/v1/projects/${projectId}/user-permissions/`, {
        auth: admin.token,
        body: { user: user.id, permissions, admin: false },
      });
      expect(grant.status).toBe(201);
    }
    return user;
  }

  const updatedAt = async (envIds: number[]) =>
    (
      await db<{ id: number; updated_at: Date }>(
        'SELECT id, updated_at FROM environments WHERE id = ANY($1) ORDER BY id',
        [envIds],
      )
    ).map((r) => r.updated_at.getTime());

  const auditCount = async (projectId: number, like: string) =>
    Number(
      (
        await db<{ n: string }>(
          'SELECT count(*) AS n FROM audit_logs WHERE project_id = $1 AND log LIKE $2',
          [projectId, like],
        )
      )[0].n,
    );

  describe('create', () => {
    it('a feature created by an org admin has Flagsmith fields, its creator as owner, and a default state per environment', async () => {
      const { project, dev, prod, base } = await setup('Create');
      const before = await updatedAt([dev.id, prod.id]);
      const res = await call('POST', base, {
        auth: admin.token,
        body: { name: 'banner', default_enabled: true, initial_value: '42', description: 'Top banner' },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        name: 'banner',
        type: 'STANDARD',
        default_enabled: true,
        initial_value: '42',
        description: 'Top banner',
        tags: [],
        multivariate_options: [],
        is_archived: false,
        group_owners: [],
        project: project.id,
        is_server_key_only: false,
        environment_feature_state: null,
        num_segment_overrides: 0,
        num_identity_overrides: null,
      });
      expect(res.body.uuid).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.body.owners).toEqual([
        expect.objectContaining({ id: admin.id, email: admin.email, first_name: 'Ann', last_name: 'Lee' }),
      ]);
      const states = await db(
        `SELECT environment_id, enabled, value_type, integer_value, identity_id, feature_segment_id
           FROM feature_states WHERE feature_id = $1 ORDER BY environment_id`,
        [res.body.id],
      );
      expect(states).toEqual([
        {
          environment_id: dev.id,
          enabled: true,
          value_type: 'int',
          integer_value: 42,
          identity_id: null,
          feature_segment_id: null,
        },
        {
          environment_id: prod.id,
          enabled: true,
          value_type: 'int',
          integer_value: 42,
          identity_id: null,
          feature_segment_id: null,
        },
      ]);
      const after = await updatedAt([dev.id, prod.id]);
      expect(after[0]).toBeGreaterThan(before[0]);
      expect(after[1]).toBeGreaterThan(before[1]);
      expect(await auditCount(project.id, 'New Flag / Remote Config created: banner')).toBe(1);
    });

    it('in a project that prevents flag defaults, new states are disabled and carry no value', async () => {
      const { dev, base } = await setup('Prevent', { prevent_flag_defaults: true });
      const res = await call('POST', base, {
        auth: admin.token,
        body: { name: 'quiet', default_enabled: true, initial_value: 'hello' },
      });
      expect(res.status).toBe(201);
      expect(
        await db(
          'SELECT enabled, value_type, string_value FROM feature_states WHERE feature_id = $1 AND environment_id = $2',
          [res.body.id, dev.id],
        ),
      ).toEqual([{ enabled: false, value_type: 'unicode', string_value: null }]);
    });

    it('a multivariate feature gets, per environment, one MV value per option at its default allocation', async () => {
      const { dev, prod, base } = await setup('Mv');
      const res = await call('POST', base, {
        auth: admin.token,
        body: {
          name: 'colour',
          initial_value: 'grey',
          multivariate_options: [
            { type: 'unicode', string_value: 'red', default_percentage_allocation: 30 },
            { type: 'int', integer_value: 7, default_percentage_allocation: 20 },
          ],
        },
      });
      expect(res.status).toBe(201);
      expect(res.body.type).toBe('MULTIVARIATE');
      expect(res.body.multivariate_options).toEqual([
        expect.objectContaining({
          type: 'unicode',
          string_value: 'red',
          default_percentage_allocation: 30,
          key: null,
        }),
        expect.objectContaining({ type: 'int', integer_value: 7, default_percentage_allocation: 20 }),
      ]);
      const values = await db<{ environment_id: number; pct: number }>(
        `SELECT s.environment_id, v.percentage_allocation AS pct FROM multivariate_feature_state_values v
           JOIN feature_states s ON s.id = v.feature_state_id WHERE s.feature_id = $1 ORDER BY s.environment_id, v.id`,
        [res.body.id],
      );
      expect(values).toEqual([
        { environment_id: dev.id, pct: 30 },
        { environment_id: dev.id, pct: 20 },
        { environment_id: prod.id, pct: 30 },
        { environment_id: prod.id, pct: 20 },
      ]);
    });

    it('multivariate options allocating more than 100 % answer 400 and create nothing', async () => {
      const { project, base } = await setup('MvTooMuch');
      const res = await call('POST', base, {
        auth: admin.token,
        body: {
          name: 'greedy',
          multivariate_options: [
            { type: 'unicode', string_value: 'a', default_percentage_allocation: 60 },
            { type: 'unicode', string_value: 'b', default_percentage_allocation: 50 },
          ],
        },
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ multivariate_options: ['Invalid percentage allocation'] });
      expect(await db('SELECT 1 FROM features WHERE project_id = $1', [project.id])).toEqual([]);
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['a name taken in another case', {}, 'Taken'],
      [
        'an upper-case name where only lower case is allowed',
        { only_allow_lower_case_feature_names: true },
        'Upper',
      ],
      ['a name not matching feature_name_regex', { feature_name_regex: '[a-z]+' }, 'has space'],
    ])('%s answers 400 naming the name and creates nothing', async (_what, settings, name) => {
      const { project, base } = await setup(`Names ${name}`, {
        prevent_flag_defaults: false,
        only_allow_lower_case_feature_names: false,
        ...settings,
      });
      expect((await call('POST', base, { auth: admin.token, body: { name: 'taken' } })).status).toBe(201);
      const res = await call('POST', base, { auth: admin.token, body: { name } });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ name: [expect.any(String)] });
      expect(await db('SELECT name FROM features WHERE project_id = $1', [project.id])).toEqual([
        { name: 'taken' },
      ]);
    });

    it('a name matching the project regex is accepted', async () => {
      const { base } = await setup('Regex ok', { feature_name_regex: '[a-z]+_flag' });
      expect((await call('POST', base, { auth: admin.token, body: { name: 'good_flag' } })).status).toBe(201);
    });

    it('a backtracking-prone project regex checks a long name in linear time and refuses it', async () => {
      // A backtracking engine needs ~2^40 steps for this name (minutes); RE2 answers at once.
      const { base } = await setup('Regex slow', { feature_name_regex: '(a+)+b' });
      const started = Date.now();
      const res = await call('POST', base, { auth: admin.token, body: { name: 'a'.repeat(40) + '!' } });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ name: ['Feature name must match regex: (a+)+b'] });
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it.each<[string, string, unknown]>([
      ['no name', 'name', { description: 'x' }],
      ['a list for a name', 'name', { name: ['a'] }],
      ['a non-boolean default_enabled', 'default_enabled', { name: 'x', default_enabled: 'perhaps' }],
      ['an unknown type', 'type', { name: 'x', type: 'FANCY' }],
      ['tags that are not ids', 'tags', { name: 'x', tags: ['blue'] }],
      ['an unknown tag id', 'tags', { name: 'x', tags: [999999] }],
      ['an over-long initial value', 'initial_value', { name: 'x', initial_value: 'v'.repeat(20001) }],
      ['a non-list of options', 'multivariate_options', { name: 'x', multivariate_options: 'many' }],
    ])('a body with %s answers 400 naming %s and creates nothing', async (_what, field, body) => {
      const { project, base } = await setup(`Bad ${field} ${String(_what).length}`);
      const res = await call('POST', base, { auth: admin.token, body });
      expect(res.status).toBe(400);
      expect(res.body[field]).toBeDefined();
      expect(await db('SELECT 1 FROM features WHERE project_id = $1', [project.id])).toEqual([]);
    });

    it('malformed JSON answers 400, a 10 MB body 413, and neither creates anything', async () => {
      const { project, base } = await setup('Raw bodies');
      const malformed = await call('POST', base, { auth: admin.token, rawBody: '{"name": "x",' });
      expect(malformed.status).toBe(400);
      expect(malformed.body.detail).toMatch(/JSON parse error/);
      const huge = await call('POST', base, {
        auth: admin.token,
        body: { name: 'huge', initial_value: 'x'.repeat(10 * 1024 * 1024) },
      });
      expect(huge.status).toBe(413);
      expect(huge.body).toEqual({ detail: expect.any(String) });
      expect(await db('SELECT 1 FROM features WHERE project_id = $1', [project.id])).toEqual([]);
    });
  });

  describe('list', () => {
    it('search, tags, is_archived, sorting and pagination select and order the features', async () => {
      const { project, base } = await setup('Listing');
      const tag = await call('POST', `/api/v1/projects/${project.id}/tags/`, {
        auth: admin.token,
        body: { label: 'beta', color: '#00ff00' },
      });
      expect(tag.status).toBe(201);
      for (const name of ['charlie', 'alpha', 'bravo_beta'])
        await call('POST', base, {
          auth: admin.token,
          body: { name, tags: name === 'alpha' ? [tag.body.id] : [], is_archived: name === 'charlie' },
        });
      const names = async (q: string) => {
        const res = await call('GET', `${base}?${q}`, { auth: admin.token });
        expect(res.status).toBe(200);
        return res.body.results.map((f: { name: string }) => f.name);
      };
      expect(await names('')).toEqual(['charlie', 'alpha', 'bravo_beta']);
      expect(await names('sort_field=name')).toEqual(['alpha', 'bravo_beta', 'charlie']);
      expect(await names('sort_field=name&sort_direction=DESC')).toEqual(['charlie', 'bravo_beta', 'alpha']);
      expect(await names('search=BETA')).toEqual(['bravo_beta']);
      expect(await names(`tags=${tag.body.id}`)).toEqual(['alpha']);
      expect(await names('tags=')).toEqual(['charlie', 'bravo_beta']);
      expect(await names('is_archived=true')).toEqual(['charlie']);
      expect(await names('is_archived=false&sort_field=name')).toEqual(['alpha', 'bravo_beta']);
      const page = await call('GET', `${base}?sort_field=name&page_size=2&page=2`, { auth: admin.token });
      expect(page.body).toMatchObject({
        count: 3,
        next: null,
        results: [expect.objectContaining({ name: 'charlie' })],
      });
      expect(page.body.previous).toContain('page_size=2');
      for (const q of [
        'sort_field=colour',
        'sort_direction=UP',
        'tags=a,b',
        'is_archived=maybe',
        'environment=x',
      ])
        expect([q, (await call('GET', `${base}?${q}`, { auth: admin.token })).status]).toEqual([q, 400]);
      expect((await call('GET', `${base}?page=9`, { auth: admin.token })).status).toBe(404);
    });

    it('?environment adds each feature’s environment state and override counts', async () => {
      const { project, dev, base } = await setup('EnvState');
      const created = await call('POST', base, {
        auth: admin.token,
        body: { name: 'with_state', default_enabled: true, initial_value: 'on' },
      });
      const [state] = await db<{ id: number }>(
        'SELECT id FROM feature_states WHERE feature_id = $1 AND environment_id = $2',
        [created.body.id, dev.id],
      );
      const [identity] = await db<{ id: number }>(
        `INSERT INTO identities (uuid, identifier, environment_id) VALUES (gen_random_uuid(), 'u1', $1) RETURNING id`,
        [dev.id],
      );
      await db(
        `INSERT INTO feature_states (uuid, feature_id, environment_id, identity_id, enabled) VALUES (gen_random_uuid(), $1, $2, $3, false)`,
        [created.body.id, dev.id, identity.id],
      );
      const [segment] = await db<{ id: number }>(
        `INSERT INTO segments (uuid, name, project_id) VALUES (gen_random_uuid(), 's', $1) RETURNING id`,
        [project.id],
      );
      const [fsg] = await db<{ id: number }>(
        `INSERT INTO feature_segments (uuid, feature_id, segment_id, environment_id, priority)
         VALUES (gen_random_uuid(), $1, $2, $3, 0) RETURNING id`,
        [created.body.id, segment.id, dev.id],
      );
      await db(
        `INSERT INTO feature_states (uuid, feature_id, environment_id, feature_segment_id, enabled) VALUES (gen_random_uuid(), $1, $2, $3, true)`,
        [created.body.id, dev.id, fsg.id],
      );
      const res = await call('GET', `${base}?environment=${dev.id}`, { auth: admin.token });
      expect(res.status).toBe(200);
      expect(res.body.results[0]).toMatchObject({
        name: 'with_state',
        environment_feature_state: {
          id: state.id,
          feature_state_value: 'on',
          environment: dev.id,
          identity: null,
          feature_segment: null,
          enabled: true,
        },
        num_segment_overrides: 1,
        num_identity_overrides: 1,
      });
      const other = await setup('OtherEnvProject');
      expect((await call('GET', `${base}?environment=${other.dev.id}`, { auth: admin.token })).status).toBe(
        404,
      );
    });

    it('the list costs the same number of queries for 2 features as for 12, with tags, options, owners and states', async () => {
      const { project, dev, base } = await setup('QueryCount');
      const tag = await call('POST', `/api/v1/projects/${project.id}/tags/`, {
        auth: admin.token,
        body: { label: 't' },
      });
      const create = (i: number) =>
        call('POST', base, {
          auth: admin.token,
          body: {
            name: `f${i}`,
            tags: [tag.body.id],
            multivariate_options: [{ type: 'unicode', string_value: 'v', default_percentage_allocation: 10 }],
          },
        });
      for (let i = 0; i < 2; i++) expect((await create(i)).status).toBe(201);
      const measure = async () => {
        let best = Infinity;
        for (let attempt = 0; attempt < 3; attempt++) {
          const start = queries.count;
          const res = await call('GET', `${base}?environment=${dev.id}&page_size=50`, { auth: admin.token });
          expect(res.status).toBe(200);
          best = Math.min(best, queries.count - start);
        }
        return best;
      };
      const few = await measure();
      for (let i = 2; i < 12; i++) expect((await create(i)).status).toBe(201);
      const many = await measure();
      expect(many).toBe(few);
      expect(few).toBeLessThanOrEqual(15);
      const listed = await call('GET', `${base}?environment=${dev.id}&page_size=50`, { auth: admin.token });
      expect(listed.body.count).toBe(12);
      expect(listed.body.results[11]).toMatchObject({
        tags: [tag.body.id],
        multivariate_options: [expect.objectContaining({ string_value: 'v' })],
        owners: [expect.objectContaining({ id: admin.id })],
        environment_feature_state: expect.objectContaining({ environment: dev.id }),
      });
    });
  });

  describe('retrieve, update, delete', () => {
    it('PATCH changes description, tags and archiving but never name, default_enabled or initial_value', async () => {
      const { project, dev, base } = await setup('Update');
      const tag = await call('POST', `/api/v1/projects/${project.id}/tags/`, {
        auth: admin.token,
        body: { label: 'x' },
      });
      const created = await call('POST', base, {
        auth: admin.token,
        body: { name: 'fixed', initial_value: 'a' },
      });
      const before = await updatedAt([dev.id]);
      const res = await call('PATCH', `${base}${created.body.id}/`, {
        auth: admin.token,
        body: {
          name: 'renamed',
          default_enabled: true,
          initial_value: 'b',
          description: 'now described',
          tags: [tag.body.id],
          is_archived: true,
        },
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        name: 'fixed',
        default_enabled: false,
        initial_value: 'a',
        description: 'now described',
        tags: [tag.body.id],
        is_archived: true,
      });
      const got = await call('GET', `${base}${created.body.id}/`, { auth: admin.token });
      expect(got.body).toEqual(res.body);
      expect((await updatedAt([dev.id]))[0]).toBeGreaterThan(before[0]);
      expect(await auditCount(project.id, 'Flag / Remote Config updated: fixed')).toBe(1);
      const put = await call('PUT', `${base}${created.body.id}/`, { auth: admin.token, body: { tags: [] } });
      expect(put.status).toBe(200);
      expect(put.body.tags).toEqual([]);
    });

    it('a tag of another project answers 400 and leaves the feature’s tags alone', async () => {
      const { base } = await setup('ForeignTag');
      const other = await setup('ForeignTagOwner');
      const foreign = await call('POST', `/api/v1/projects/${other.project.id}/tags/`, {
        auth: admin.token,
        body: { label: 'theirs' },
      });
      const created = await call('POST', base, { auth: admin.token, body: { name: 'mine' } });
      const res = await call('PATCH', `${base}${created.body.id}/`, {
        auth: admin.token,
        body: { tags: [foreign.body.id] },
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        non_field_errors: ['Selected Tags must be from the same Project as current Feature'],
      });
      expect(await db('SELECT 1 FROM feature_tags WHERE feature_id = $1', [created.body.id])).toEqual([]);
    });

    it('DELETE soft-deletes the feature, removes its states and frees its name', async () => {
      const { project, dev, prod, base } = await setup('Delete');
      const created = await call('POST', base, {
        auth: admin.token,
        body: {
          name: 'doomed',
          multivariate_options: [{ type: 'unicode', string_value: 'x', default_percentage_allocation: 50 }],
        },
      });
      const before = await updatedAt([dev.id, prod.id]);
      const res = await call('DELETE', `${base}${created.body.id}/`, { auth: admin.token });
      expect(res.status).toBe(204);
      expect(await db('SELECT 1 FROM feature_states WHERE feature_id = $1', [created.body.id])).toEqual([]);
      const [row] = await db<{ deleted_at: Date | null }>('SELECT deleted_at FROM features WHERE id = $1', [
        created.body.id,
      ]);
      expect(row.deleted_at).toBeInstanceOf(Date);
      expect((await call('GET', `${base}${created.body.id}/`, { auth: admin.token })).status).toBe(404);
      expect((await call('GET', base, { auth: admin.token })).body.count).toBe(0);
      const after = await updatedAt([dev.id, prod.id]);
      expect(after[0]).toBeGreaterThan(before[0]);
      expect(after[1]).toBeGreaterThan(before[1]);
      expect(await auditCount(project.id, 'Flag / Remote Config Deleted: doomed')).toBe(1);
      expect((await call('POST', base, { auth: admin.token, body: { name: 'doomed' } })).status).toBe(201);
    });

    it('unknown, malformed and other projects’ feature ids answer 404', async () => {
      const { base } = await setup('Ids');
      const other = await setup('Ids other');
      const theirs = await call('POST', other.base, { auth: admin.token, body: { name: 'theirs' } });
      for (const id of ['999999', 'abc', String(theirs.body.id)])
        for (const method of ['GET', 'PATCH', 'DELETE'])
          expect([
            method,
            id,
            (
              await call(method, `${base}${id}/`, {
                auth: admin.token,
                body: method === 'PATCH' ? {} : undefined,
              })
            ).status,
          ]).toEqual([method, id, 404]);
      expect(await db('SELECT deleted_at FROM features WHERE id = $1', [theirs.body.id])).toEqual([
        { deleted_at: null },
      ]);
    });
  });

  describe('multivariate options', () => {
    it('creating an option adds an MV value to every environment state; deleting it removes them', async () => {
      const { project, dev, prod, base } = await setup('MvCrud');
      const feature = await call('POST', base, { auth: admin.token, body: { name: 'mvf' } });
      const url = `${base}${feature.body.id}/mv-options/`;
      const before = await updatedAt([dev.id, prod.id]);
      const created = await call('POST', url, {
        auth: admin.token,
        body: {
          feature: feature.body.id,
          type: 'bool',
          boolean_value: true,
          default_percentage_allocation: 40,
          key: 'on_variant',
        },
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.any(Number),
        uuid: expect.any(String),
        type: 'bool',
        integer_value: null,
        string_value: null,
        boolean_value: true,
        default_percentage_allocation: 40,
        key: 'on_variant',
        feature: feature.body.id,
      });
      const after = await updatedAt([dev.id, prod.id]);
      expect(after[0]).toBeGreaterThan(before[0]);
      expect(
        await db(
          `SELECT s.environment_id, v.percentage_allocation FROM multivariate_feature_state_values v
             JOIN feature_states s ON s.id = v.feature_state_id WHERE v.multivariate_feature_option_id = $1 ORDER BY 1`,
          [created.body.id],
        ),
      ).toEqual([
        { environment_id: dev.id, percentage_allocation: 40 },
        { environment_id: prod.id, percentage_allocation: 40 },
      ]);
      expect((await call('GET', `${base}${feature.body.id}/`, { auth: admin.token })).body.type).toBe(
        'MULTIVARIATE',
      );
      const list = await call('GET', url, { auth: admin.token });
      expect(list.body).toMatchObject({ count: 1, results: [{ id: created.body.id }] });
      const patched = await call('PATCH', `${url}${created.body.id}/`, {
        auth: admin.token,
        body: { default_percentage_allocation: 60 },
      });
      expect(patched.status).toBe(200);
      expect(patched.body.default_percentage_allocation).toBe(60);
      expect((await call('DELETE', `${url}${created.body.id}/`, { auth: admin.token })).status).toBe(204);
      expect(
        await db(
          'SELECT 1 FROM multivariate_feature_state_values WHERE multivariate_feature_option_id = $1',
          [created.body.id],
        ),
      ).toEqual([]);
      expect((await call('GET', `${base}${feature.body.id}/`, { auth: admin.token })).body.type).toBe(
        'STANDARD',
      );
      expect(await auditCount(project.id, 'Multivariate option%')).toBe(3);
    });

    it('an option that would take any allocation past 100 % answers 400 and changes nothing', async () => {
      const { dev, base } = await setup('MvLimit');
      const feature = await call('POST', base, {
        auth: admin.token,
        body: {
          name: 'mvl',
          multivariate_options: [{ type: 'unicode', string_value: 'a', default_percentage_allocation: 30 }],
        },
      });
      const url = `${base}${feature.body.id}/mv-options/`;
      // The option default says 30 %, but this environment was edited up to 80 %.
      await db(
        `UPDATE multivariate_feature_state_values SET percentage_allocation = 80
          WHERE feature_state_id IN (SELECT id FROM feature_states WHERE feature_id = $1 AND environment_id = $2)`,
        [feature.body.id, dev.id],
      );
      for (const pct of [71, 30]) {
        const res = await call('POST', url, {
          auth: admin.token,
          body: { type: 'unicode', string_value: 'b', default_percentage_allocation: pct },
        });
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ default_percentage_allocation: ['Invalid percentage allocation'] });
      }
      const bad = await call('POST', url, {
        auth: admin.token,
        body: { type: 'list', string_value: 'b', default_percentage_allocation: 101, key: 'control' },
      });
      expect(bad.status).toBe(400);
      expect(Object.keys(bad.body).sort()).toEqual(['default_percentage_allocation', 'key', 'type']);
      expect(
        await db('SELECT count(*)::int AS n FROM multivariate_feature_options WHERE feature_id = $1', [
          feature.body.id,
        ]),
      ).toEqual([{ n: 1 }]);
      const duplicateKey = async () =>
        call('POST', url, {
          auth: admin.token,
          body: { type: 'unicode', string_value: 'k', default_percentage_allocation: 0, key: 'k1' },
        });
      expect((await duplicateKey()).status).toBe(201);
      expect((await duplicateKey()).body).toEqual({
        key: ['Multivariate option with this key already exists for the feature.'],
      });
    });
  });

  describe('multivariate options inside a feature update', () => {
    it('an unchanged list is a no-op for CREATE_FEATURE users; changes need project admin and sync the options', async () => {
      const { project, dev, base } = await setup('MvSync');
      const created = await call('POST', base, {
        auth: admin.token,
        body: {
          name: 'synced',
          multivariate_options: [
            { type: 'unicode', string_value: 'a', default_percentage_allocation: 30 },
            { type: 'unicode', string_value: 'b', default_percentage_allocation: 20 },
          ],
        },
      });
      const [a, b] = created.body.multivariate_options;
      const creator = await member(project.id, ['CREATE_FEATURE']);
      const url = `${base}${created.body.id}/`;
      const same = await call('PUT', url, {
        auth: creator.token,
        body: { ...created.body, description: 'edited' },
      });
      expect(same.status).toBe(200);
      expect(same.body.description).toBe('edited');
      const changed = {
        multivariate_options: [
          { ...a, string_value: 'A' },
          { type: 'int', integer_value: 3, default_percentage_allocation: 5 },
        ],
      };
      expect((await call('PATCH', url, { auth: creator.token, body: changed })).status).toBe(403);
      const synced = await call('PATCH', url, { auth: admin.token, body: changed });
      expect(synced.status).toBe(200);
      expect(synced.body.multivariate_options).toEqual([
        expect.objectContaining({ id: a.id, string_value: 'A' }),
        expect.objectContaining({ type: 'int', integer_value: 3, default_percentage_allocation: 5 }),
      ]);
      expect(await db('SELECT 1 FROM multivariate_feature_options WHERE id = $1', [b.id])).toEqual([]);
      expect(
        await db<{ pct: number }>(
          `SELECT v.percentage_allocation AS pct FROM multivariate_feature_state_values v
             JOIN feature_states s ON s.id = v.feature_state_id WHERE s.feature_id = $1 AND s.environment_id = $2 ORDER BY v.multivariate_feature_option_id`,
          [created.body.id, dev.id],
        ),
      ).toEqual([{ pct: 30 }, { pct: 5 }]);
    });
  });

  describe('owners and tags', () => {
    it('add/remove owners and group owners answer the project-feature shape; unknown users are refused', async () => {
      const { project, base } = await setup('Owners');
      const viewer = await member(project.id, ['VIEW_PROJECT']);
      const outsider = await member(project.id, []);
      const [group] = await db<{ id: number }>(
        `INSERT INTO user_groups (name, organisation_id) VALUES ('Team', $1) RETURNING id`,
        [org.id],
      );
      const feature = await call('POST', base, { auth: admin.token, body: { name: 'owned' } });
      const url = (action: string) => `${base}${feature.body.id}/${action}/`;
      const added = await call('POST', url('add-owners'), {
        auth: admin.token,
        body: { user_ids: [viewer.id] },
      });
      expect(added.status).toBe(200);
      expect(Object.keys(added.body).sort()).toEqual(
        [
          'created_date',
          'default_enabled',
          'description',
          'group_owners',
          'id',
          'initial_value',
          'is_server_key_only',
          'name',
          'owners',
          'type',
        ].sort(),
      );
      expect(added.body.owners.map((o: { id: number }) => o.id)).toEqual(
        [admin.id, viewer.id].sort((a, b) => a - b),
      );
      const refused = await call('POST', url('add-owners'), {
        auth: admin.token,
        body: { user_ids: [outsider.id] },
      });
      expect(refused.status).toBe(400);
      expect(
        (await call('POST', url('add-owners'), { auth: admin.token, body: { user_ids: [99999999] } })).status,
      ).toBe(400);
      expect(
        (await call('POST', url('add-owners'), { auth: admin.token, body: { user_ids: 'me' } })).status,
      ).toBe(400);
      const removed = await call('POST', url('remove-owners'), {
        auth: admin.token,
        body: { user_ids: [admin.id] },
      });
      expect(removed.body.owners.map((o: { id: number }) => o.id)).toEqual([viewer.id]);
      const grouped = await call('POST', url('add-group-owners'), {
        auth: admin.token,
        body: { group_ids: [group.id] },
      });
      expect(grouped.body.group_owners).toEqual([{ id: group.id, name: 'Team' }]);
      const ungrouped = await call('POST', url('remove-group-owners'), {
        auth: admin.token,
        body: { group_ids: [group.id] },
      });
      expect(ungrouped.body.group_owners).toEqual([]);
      expect(await auditCount(project.id, 'Flag / Remote Config updated: owned')).toBe(4);
    });

    it('tags: CRUD with Flagsmith’s shape; MANAGE_TAGS writes, VIEW_PROJECT only reads', async () => {
      const { project } = await setup('Tags');
      const url = `/api/v1/projects/${project.id}/tags/`;
      const created = await call('POST', url, {
        auth: admin.token,
        body: { label: 'beta', description: 'b' },
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.any(Number),
        uuid: expect.any(String),
        label: 'beta',
        color: '#6837FC',
        description: 'b',
        project: project.id,
        is_permanent: false,
        is_system_tag: false,
        type: 'NONE',
      });
      expect((await call('POST', url, { auth: admin.token, body: { label: '' } })).status).toBe(400);
      const viewer = await member(project.id, ['VIEW_PROJECT']);
      const tagger = await member(project.id, ['VIEW_PROJECT', 'MANAGE_TAGS']);
      expect((await call('GET', url, { auth: viewer.token })).body.results).toHaveLength(1);
      expect((await call('POST', url, { auth: viewer.token, body: { label: 'no' } })).status).toBe(403);
      expect(
        (await call('PATCH', `${url}${created.body.id}/`, { auth: viewer.token, body: { label: 'no' } }))
          .status,
      ).toBe(403);
      const patched = await call('PATCH', `${url}${created.body.id}/`, {
        auth: tagger.token,
        body: { color: '#000000' },
      });
      expect(patched.body).toMatchObject({ label: 'beta', color: '#000000' });
      expect((await call('DELETE', `${url}${created.body.id}/`, { auth: viewer.token })).status).toBe(403);
      expect((await call('DELETE', `${url}${created.body.id}/`, { auth: tagger.token })).status).toBe(204);
      expect(await db('SELECT 1 FROM tags WHERE id = $1', [created.body.id])).toEqual([]);
      expect(await auditCount(project.id, 'Tag%')).toBe(2);
    });
  });

  describe('permissions', () => {
    it('a user with exactly one project permission can do exactly that', async () => {
      const { project, base } = await setup('Perms');
      const existing = await call('POST', base, { auth: admin.token, body: { name: 'existing' } });
      const viewer = await member(project.id, ['VIEW_PROJECT']);
      const creator = await member(project.id, ['CREATE_FEATURE']);
      const deleter = await member(project.id, ['DELETE_FEATURE']);
      const none = await member(project.id, []);
      const item = `${base}${existing.body.id}/`;
      const attempts = async (token: string) => [
        (await call('GET', base, { auth: token })).status,
        (await call('GET', item, { auth: token })).status,
        (
          await call('POST', base, {
            auth: token,
            body: { name: `n${Math.random().toString(36).slice(2, 8)}` },
          })
        ).status,
        (await call('PATCH', item, { auth: token, body: { description: 'd' } })).status,
        (await call('POST', `${item}add-owners/`, { auth: token, body: { user_ids: [] } })).status,
      ];
      expect(await attempts(viewer.token)).toEqual([200, 200, 403, 403, 403]);
      expect(await attempts(creator.token)).toEqual([403, 403, 201, 200, 200]);
      expect(await attempts(none.token)).toEqual([403, 403, 403, 403, 403]);
      expect((await call('DELETE', item, { auth: viewer.token })).status).toBe(403);
      expect((await call('DELETE', item, { auth: creator.token })).status).toBe(403);
      // Flagsmith: multivariate options on create need project admin.
      const mv = await call('POST', base, {
        auth: creator.token,
        body: {
          name: 'mvx',
          multivariate_options: [{ type: 'unicode', string_value: 'a', default_percentage_allocation: 10 }],
        },
      });
      expect(mv.status).toBe(403);
      expect((await call('DELETE', item, { auth: deleter.token })).status).toBe(204);
    });

    it('a user of another organisation gets 404 for everything and nothing changes', async () => {
      const { project, base } = await setup('Private');
      const feature = await call('POST', base, {
        auth: admin.token,
        body: {
          name: 'secret',
          multivariate_options: [{ type: 'unicode', string_value: 'a', default_percentage_allocation: 10 }],
        },
      });
      const option = feature.body.multivariate_options[0].id;
      const tag = await call('POST', `/api/v1/projects/${project.id}/tags/`, {
        auth: admin.token,
        body: { label: 'mine' },
      });
      const stranger = await signUp(call);
      await createOrganisation(call, stranger.token, 'Other Co');
      const item = `${base}${feature.body.id}/`;
      for (const [method, path, body] of [
        ['GET', base, undefined],
        ['POST', base, { name: 'intruder' }],
        ['GET', item, undefined],
        ['PATCH', item, { description: 'pwned' }],
        ['DELETE', item, undefined],
        ['POST', `${item}add-owners/`, { user_ids: [stranger.id] }],
        ['GET', `${item}mv-options/`, undefined],
        [
          'POST',
          `${item}mv-options/`,
          { type: 'unicode', string_value: 'b', default_percentage_allocation: 1 },
        ],
        ['PATCH', `${item}mv-options/${option}/`, { string_value: 'pwned' }],
        ['DELETE', `${item}mv-options/${option}/`, undefined],
        ['GET', `/api/v1/projects/${project.id}/tags/`, undefined],
        ['DELETE', `/api/v1/projects/${project.id}/tags/${tag.body.id}/`, undefined],
      ] as const) {
        const res = await call(method, path, { auth: stranger.token, body });
        expect([method, path, res.status, res.body]).toEqual([method, path, 404, { detail: 'Not found.' }]);
      }
      expect(
        await db('SELECT name, description, deleted_at FROM features WHERE project_id = $1', [project.id]),
      ).toEqual([{ name: 'secret', description: null, deleted_at: null }]);
      expect(
        await db('SELECT string_value FROM multivariate_feature_options WHERE id = $1', [option]),
      ).toEqual([{ string_value: 'a' }]);
      expect(await db('SELECT 1 FROM tags WHERE id = $1', [tag.body.id])).toHaveLength(1);
      expect(await db('SELECT 1 FROM feature_owners WHERE user_id = $1', [stranger.id])).toEqual([]);
    });

    it('no credentials answer 401', async () => {
      const { base } = await setup('Anon');
      expect((await call('GET', base)).status).toBe(401);
      expect((await call('POST', base, { body: { name: 'x' } })).status).toBe(401);
    });
  });
});
