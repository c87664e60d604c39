import { Call, client, createEnvironment, createOrganisation, signUp } from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import { queryDatabase } from './support/database';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- loosely typed JSON bodies
type Json = any;

/**
 * The default states a new environment gets (environment creation and clone): Flagsmith's
 * `_create_initial_feature_state` — enabled = default_enabled with the initial value, or disabled with no value when
 * the project has `prevent_flag_defaults` (false for new projects, as Flagsmith's model); MV values at the options'
 * defaults.
 */
describe('environment default states and prevent_flag_defaults', () => {
  let t: TestApp;
  let call: Call;
  let token: string;
  let org: number;
  beforeAll(async () => {
    t = await startTestApp();
    call = client(t);
    token = (await signUp(call)).token;
    org = (await createOrganisation(call, token, 'Defaults')).id;
  });
  afterAll(async () => {
    await t.close();
  });

  async function project(name: string, preventFlagDefaults?: boolean) {
    const res = await call('POST', '/api/v1/projects/', {
      auth: token,
      body: {
        name,
        organisation: org,
        ...(preventFlagDefaults === undefined ? {} : { prevent_flag_defaults: preventFlagDefaults }),
      },
    });
    expect(res.status).toBe(201);
    return res.body as { id: number; prevent_flag_defaults: boolean };
  }

  /** A feature made through the API before any environment exists, so only environment creation makes states. */
  async function features(projectId: number) {
    const base = `/api/v1/projects/${projectId}/features/`;
    const flag = await call('POST', base, {
      auth: token,
      body: { name: 'flag', default_enabled: true, initial_value: '7' },
    });
    const mv = await call('POST', base, {
      auth: token,
      body: {
        name: 'colour',
        type: 'MULTIVARIATE',
        default_enabled: true,
        initial_value: 'grey',
        multivariate_options: [
          { type: 'unicode', string_value: 'red', default_percentage_allocation: 30 },
          { type: 'unicode', string_value: 'blue', default_percentage_allocation: 20 },
        ],
      },
    });
    expect([flag.status, mv.status]).toEqual([201, 201]);
    return {
      flag: flag.body.id as number,
      mv: mv.body.id as number,
      options: (mv.body.multivariate_options as Json[]).map((o) => o.id as number),
    };
  }

  async function defaults(apiKey: string) {
    const res = await call('GET', `/api/v1/environments/${apiKey}/featurestates/?page_size=100`, {
      auth: token,
    });
    expect(res.status).toBe(200);
    return new Map<number, Json>(res.body.results.map((s: Json) => [s.feature, s]));
  }

  it('a project applies flag defaults unless told otherwise (Flagsmith: prevent_flag_defaults false)', async () => {
    const created = await project('Default setting');
    expect(created.prevent_flag_defaults).toBe(false);
    const [row] = await queryDatabase<Json>(
      t.databaseUrl,
      'SELECT prevent_flag_defaults, max_segments_allowed, max_features_allowed, max_segment_overrides_allowed FROM projects WHERE id = $1',
      [created.id],
    );
    expect(row).toEqual({
      prevent_flag_defaults: false,
      max_segments_allowed: 500,
      max_features_allowed: 1000,
      max_segment_overrides_allowed: 2000,
    });
  });

  it('a feature created enabled with a value in a project of default settings is on with that value in every environment', async () => {
    const p = await project('Default flags');
    const dev = await createEnvironment(call, token, p.id, 'Development');
    const prod = await createEnvironment(call, token, p.id, 'Production');
    const res = await call('POST', `/api/v1/projects/${p.id}/features/`, {
      auth: token,
      body: { name: 'banner', default_enabled: true, initial_value: 'hello' },
    });
    expect(res.status).toBe(201);
    for (const env of [dev, prod])
      expect((await defaults(env.api_key)).get(res.body.id)).toMatchObject({
        enabled: true,
        feature_state_value: 'hello',
      });
  });

  it("a tag created without a colour gets Flagsmith's #6837FC, also as the column default", async () => {
    const p = await project('Tag colour');
    const res = await call('POST', `/api/v1/projects/${p.id}/tags/`, {
      auth: token,
      body: { label: 'beta' },
    });
    expect(res.status).toBe(201);
    expect(res.body.color).toBe('#6837FC');
    const [column] = await queryDatabase<Json>(
      t.databaseUrl,
      `SELECT column_default FROM information_schema.columns WHERE table_name = 'tags' AND column_name = 'color'`,
    );
    expect(column.column_default).toContain('#6837FC');
  });

  it("a user who signs up has marketing_consent_given true, as Flagsmith's model default", async () => {
    const user = await signUp(call);
    const [row] = await queryDatabase<Json>(
      t.databaseUrl,
      'SELECT marketing_consent_given FROM users WHERE email = $1',
      [user.email],
    );
    expect(row.marketing_consent_given).toBe(true);
  });

  it('with prevent_flag_defaults a new environment gets disabled default states with no value, MV values at the defaults', async () => {
    const p = await project('Prevented', true);
    const f = await features(p.id);
    const env = await createEnvironment(call, token, p.id, 'New');
    const states = await defaults(env.api_key);
    expect(states.size).toBe(2);
    expect(states.get(f.flag)).toMatchObject({ enabled: false, feature_state_value: null, identity: null });
    expect(states.get(f.mv)).toMatchObject({ enabled: false, feature_state_value: null });
    expect(
      states
        .get(f.mv)
        .multivariate_feature_state_values.map((v: Json) => [
          v.multivariate_feature_option,
          v.percentage_allocation,
        ]),
    ).toEqual([
      [f.options[0], 30],
      [f.options[1], 20],
    ]);
    const [row] = await queryDatabase<Json>(
      t.databaseUrl,
      `SELECT enabled, value_type, string_value, integer_value, boolean_value FROM feature_states
        WHERE environment_id = $1 AND feature_id = $2`,
      [env.id, f.flag],
    );
    expect(row).toEqual({
      enabled: false,
      value_type: 'unicode',
      string_value: null,
      integer_value: null,
      boolean_value: null,
    });
  });

  it('without prevent_flag_defaults a new environment gets default_enabled and the typed initial value', async () => {
    const p = await project('Allowed', false);
    const f = await features(p.id);
    const env = await createEnvironment(call, token, p.id, 'New');
    const states = await defaults(env.api_key);
    expect(states.get(f.flag)).toMatchObject({ enabled: true, feature_state_value: 7 });
    expect(states.get(f.mv)).toMatchObject({ enabled: true, feature_state_value: 'grey' });
    expect(states.get(f.mv).multivariate_feature_state_values).toHaveLength(2);
  });

  it('clone copies the source states as they are (edited values, MV allocations), whatever the project setting', async () => {
    const p = await project('Clone prevented', true);
    const f = await features(p.id);
    const source = await createEnvironment(call, token, p.id, 'Source');
    const before = await defaults(source.api_key);
    const edited = await call(
      'PATCH',
      `/api/v1/environments/${source.api_key}/featurestates/${before.get(f.mv).id}/`,
      {
        auth: token,
        body: {
          enabled: true,
          feature_state_value: 'green',
          multivariate_feature_state_values: [
            { multivariate_feature_option: f.options[0], percentage_allocation: 60 },
          ],
        },
      },
    );
    expect(edited.status).toBe(200);
    const res = await call('POST', `/api/v1/environments/${source.api_key}/clone/`, {
      auth: token,
      body: { name: 'Copy' },
    });
    expect(res.status).toBe(200);
    const copies = await defaults(res.body.api_key);
    expect(copies.get(f.mv)).toMatchObject({
      enabled: true,
      feature_state_value: 'green',
      environment: res.body.id,
      multivariate_feature_state_values: [
        { id: expect.any(Number), multivariate_feature_option: f.options[0], percentage_allocation: 60 },
      ],
    });
    expect(copies.get(f.mv).id).not.toBe(before.get(f.mv).id);
    expect(copies.get(f.flag)).toMatchObject({ enabled: false, feature_state_value: null });
  });

  it('clone gives a live feature the source has no default state for a new one, as environment creation would', async () => {
    const p = await project('Clone gap', false);
    const f = await features(p.id);
    const source = await createEnvironment(call, token, p.id, 'Source');
    await queryDatabase(
      t.databaseUrl,
      'DELETE FROM feature_states WHERE environment_id = $1 AND feature_id = $2',
      [source.id, f.flag],
    );
    const res = await call('POST', `/api/v1/environments/${source.api_key}/clone/`, {
      auth: token,
      body: { name: 'Copy' },
    });
    expect(res.status).toBe(200);
    const copies = await defaults(res.body.api_key);
    expect(copies.size).toBe(2);
    expect(copies.get(f.flag)).toMatchObject({ enabled: true, feature_state_value: 7 });
    expect(copies.get(f.mv)).toMatchObject({ enabled: true, feature_state_value: 'grey' });
  });
});
