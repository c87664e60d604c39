import { Call, client, PASSWORD, uniqueEmail } from './api-helpers';
import { startTestApp, TestApp } from './support/app';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- loosely typed JSON bodies
type Json = any;

/**
 * What the Flagsmith dashboard does on a first visit, step by step through the management API, each response held
 * to the field names and JSON types of docs/contracts/admin-api.md; then the SDK view of the identity with the client
 * key shows the identity override and the segment override at work.
 */

/** A JSON type per field: 'string', 'number', 'boolean', 'array', 'object', 'null', or alternatives 'string|null'. */
type Shape = Record<string, string>;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Every field of the shape is present with one of its types (extra fields are allowed). */
function expectShape(label: string, body: Json, shape: Shape) {
  expect([label, typeOf(body)]).toEqual([label, 'object']);
  const wrong = Object.entries(shape)
    .filter(([field, types]) => !(field in body) || !types.split('|').includes(typeOf(body[field])))
    .map(
      ([field, types]) => `${field}: want ${types}, got ${field in body ? typeOf(body[field]) : 'absent'}`,
    );
  expect([label, wrong]).toEqual([label, []]);
}

const PAGE: Shape = { count: 'number', next: 'string|null', previous: 'string|null', results: 'array' };
const ORGANISATION: Shape = {
  id: 'number',
  uuid: 'string',
  name: 'string',
  created_date: 'string',
  webhook_notification_email: 'string|null',
  num_seats: 'number',
  subscription: 'object|null',
  role: 'string',
  persist_trait_data: 'boolean',
  block_access_to_admin: 'boolean',
  restrict_project_create_to_admin: 'boolean',
  force_2fa: 'boolean',
};
const PROJECT: Shape = {
  id: 'number',
  uuid: 'string',
  name: 'string',
  organisation: 'number',
  hide_disabled_flags: 'boolean',
  prevent_flag_defaults: 'boolean',
  enable_realtime_updates: 'boolean',
  only_allow_lower_case_feature_names: 'boolean',
  feature_name_regex: 'string|null',
  stale_flags_limit_days: 'number',
  minimum_change_request_approvals: 'number|null',
  enforce_feature_owners: 'boolean',
  enable_dynamo_db: 'boolean',
  use_edge_identities: 'boolean',
};
const ENVIRONMENT: Shape = {
  id: 'number',
  uuid: 'string',
  name: 'string',
  api_key: 'string',
  description: 'string|null',
  project: 'number',
  minimum_change_request_approvals: 'number|null',
  allow_client_traits: 'boolean',
  banner_text: 'string|null',
  banner_colour: 'string|null',
  hide_disabled_flags: 'boolean|null',
  use_mv_v2_evaluation: 'boolean',
  use_identity_composite_key_for_hashing: 'boolean',
  hide_sensitive_data: 'boolean',
  use_v2_feature_versioning: 'boolean',
  use_identity_overrides_in_local_eval: 'boolean',
  is_creating: 'boolean',
  metadata: 'array',
};
const FEATURE: Shape = {
  id: 'number',
  uuid: 'string',
  name: 'string',
  type: 'string',
  default_enabled: 'boolean',
  initial_value: 'string|null',
  created_date: 'string',
  description: 'string|null',
  tags: 'array',
  multivariate_options: 'array',
  is_archived: 'boolean',
  owners: 'array',
  group_owners: 'array',
  project: 'number',
  is_server_key_only: 'boolean',
};
/** An option nested in a feature (the mv-options endpoint adds `feature`). */
const MV_OPTION: Shape = {
  id: 'number',
  uuid: 'string',
  type: 'string',
  integer_value: 'number|null',
  string_value: 'string|null',
  boolean_value: 'boolean|null',
  default_percentage_allocation: 'number',
  key: 'string|null',
};
const SEGMENT: Shape = {
  id: 'number',
  uuid: 'string',
  name: 'string',
  description: 'string|null',
  project: 'number',
  feature: 'number|null',
  rules: 'array',
  metadata: 'array',
  created_at: 'string',
  updated_at: 'string',
};
const RULE: Shape = { id: 'number', type: 'string', rules: 'array', conditions: 'array' };
const CONDITION: Shape = {
  id: 'number',
  operator: 'string',
  property: 'string|null',
  value: 'string|null',
  description: 'string|null',
};
const FEATURE_SEGMENT: Shape = {
  id: 'number',
  uuid: 'string',
  feature: 'number',
  segment: 'number',
  environment: 'number',
  priority: 'number',
};
const MV_STATE_VALUE: Shape = {
  id: 'number',
  multivariate_feature_option: 'number',
  percentage_allocation: 'number',
};
const FEATURE_STATE: Shape = {
  id: 'number',
  uuid: 'string',
  feature: 'number',
  enabled: 'boolean',
  feature_state_value: 'string|number|boolean|null',
  environment: 'number',
  identity: 'number|object|null',
  feature_segment: 'number|null',
  multivariate_feature_state_values: 'array',
  live_from: 'string|null',
  version: 'number|null',
  created_at: 'string',
  updated_at: 'string',
};
const TRAIT: Shape = {
  id: 'number',
  trait_key: 'string',
  value_type: 'string',
  integer_value: 'number|null',
  string_value: 'string|null',
  boolean_value: 'boolean|null',
  float_value: 'number|null',
  created_date: 'string',
};

