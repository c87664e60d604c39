import {
  Call,
  client,
  createEnvironment,
  createOrganisation,
  createProject,
  PASSWORD,
  signUp,
} from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import { queryDatabase } from './support/database';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- loosely typed JSON bodies
type Json = any;

/**
 * Small routes and fields Flagsmith's dashboard reads on its open-source pages: creating a missing environment state,
 * djoser's user retrieve and set_email, onboarding answers and status, project totals, lifecycle stages, the
 * organisation's write-only targeting key and its (planless) subscription metadata.
 */
describe('dashboard routes', () => {
  let t: TestApp;
  let call: Call;
  let owner: { id: number; token: string; email: string };
  let org: number;
  let project: number;
  let env: { id: number; api_key: string };
  let stranger: { id: number; token: string };
  beforeAll(async () => {
    t = await startTestApp();
    call = client(t);
    owner = await signUp(call);
    org = (await createOrganisation(call, owner.token, 'Dash')).id;
    project = (await createProject(call, owner.token, org, 'Dash web')).id;
    env = await createEnvironment(call, owner.token, project, 'Development');
    stranger = await signUp(call);
  });
  afterAll(async () => {
    await t.close();
  });

  async function member() {
    const user = await signUp(call);
    await queryDatabase(
      t.databaseUrl,
      `INSERT INTO organisation_memberships (user_id, organisation_id, role) VALUES ($1, $2, 'USER')`,
      [user.id, org],
    );
    return user;
  }

  /** A feature whose default state in `env` is gone (what the dashboard's POST is for). */
  async function featureWithoutState(name: string) {
    const res = await call('POST', `/api/v1/projects/${project}/features/`, {
      auth: owner.token,
      body: { name },
    });
    expect(res.status).toBe(201);
    await queryDatabase(t.databaseUrl, 'DELETE FROM feature_states WHERE feature_id = $1', [res.body.id]);
    return res.body.id as number;
  }

  describe('POST /environments/{key}/featurestates/', () => {
    it('creates the missing state with the raw value, answers 201 in the raw form, audits it and the SDK serves it', async () => {
      const feature = await featureWithoutState('late_flag');
      const res = await call('POST', `/api/v1/environments/${env.api_key}/featurestates/`, {
        auth: owner.token,
        body: { feature, enabled: true, feature_state_value: 'hi', environment: 'ignored' },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        feature,
        environment: env.id,
        enabled: true,
        feature_state_value: 'hi',
        identity: null,
        feature_segment: null,
      });
      const flags = await fetch(`${t.url}/api/v1/flags/`, { headers: { 'x-environment-key': env.api_key } });
      const served = ((await flags.json()) as Json[]).find((f) => f.feature.id === feature);
      expect(served).toMatchObject({ enabled: true, feature_state_value: 'hi' });
      const logs = await queryDatabase<{ log: string }>(
        t.databaseUrl,
        `SELECT log FROM audit_logs WHERE related_object_type = 'FEATURE_STATE' AND related_object_id = $1`,
        [feature],
      );
      expect(logs.map((l) => l.log)).toEqual(['New Flag / Remote Config created: late_flag']);
    });

    it("a second state for the same feature answers 400 with Flagsmith's list body and writes nothing", async () => {
      const feature = await featureWithoutState('twice');
      const body = { feature, enabled: false };
      const url = `/api/v1/environments/${env.api_key}/featurestates/`;
      expect((await call('POST', url, { auth: owner.token, body })).status).toBe(201);
      const again = await call('POST', url, { auth: owner.token, body });
      expect(again.status).toBe(400);
      expect(again.body).toEqual([
        "['Feature state already exists for this environment, feature, version, segment & identity combination']",
      ]);
      const rows = await queryDatabase(t.databaseUrl, 'SELECT id FROM feature_states WHERE feature_id = $1', [
        feature,
      ]);
      expect(rows).toHaveLength(1);
    });

    it('an identifier makes an identity override; an unknown identifier is 400 "Invalid identifier"', async () => {
      const feature = await featureWithoutState('per_user');
      const identity = await call('POST', `/api/v1/environments/${env.api_key}/identities/`, {
        auth: owner.token,
        body: { identifier: 'ann' },
      });
      expect(identity.status).toBe(201);
      const url = `/api/v1/environments/${env.api_key}/featurestates/`;
      const made = await call('POST', url, {
        auth: owner.token,
        body: { feature, identifier: 'ann', enabled: true },
      });
      expect(made.status).toBe(201);
      expect(made.body).toMatchObject({ identity: identity.body.id, enabled: true });
      expect(made.body).not.toHaveProperty('identifier');
      const bad = await call('POST', url, { auth: owner.token, body: { feature, identifier: 'nobody' } });
      expect(bad).toEqual({ status: 400, body: { non_field_errors: ['Invalid identifier'] } });
    });

    it('POST /features/featurestates/ also takes an identifier instead of identity (write-only)', async () => {
      const feature = (
        await call('POST', `/api/v1/projects/${project}/features/`, {
          auth: owner.token,
          body: { name: 'typed_id' },
        })
      ).body.id as number;
      const identity = await call('POST', `/api/v1/environments/${env.api_key}/identities/`, {
        auth: owner.token,
        body: { identifier: 'cat' },
      });
      const res = await call('POST', '/api/v1/features/featurestates/', {
        auth: owner.token,
        body: {
          feature,
          environment: env.id,
          identifier: 'cat',
          enabled: true,
          feature_state_value: { type: 'unicode', string_value: 'meow' },
        },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ identity: identity.body.id, enabled: true });
      expect(res.body).not.toHaveProperty('identifier');
    });

    it('a missing feature, or one of another project, is 403 as Flagsmith; nothing is written', async () => {
      const otherProject = await createProject(call, owner.token, org, 'Other');
      const theirs = await call('POST', `/api/v1/projects/${otherProject.id}/features/`, {
        auth: owner.token,
        body: { name: 'theirs' },
      });
      const url = `/api/v1/environments/${env.api_key}/featurestates/`;
      const before = await queryDatabase(t.databaseUrl, 'SELECT id FROM feature_states');
      for (const body of [{ enabled: true }, { feature: theirs.body.id }, { feature: 999999 }])
        expect((await call('POST', url, { auth: owner.token, body })).status).toBe(403);
      expect(await queryDatabase(t.databaseUrl, 'SELECT id FROM feature_states')).toHaveLength(before.length);
      const typo = await call('POST', url, { auth: owner.token, body: { feature: 'abc' } });
      expect(typo.status).toBe(400);
    });

    it("another organisation's environment is 404; a member without UPDATE_FEATURE_STATE is 403", async () => {
      const feature = await featureWithoutState('guarded');
      const url = `/api/v1/environments/${env.api_key}/featurestates/`;
      expect((await call('POST', url, { auth: stranger.token, body: { feature } })).status).toBe(404);
      const user = await member();
      expect((await call('POST', url, { auth: user.token, body: { feature } })).status).toBe(403);
    });
  });

  describe('users', () => {
    it('GET /auth/users/{id}/ is 403 for every id (own included), 401 without credentials', async () => {
      for (const id of [owner.id, stranger.id, 999999, 'me2'])
        expect((await call('GET', `/api/v1/auth/users/${id}/`, { auth: owner.token })).status).toBe(403);
      expect((await call('GET', `/api/v1/auth/users/${owner.id}/`)).status).toBe(401);
    });

    it('set_email with the current password changes the email (204) and sign-in takes the new one', async () => {
      const user = await signUp(call);
      const next = `moved-${Date.now()}@example.com`;
      const res = await call('POST', '/api/v1/auth/users/set_email/', {
        auth: user.token,
        body: { current_password: PASSWORD, new_email: next },
      });
      expect(res.status).toBe(204);
      expect((await call('GET', '/api/v1/auth/users/me/', { auth: user.token })).body.email).toBe(next);
      const login = await call('POST', '/api/v1/auth/login/', { body: { email: next, password: PASSWORD } });
      expect(login.status).toBe(200);
    });

    it('set_email with a wrong password and a taken email reports both fields and changes nothing', async () => {
      const user = await signUp(call);
      const res = await call('POST', '/api/v1/auth/users/set_email/', {
        auth: user.token,
        body: { current_password: 'wrong', new_email: owner.email.toUpperCase() },
      });
      expect(res).toEqual({
        status: 400,
        body: {
          current_password: ['Invalid password.'],
          new_email: ['Feature flag admin user with this email already exists.'],
        },
      });
      expect((await call('GET', '/api/v1/auth/users/me/', { auth: user.token })).body.email).toBe(user.email);
      const invalid = await call('POST', '/api/v1/auth/users/set_email/', {
        auth: user.token,
        body: { current_password: PASSWORD, new_email: 'not-an-email' },
      });
      expect(invalid).toEqual({ status: 400, body: { new_email: ['Enter a valid email address.'] } });
      expect((await call('POST', '/api/v1/auth/users/set_email/', { body: {} })).status).toBe(401);
    });

    it('PATCH me/onboarding stores the keys sent (tasks replaced whole) and /me shows them', async () => {
      const user = await signUp(call);
      expect((await call('GET', '/api/v1/auth/users/me/', { auth: user.token })).body.onboarding).toBeNull();
      const first = await call('PATCH', '/api/v1/auth/users/me/onboarding/', {
        auth: user.token,
        body: { tasks: [{ name: 'create_flag' }], tools: { integrations: ['slack'] } },
      });
      expect(first.status).toBe(204);
      const second = await call('PATCH', '/api/v1/auth/users/me/onboarding/', {
        auth: user.token,
        body: {
          hosting_preferences: ['self-hosted'],
          tasks: [{ name: 'invite', completed_at: '2025-01-02T03:04:05Z' }],
        },
      });
      expect(second.status).toBe(204);
      const me = await call('GET', '/api/v1/auth/users/me/', { auth: user.token });
      expect(me.body.onboarding).toEqual({
        tasks: [{ name: 'invite', completed_at: '2025-01-02T03:04:05.000Z' }],
        tools: { completed: true, integrations: ['slack'] },
        hosting_preferences: ['self-hosted'],
      });
    });

    it('PATCH me/onboarding with none of the keys, or tools without integrations, is 400 and stores nothing', async () => {
      const user = await signUp(call);
      const empty = await call('PATCH', '/api/v1/auth/users/me/onboarding/', { auth: user.token, body: {} });
      expect(empty).toEqual({
        status: 400,
        body: {
          non_field_errors: ["At least one of 'tasks' or 'tools' or 'hosting_preferences' must be provided."],
        },
      });
      const tools = await call('PATCH', '/api/v1/auth/users/me/onboarding/', {
        auth: user.token,
        body: { tools: { completed: true } },
      });
      expect(tools).toEqual({ status: 400, body: { tools: { integrations: ['This field is required.'] } } });
      expect((await call('GET', '/api/v1/auth/users/me/', { auth: user.token })).body.onboarding).toBeNull();
    });
  });

  describe('onboarding status', () => {
    it('GET onboarding-status needs no credentials and shows nulls until a first evaluation is recorded once', async () => {
      const other = await createEnvironment(call, owner.token, project, 'Onboarding');
      const url = `/api/v1/environments/${other.api_key}/onboarding-status/`;
      expect(await call('GET', url)).toEqual({
        status: 200,
        body: { first_evaluated_at: null, first_evaluated_sdk_label: null },
      });
      expect(
        (await call('PUT', url, { body: { first_evaluated_sdk_label: 'flagsmith-js-sdk' } })).status,
      ).toBe(204);
      expect(
        (await call('PUT', url, { body: { first_evaluated_sdk_label: 'flagsmith-go-sdk' } })).status,
      ).toBe(204);
      const after = await call('GET', url);
      expect(after.body).toMatchObject({ first_evaluated_sdk_label: 'flagsmith-js-sdk' });
      expect(typeof after.body.first_evaluated_at).toBe('string');
      const bad = await call('PUT', url, { body: { first_evaluated_sdk_label: 'curl' } });
      expect(bad.status).toBe(400);
      expect(await call('GET', '/api/v1/environments/nope/onboarding-status/')).toEqual({
        status: 404,
        body: { detail: 'No Environment matches the given query.' },
      });
      const clone = await call('POST', `/api/v1/environments/${other.api_key}/clone/`, {
        auth: owner.token,
        body: { name: 'Onboarding copy' },
      });
      expect(
        (await call('GET', `/api/v1/environments/${clone.body.api_key}/onboarding-status/`)).body,
      ).toEqual({
        first_evaluated_at: null,
        first_evaluated_sdk_label: null,
      });
    });
  });

  describe('response fields', () => {
    it('a project retrieve has total_features and total_segments (live ones); the list has neither', async () => {
      const p = await createProject(call, owner.token, org, 'Counted');
      for (const name of ['a', 'b', 'gone'])
        await call('POST', `/api/v1/projects/${p.id}/features/`, { auth: owner.token, body: { name } });
      const features = await call('GET', `/api/v1/projects/${p.id}/features/`, { auth: owner.token });
      const gone = features.body.results.find((f: Json) => f.name === 'gone');
      expect(
        (await call('DELETE', `/api/v1/projects/${p.id}/features/${gone.id}/`, { auth: owner.token })).status,
      ).toBe(204);
      const segment = await call('POST', `/api/v1/projects/${p.id}/segments/`, {
        auth: owner.token,
        body: { name: 'pros', project: p.id, rules: [{ type: 'ALL', rules: [], conditions: [] }] },
      });
      expect(segment.status).toBe(201);
      const detail = await call('GET', `/api/v1/projects/${p.id}/`, { auth: owner.token });
      expect(detail.body).toMatchObject({ total_features: 2, total_segments: 1 });
      const list = await call('GET', `/api/v1/projects/?organisation=${org}`, { auth: owner.token });
      expect(list.body.find((x: Json) => x.id === p.id)).not.toHaveProperty('total_features');
    });

    it('features listed with an environment have lifecycle_stage (permanent tag: permanent, else new) and filter by it', async () => {
      const p = await createProject(call, owner.token, org, 'Lifecycle');
      const e = await createEnvironment(call, owner.token, p.id, 'Development');
      const tag = await call('POST', `/api/v1/projects/${p.id}/tags/`, {
        auth: owner.token,
        body: { label: 'keep', is_permanent: true },
      });
      expect(tag.status).toBe(201);
      await call('POST', `/api/v1/projects/${p.id}/features/`, {
        auth: owner.token,
        body: { name: 'kept', tags: [tag.body.id] },
      });
      await call('POST', `/api/v1/projects/${p.id}/features/`, {
        auth: owner.token,
        body: { name: 'fresh' },
      });
      const base = `/api/v1/projects/${p.id}/features/`;
      const stages = async (query: string) =>
        (await call('GET', `${base}?${query}`, { auth: owner.token })).body.results.map((f: Json) => [
          f.name,
          f.lifecycle_stage,
        ]);
      expect(await stages(`environment=${e.id}`)).toEqual([
        ['kept', 'permanent'],
        ['fresh', 'new'],
      ]);
      expect(await stages(`environment=${e.id}&lifecycle_stage=new`)).toEqual([['fresh', 'new']]);
      expect(await stages(`environment=${e.id}&lifecycle_stage=stale`)).toEqual([]);
      expect(await stages('')).toEqual([
        ['kept', undefined],
        ['fresh', undefined],
      ]);
    });

    it('an organisation takes targeting_key at creation and never shows it', async () => {
      const res = await call('POST', '/api/v1/organisations/', {
        auth: owner.token,
        body: { name: 'Keyed', targeting_key: 'acme-key' },
      });
      expect(res.status).toBe(201);
      expect(res.body).not.toHaveProperty('targeting_key');
      const [row] = await queryDatabase<{ targeting_key: string }>(
        t.databaseUrl,
        'SELECT targeting_key FROM organisations WHERE id = $1',
        [res.body.id],
      );
      expect(row.targeting_key).toBe('acme-key');
      const patched = await call('PATCH', `/api/v1/organisations/${res.body.id}/`, {
        auth: owner.token,
        body: { targeting_key: 'changed' },
      });
      expect(patched.status).toBe(200);
      const [after] = await queryDatabase<{ targeting_key: string }>(
        t.databaseUrl,
        'SELECT targeting_key FROM organisations WHERE id = $1',
        [res.body.id],
      );
      expect(after.targeting_key).toBe('acme-key');
    });
  });

  describe('GET /organisations/{id}/get-subscription-metadata/', () => {
    it('answers an admin no limits; a member 403; another organisation 404', async () => {
      const res = await call('GET', `/api/v1/organisations/${org}/get-subscription-metadata/`, {
        auth: owner.token,
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        max_seats: expect.any(Number),
        max_api_calls: null,
        max_projects: null,
        payment_source: null,
        chargebee_email: null,
        feature_history_visibility_days: null,
        audit_log_visibility_days: null,
      });
      const user = await member();
      const url = `/api/v1/organisations/${org}/get-subscription-metadata/`;
      expect((await call('GET', url, { auth: user.token })).status).toBe(403);
      expect((await call('GET', url, { auth: stranger.token })).status).toBe(404);
    });
  });
});
