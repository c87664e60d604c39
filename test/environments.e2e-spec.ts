import { Client } from 'pg';
import { DataSource } from 'typeorm';
import {
  ENVIRONMENT_CHANGED_CHANNEL,
  EnvironmentChange,
  EnvironmentChangesService,
} from '../src/environments/environment-changes.service';
import { Call, client, createEnvironment, createOrganisation, createProject, signUp } from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import { queryDatabase } from './support/database';

describe('projects and environments', () => {
  let t: TestApp;
  let call: Call;
  let admin: { id: number; token: string };
  let org: { id: number };
  beforeAll(async () => {
    t = await startTestApp();
    call = client(t);
    admin = await signUp(call);
    org = await createOrganisation(call, admin.token, 'Acme');
  });
  afterAll(async () => {
    await t.close();
  });

  async function joinAsUser() {
    const link = await call('POST', `/api/v1/organisations/${org.id}/invite-links/`, {
      auth: admin.token,
      body: {},
    });
    const member = await signUp(call);
    await call('POST', `/api/v1/users/join/link/${link.body.hash}/`, { auth: member.token });
    return member;
  }

  describe('projects', () => {
    it('a project created by an org admin is listed for the organisation with Flagsmith fields', async () => {
      const project = await createProject(call, admin.token, org.id, 'Shop');
      expect(project).toMatchObject({
        name: 'Shop',
        organisation: org.id,
        hide_disabled_flags: false,
        enable_dynamo_db: false,
        use_edge_identities: false,
      });
      const list = await call('GET', `/api/v1/projects/?organisation=${org.id}`, { auth: admin.token });
      expect(list.body.map((p: { id: number }) => p.id)).toContain(project.id);
    });

    it('a USER member sees a project only once granted VIEW_PROJECT on it', async () => {
      const project = await createProject(call, admin.token, org.id, 'Hidden');
      const member = await joinAsUser();
      const listed = async () =>
        (await call('GET', `/api/v1/projects/?organisation=${org.id}`, { auth: member.token })).body.map(
          (p: { id: number }) => p.id,
        );
      expect(await listed()).not.toContain(project.id);
      expect((await call('GET', `/api/v1/projects/${project.id}/`, { auth: member.token })).status).toBe(403);
      const grant = await call('POST', `/api/v1/projects/${project.id}/user-permissions/`, {
        auth: admin.token,
        body: { user: member.id, permissions: ['VIEW_PROJECT'], admin: false },
      });
      expect(grant.status).toBe(201);
      expect(await listed()).toContain(project.id);
      expect((await call('GET', `/api/v1/projects/${project.id}/`, { auth: member.token })).status).toBe(200);
      expect(
        (await call('PATCH', `/api/v1/projects/${project.id}/`, { auth: member.token, body: { name: 'x' } }))
          .status,
      ).toBe(403);
      const mine = await call('GET', `/api/v1/projects/${project.id}/my-permissions/`, {
        auth: member.token,
      });
      expect(mine.body).toEqual({ permissions: ['VIEW_PROJECT'], admin: false, tag_based_permissions: [] });
    });

    it("another organisation's project answers 404 to read, update, delete and nested routes, and is unchanged", async () => {
      const project = await createProject(call, admin.token, org.id, 'Mine');
      const stranger = await signUp(call);
      for (const [method, path, body] of [
        ['GET', `/api/v1/projects/${project.id}/`, undefined],
        ['PATCH', `/api/v1/projects/${project.id}/`, { name: 'Stolen' }],
        ['DELETE', `/api/v1/projects/${project.id}/`, undefined],
        ['GET', `/api/v1/projects/${project.id}/environments/`, undefined],
        ['GET', `/api/v1/environments/?project=${project.id}`, undefined],
        ['POST', '/api/v1/environments/', { name: 'E', project: project.id }],
      ] as const) {
        const res = await call(method, path, { auth: stranger.token, body });
        expect([method, path, res.status]).toEqual([method, path, 404]);
      }
      const rows = await queryDatabase(t.databaseUrl, 'SELECT name FROM projects WHERE id = $1', [
        project.id,
      ]);
      expect(rows).toEqual([{ name: 'Mine' }]);
      expect(
        await queryDatabase(t.databaseUrl, 'SELECT 1 FROM environments WHERE project_id = $1', [project.id]),
      ).toEqual([]);
    });

    it.each<[Record<string, unknown>, string]>([
      [{ organisation: 'ORG' }, 'name'],
      [{ name: 'P', organisation: 'abc' }, 'organisation'],
      [{ name: 'P' }, 'organisation'],
      [{ name: 'P', organisation: 'ORG', hide_disabled_flags: 'sometimes' }, 'hide_disabled_flags'],
      [{ name: 'P', organisation: 'ORG', stale_flags_limit_days: 'ten' }, 'stale_flags_limit_days'],
      [{ name: 'P', organisation: 'ORG', feature_name_regex: '([' }, 'feature_name_regex'],
    ])('a project body %j answers 400 naming %s', async (body, field) => {
      const withOrg = body.organisation === 'ORG' ? { ...body, organisation: org.id } : body;
      const res = await call('POST', '/api/v1/projects/', { auth: admin.token, body: withOrg });
      expect(res.status).toBe(400);
      expect(res.body[field]).toBeDefined();
    });
  });

  describe('environments', () => {
    it('an environment created in a project with features gets one default state per feature (+MV values)', async () => {
      // Flag defaults allowed (see environment-defaults.e2e-spec.ts for prevent_flag_defaults).
      const project = (
        await call('POST', '/api/v1/projects/', {
          auth: admin.token,
          body: { name: 'WithFeatures', organisation: org.id, prevent_flag_defaults: false },
        })
      ).body;
      const [feature] = await queryDatabase<{ id: number }>(
        t.databaseUrl,
        `INSERT INTO features (uuid, name, project_id, default_enabled, initial_value, type)
         VALUES (gen_random_uuid(), 'banner', $1, true, '42', 'MULTIVARIATE') RETURNING id`,
        [project.id],
      );
      await queryDatabase(
        t.databaseUrl,
        `INSERT INTO multivariate_feature_options (uuid, feature_id, type, string_value, default_percentage_allocation)
         VALUES (gen_random_uuid(), $1, 'unicode', 'blue', 30)`,
        [feature.id],
      );
      const env = await createEnvironment(call, admin.token, project.id, 'Production');
      expect(env.api_key).toMatch(/^[2-9A-HJ-NP-Za-km-z]{22}$/);
      const states = await queryDatabase(
        t.databaseUrl,
        `SELECT fs.enabled, fs.value_type, fs.integer_value, mv.percentage_allocation
           FROM feature_states fs LEFT JOIN multivariate_feature_state_values mv ON mv.feature_state_id = fs.id
          WHERE fs.environment_id = $1`,
        [env.id],
      );
      expect(states).toEqual([
        { enabled: true, value_type: 'int', integer_value: 42, percentage_allocation: 30 },
      ]);
    });

    it('the environment list without ?project answers 400 and with it a page of visible environments', async () => {
      const project = await createProject(call, admin.token, org.id, 'Listed');
      await createEnvironment(call, admin.token, project.id, 'Dev');
      await createEnvironment(call, admin.token, project.id, 'Prod');
      expect((await call('GET', '/api/v1/environments/', { auth: admin.token })).status).toBe(400);
      expect((await call('GET', '/api/v1/environments/?project=abc', { auth: admin.token })).status).toBe(
        400,
      );
      const list = await call('GET', `/api/v1/environments/?project=${project.id}`, { auth: admin.token });
      expect(list.status).toBe(200);
      expect(list.body.count).toBe(2);
      expect(list.body.results.map((e: { name: string }) => e.name)).toEqual(['Dev', 'Prod']);
    });

    it('a USER with CREATE_ENVIRONMENT becomes admin of the environment they create', async () => {
      const project = await createProject(call, admin.token, org.id, 'Delegated');
      const member = await joinAsUser();
      await call('POST', `/api/v1/projects/${project.id}/user-permissions/`, {
        auth: admin.token,
        body: { user: member.id, permissions: ['VIEW_PROJECT', 'CREATE_ENVIRONMENT'] },
      });
      const env = await createEnvironment(call, member.token, project.id, 'Member env');
      const mine = await call('GET', `/api/v1/environments/${env.api_key}/my-permissions/`, {
        auth: member.token,
      });
      expect(mine.body.admin).toBe(true);
      const other = await createEnvironment(call, admin.token, project.id, 'Admin env');
      expect(
        (await call('GET', `/api/v1/environments/${other.api_key}/`, { auth: member.token })).status,
      ).toBe(403);
    });

    it('PATCH with wrong types answers 400 and changes nothing', async () => {
      const project = await createProject(call, admin.token, org.id, 'Types');
      const env = await createEnvironment(call, admin.token, project.id, 'Env');
      const res = await call('PATCH', `/api/v1/environments/${env.api_key}/`, {
        auth: admin.token,
        body: { allow_client_traits: [1], minimum_change_request_approvals: 'x', name: 'changed' },
      });
      expect(res.status).toBe(400);
      expect(Object.keys(res.body).sort()).toEqual([
        'allow_client_traits',
        'minimum_change_request_approvals',
      ]);
      expect(
        (await call('GET', `/api/v1/environments/${env.api_key}/`, { auth: admin.token })).body.name,
      ).toBe('Env');
    });

    it('clone copies default states and segment overrides under a new key, not identity overrides', async () => {
      // Flag defaults allowed, so the source's default state carries the initial value to copy.
      const project = (
        await call('POST', '/api/v1/projects/', {
          auth: admin.token,
          body: { name: 'Clone', organisation: org.id, prevent_flag_defaults: false },
        })
      ).body;
      await queryDatabase(
        t.databaseUrl,
        `INSERT INTO features (uuid, name, project_id, initial_value) VALUES (gen_random_uuid(), 'f', $1, 'hello')`,
        [project.id],
      );
      const source = await createEnvironment(call, admin.token, project.id, 'Source');
      await queryDatabase(
        t.databaseUrl,
        `WITH s AS (INSERT INTO segments (uuid, name, project_id) VALUES (gen_random_uuid(), 'beta', $1) RETURNING id),
              fs AS (INSERT INTO feature_segments (uuid, feature_id, segment_id, environment_id, priority)
                     SELECT gen_random_uuid(), f.id, s.id, $2, 0 FROM s, features f WHERE f.project_id = $1 RETURNING id, feature_id),
              i AS (INSERT INTO identities (uuid, identifier, environment_id) VALUES (gen_random_uuid(), 'u1', $2) RETURNING id)
         INSERT INTO feature_states (uuid, feature_id, environment_id, feature_segment_id, identity_id, enabled, string_value)
         SELECT gen_random_uuid(), fs.feature_id, $2, fs.id, NULL, true, 'seg' FROM fs
         UNION ALL SELECT gen_random_uuid(), f.id, $2, NULL, i.id, true, 'ident' FROM i, features f WHERE f.project_id = $1`,
        [project.id, source.id],
      );
      const res = await call('POST', `/api/v1/environments/${source.api_key}/clone/`, {
        auth: admin.token,
        body: { name: 'Copy' },
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ name: 'Copy', project: project.id });
      expect(res.body.api_key).not.toBe(source.api_key);
      const copied = await queryDatabase<{ string_value: string; priority: number | null }>(
        t.databaseUrl,
        `SELECT fs.string_value, seg.priority FROM feature_states fs
           LEFT JOIN feature_segments seg ON seg.id = fs.feature_segment_id
          WHERE fs.environment_id = $1 ORDER BY fs.id`,
        [res.body.id],
      );
      expect(copied).toEqual([
        { string_value: 'hello', priority: null },
        { string_value: 'seg', priority: 0 },
      ]);
    });

    it('server-side keys are created as ser.<22>, listed, deactivated and deleted by an environment admin only', async () => {
      const project = await createProject(call, admin.token, org.id, 'Keys');
      const env = await createEnvironment(call, admin.token, project.id, 'Env');
      const base = `/api/v1/environments/${env.api_key}/api-keys/`;
      const created = await call('POST', base, { auth: admin.token, body: { name: 'backend' } });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ name: 'backend', active: true, expires_at: null });
      expect(created.body.key).toMatch(/^ser\.[2-9A-HJ-NP-Za-km-z]{22}$/);
      const patched = await call('PATCH', `${base}${created.body.id}/`, {
        auth: admin.token,
        body: { active: false, expires_at: '2030-01-01T00:00:00Z' },
      });
      expect(patched.body).toMatchObject({ active: false, expires_at: '2030-01-01T00:00:00.000Z' });
      const bad = await call('PATCH', `${base}${created.body.id}/`, {
        auth: admin.token,
        body: { expires_at: 'soon' },
      });
      expect(bad.status).toBe(400);
      const member = await joinAsUser();
      expect((await call('GET', base, { auth: member.token })).status).toBe(403);
      expect((await call('DELETE', `${base}${created.body.id}/`, { auth: admin.token })).status).toBe(204);
      expect((await call('GET', base, { auth: admin.token })).body).toEqual([]);
    });

    it("another organisation's environment answers 404 by api_key and its keys are untouched", async () => {
      const project = await createProject(call, admin.token, org.id, 'Private');
      const env = await createEnvironment(call, admin.token, project.id, 'Env');
      const stranger = await signUp(call);
      for (const [method, path] of [
        ['GET', `/api/v1/environments/${env.api_key}/`],
        ['DELETE', `/api/v1/environments/${env.api_key}/`],
        ['POST', `/api/v1/environments/${env.api_key}/api-keys/`],
        ['POST', `/api/v1/environments/${env.api_key}/clone/`],
      ] as const) {
        const res = await call(method, path, {
          auth: stranger.token,
          body: method === 'GET' ? undefined : { name: 'x' },
        });
        expect([path, res.status]).toEqual([path, 404]);
      }
      expect(
        await queryDatabase(t.databaseUrl, 'SELECT 1 FROM environment_api_keys WHERE environment_id = $1', [
          env.id,
        ]),
      ).toEqual([]);
    });
  });

  describe('EnvironmentChangesService', () => {
    it('an environment PATCH bumps updated_at, emits in-process after commit and pg_notifies the api key', async () => {
      const project = await createProject(call, admin.token, org.id, 'Changes');
      const env = await createEnvironment(call, admin.token, project.id, 'Env');
      const listener = new Client({ connectionString: t.databaseUrl });
      await listener.connect();
      const notified = new Promise<string>((resolve) =>
        listener.on('notification', (n) => {
          if (n.payload?.includes(env.api_key)) resolve(n.payload);
        }),
      );
      await listener.query(`LISTEN ${ENVIRONMENT_CHANGED_CHANNEL}`);
      const seen: EnvironmentChange[] = [];
      const off = t.app.get(EnvironmentChangesService).onChange((c) => seen.push(c));
      try {
        const [before] = await queryDatabase<{ updated_at: Date }>(
          t.databaseUrl,
          'SELECT updated_at FROM environments WHERE id = $1',
          [env.id],
        );
        const res = await call('PATCH', `/api/v1/environments/${env.api_key}/`, {
          auth: admin.token,
          body: { hide_disabled_flags: true },
        });
        expect(res.status).toBe(200);
        const payload = JSON.parse(await notified);
        expect(payload).toEqual({ environment_ids: [env.id], api_keys: [env.api_key] });
        expect(seen).toContainEqual({ environmentIds: [env.id], apiKeys: [env.api_key], bumped: true });
        const [after] = await queryDatabase<{ updated_at: Date }>(
          t.databaseUrl,
          'SELECT updated_at FROM environments WHERE id = $1',
          [env.id],
        );
        expect(after.updated_at.getTime()).toBeGreaterThan(before.updated_at.getTime());
      } finally {
        off();
        await listener.end();
      }
    });

    it('a change inside a transaction that rolls back emits nothing and leaves updated_at alone', async () => {
      const project = await createProject(call, admin.token, org.id, 'Rollback');
      const env = await createEnvironment(call, admin.token, project.id, 'Env');
      const service = t.app.get(EnvironmentChangesService);
      const seen: EnvironmentChange[] = [];
      const off = service.onChange((c) => seen.push(c));
      const [before] = await queryDatabase<{ updated_at: Date }>(
        t.databaseUrl,
        'SELECT updated_at FROM environments WHERE id = $1',
        [env.id],
      );
      try {
        await expect(
          t.app.get(DataSource).transaction(async (manager) => {
            await service.environmentsChanged(manager, [env.id]);
            throw new Error('abort');
          }),
        ).rejects.toThrow('abort');
        await t.app.get(DataSource).transaction(async (manager) => {
          await service.projectChanged(manager, project.id);
          expect(seen).toEqual([]); // not before commit
        });
        expect(seen).toEqual([{ environmentIds: [env.id], apiKeys: [env.api_key], bumped: true }]);
      } finally {
        off();
      }
      const [after] = await queryDatabase<{ updated_at: Date }>(
        t.databaseUrl,
        'SELECT updated_at FROM environments WHERE id = $1',
        [env.id],
      );
      expect(after.updated_at.getTime()).toBeGreaterThan(before.updated_at.getTime());
    });
  });
});