describe('dashboard walk: register → … → traits, then the SDK view', () => {
  let t: TestApp;
  let call: Call;
  beforeAll(async () => {
    t = await startTestApp();
    call = client(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it('every step answers in docs/contracts/admin-api.md shape and the SDK sees the identity and segment overrides', async () => {
    const step = async (label: string, method: string, path: string, status: number, body?: unknown) => {
      const res = await call(method, path, { auth: token, body });
      expect([label, res.status]).toEqual([label, status]);
      return res.body;
    };
    let token = '';

    // Register: 201 with a token.
    const email = uniqueEmail('walker');
    const user = await step('register', 'POST', '/api/v1/auth/users/', 201, {
      email,
      password: PASSWORD,
      first_name: 'Dana',
      last_name: 'Board',
    });
    expectShape('register', user, {
      id: 'number',
      email: 'string',
      first_name: 'string',
      last_name: 'string',
      is_active: 'boolean',
      uuid: 'string',
      key: 'string',
    });
    expect(user.email).toBe(email);
    token = user.key;
    expectShape('me', await step('me', 'GET', '/api/v1/auth/users/me/', 200), {
      id: 'number',
      email: 'string',
      first_name: 'string',
      last_name: 'string',
      is_superuser: 'boolean',
      date_joined: 'string',
      uuid: 'string',
      auth_type: 'string',
    });

    // Organisation: the creator is its ADMIN.
    const org = await step('organisation', 'POST', '/api/v1/organisations/', 201, { name: 'Walk Org' });
    expectShape('organisation', org, ORGANISATION);
    expect(org.role).toBe('ADMIN');
    const orgs = await step('organisations', 'GET', '/api/v1/organisations/', 200);
    expectShape('organisations page', orgs, PAGE);
    expect(orgs.results.map((o: Json) => o.id)).toEqual([org.id]);

    // Project.
    const project = await step('project', 'POST', '/api/v1/projects/', 201, {
      name: 'Walk Web',
      organisation: org.id,
    });
    expectShape('project', project, PROJECT);
    expect(project.organisation).toBe(org.id);

    // Two environments, each with its own client key.
    const dev = await step('environment 1', 'POST', '/api/v1/environments/', 201, {
      name: 'Development',
      project: project.id,
    });
    const prod = await step('environment 2', 'POST', '/api/v1/environments/', 201, {
      name: 'Production',
      project: project.id,
    });
    expectShape('environment 1', dev, ENVIRONMENT);
    expectShape('environment 2', prod, ENVIRONMENT);
    expect(dev.api_key).not.toBe(prod.api_key);
    const envs = await step('environments', 'GET', `/api/v1/environments/?project=${project.id}`, 200);
    expectShape('environments page', envs, PAGE);
    expect(envs.results.map((e: Json) => e.name)).toEqual(['Development', 'Production']);

    // A multivariate feature with two options, and a standard one.
    const features = `/api/v1/projects/${project.id}/features/`;
    const colour = await step('mv feature', 'POST', features, 201, {
      name: 'button_colour',
      type: 'MULTIVARIATE',
      default_enabled: true,
      initial_value: 'grey',
      multivariate_options: [
        { type: 'unicode', string_value: 'red', default_percentage_allocation: 0, key: 'red' },
        { type: 'unicode', string_value: 'blue', default_percentage_allocation: 0, key: 'blue' },
      ],
    });
    expectShape('mv feature', colour, FEATURE);
    expect(colour.type).toBe('MULTIVARIATE');
    expect(colour.multivariate_options).toHaveLength(2);
    colour.multivariate_options.forEach((o: Json, i: number) => expectShape(`option ${i}`, o, MV_OPTION));
    const [red, blue] = colour.multivariate_options.map((o: Json) => o.id as number);
    const banner = await step('feature', 'POST', features, 201, { name: 'banner', initial_value: 'hello' });
    expectShape('feature', banner, FEATURE);
    const list = await step('features', 'GET', `${features}?environment=${dev.id}`, 200);
    expectShape('features page', list, PAGE);
    expect(list.results).toHaveLength(2);
    expectShape('environment_feature_state', list.results[0].environment_feature_state, {
      id: 'number',
      feature_state_value: 'string|number|boolean|null',
      environment: 'number',
      enabled: 'boolean',
    });

    // A segment with nested rules: ALL(ANY(plan = pro, plan = team), country IN de,fr).
    const segments = `/api/v1/projects/${project.id}/segments/`;
    const segment = await step('segment', 'POST', segments, 201, {
      name: 'european paying',
      rules: [
        {
          type: 'ALL',
          rules: [
            {
              type: 'ANY',
              rules: [],
              conditions: [
                { operator: 'EQUAL', property: 'plan', value: 'pro' },
                { operator: 'EQUAL', property: 'plan', value: 'team' },
              ],
            },
            { type: 'ALL', rules: [], conditions: [{ operator: 'IN', property: 'country', value: 'de,fr' }] },
          ],
          conditions: [],
        },
      ],
    });
    expectShape('segment', segment, SEGMENT);
    expectShape('rule', segment.rules[0], RULE);
    expect(segment.rules[0].rules).toHaveLength(2);
    expectShape('nested rule', segment.rules[0].rules[0], RULE);
    expectShape('condition', segment.rules[0].rules[0].conditions[0], CONDITION);
    const nobody = await step('second segment', 'POST', segments, 201, {
      name: 'nobody',
      rules: [
        { type: 'ALL', rules: [], conditions: [{ operator: 'EQUAL', property: 'plan', value: 'none' }] },
      ],
    });

    // Segment overrides in Development: a slot for "nobody", then "european paying" in one call at priority 0.
    const slot = await step('feature segment', 'POST', '/api/v1/features/feature-segments/', 201, {
      feature: colour.id,
      segment: nobody.id,
      environment: dev.id,
    });
    expectShape('feature segment', slot, FEATURE_SEGMENT);
    expect(slot.priority).toBe(0);
    const override = await step(
      'segment override',
      'POST',
      `/api/v1/environments/${dev.api_key}/features/${colour.id}/create-segment-override/`,
      201,
      {
        enabled: true,
        feature_state_value: { type: 'unicode', string_value: 'segment colour' },
        feature_segment: { segment: segment.id, priority: 0 },
        multivariate_feature_state_values: [
          { multivariate_feature_option: red, percentage_allocation: 0 },
          { multivariate_feature_option: blue, percentage_allocation: 0 },
        ],
      },
    );
    // CreateSegmentOverrideFeatureStateSerializer: typed value, nested slot, no version.
    const { version: _version, ...overrideShape } = FEATURE_STATE;
    expectShape('segment override', override, {
      ...overrideShape,
      feature_state_value: 'object',
      feature_segment: 'object',
    });
    expectShape('typed value', override.feature_state_value, {
      type: 'string',
      string_value: 'string|null',
      integer_value: 'number|null',
      boolean_value: 'boolean|null',
    });
    expectShape('nested feature segment', override.feature_segment, {
      id: 'number',
      segment: 'number',
      priority: 'number',
    });
    override.multivariate_feature_state_values.forEach((v: Json) =>
      expectShape('mv value', v, MV_STATE_VALUE),
    );
    expect(override.feature_segment.priority).toBe(0);
    const slots = await step(
      'feature segments',
      'GET',
      `/api/v1/features/feature-segments/?environment=${dev.id}&feature=${colour.id}`,
      200,
    );
    expectShape('feature segments page', slots, PAGE);
    slots.results.forEach((s: Json) =>
      expectShape('listed slot', s, {
        ...FEATURE_SEGMENT,
        segment_name: 'string',
        is_feature_specific: 'boolean',
      }),
    );
    expect(slots.results.map((s: Json) => [s.segment_name, s.priority])).toEqual([
      ['european paying', 0],
      ['nobody', 1],
    ]);

    // An identity in Development with an identity override of "banner" and the traits the segment looks at.
    const identities = `/api/v1/environments/${dev.api_key}/identities/`;
    const identity = await step('identity', 'POST', identities, 201, { identifier: 'walker-1' });
    expectShape('identity', identity, { id: 'number', identifier: 'string', environment: 'number' });
    expect(identity.environment).toBe(dev.id);
    const identityOverride = await step(
      'identity override',
      'POST',
      `${identities}${identity.id}/featurestates/`,
      201,
      {
        feature: banner.id,
        enabled: true,
        feature_state_value: 'just for walker',
      },
    );
    expectShape('identity override', identityOverride, FEATURE_STATE);
    expect(identityOverride).toMatchObject({ identity: identity.id, feature_segment: null });
    for (const [key, value] of [
      ['plan', 'pro'],
      ['country', 'de'],
    ]) {
      const trait = await step(`trait ${key}`, 'POST', `${identities}${identity.id}/traits/`, 201, {
        trait_key: key,
        value_type: 'unicode',
        string_value: value,
      });
      expectShape(`trait ${key}`, trait, TRAIT);
      expect(trait).toMatchObject({ trait_key: key, value_type: 'unicode', string_value: value });
    }
    const all = await step('effective flags', 'GET', `${identities}${identity.id}/featurestates/all/`, 200);
    const effective = Object.fromEntries(all.map((f: Json) => [f.feature.name, f]));
    expect(effective.banner).toMatchObject({
      overridden_by: 'IDENTITY',
      feature_state_value: 'just for walker',
    });
    expect(effective.button_colour).toMatchObject({
      overridden_by: 'SEGMENT',
      segment: { id: segment.id, name: 'european paying' },
      feature_state_value: 'segment colour',
    });

    // The SDK view with Development's client key: both overrides apply, and the stored traits come back.
    const sdk = async (apiKey: string, identifier: string) => {
      const res = await fetch(`${t.url}/api/v1/identities/?identifier=${identifier}`, {
        headers: { 'X-Environment-Key': apiKey },
      });
      expect(res.status).toBe(200);
      const body = await res.json();
      return { body, flags: Object.fromEntries(body.flags.map((f: Json) => [f.feature.name, f])) };
    };
    const seen = await sdk(dev.api_key, 'walker-1');
    expect(seen.body.identifier).toBe('walker-1');
    expect(seen.flags.banner).toMatchObject({
      enabled: true,
      feature_state_value: 'just for walker',
      identity: identity.id,
    });
    expect(seen.flags.button_colour).toMatchObject({
      enabled: true,
      feature_state_value: 'segment colour',
      feature_segment: override.feature_segment.id,
    });
    expect(seen.body.traits.map((tr: Json) => [tr.trait_key, tr.trait_value]).sort()).toEqual([
      ['country', 'de'],
      ['plan', 'pro'],
    ]);
    // Production is untouched: the same identifier there sees the environment defaults.
    const other = await sdk(prod.api_key, 'walker-1');
    expect(other.flags.banner).toMatchObject({ feature_segment: null, identity: null });
    expect(other.flags.banner.feature_state_value).not.toBe('just for walker');
    expect(other.flags.button_colour.feature_state_value).not.toBe('segment colour');
    expect(other.body.traits).toEqual([]);
  });
});
