import type { SchemaObject } from '@nestjs/swagger';
import { jsonSchema } from '../http/schema';
import { ProjectJson } from '../projects/project.schemas';

/**
 * Documentation of the management endpoints that Nest's scanner cannot infer: the controllers take
 * `@Body() body: unknown` and validate with BodyReader, and read most query parameters from the request. Keyed by
 * `METHOD path` with path parameters written `{}` (see normalisePath), field names and types from docs/contracts/admin-api.md.
 * test/openapi.e2e-spec.ts checks every key names a real route.
 */
export interface OperationDocs {
  summary?: string;
  description?: string;
  /** The JSON body (null: the operation takes none). */
  requestBody?: SchemaObject | null;
  requestBodyOptional?: boolean;
  query?: Record<string, { schema: SchemaObject; required?: boolean; description?: string }>;
  /** The success response: status, body schema (null: none), description. */
  response?: [status: string, schema: SchemaObject | null, description: string];
}

/** `/api/v1/projects/{project_pk}/features/{id}/` → `/api/v1/projects/{}/features/{}/`. */
export function normalisePath(path: string): string {
  return path.replace(/\{[^}]+\}/g, '{}');
}

const ref = (name: string): SchemaObject => ({ $ref: `#/components/schemas/${name}` }) as SchemaObject;
const str: SchemaObject = { type: 'string' };
const int: SchemaObject = { type: 'integer' };
const bool: SchemaObject = { type: 'boolean' };
const nullable = (s: SchemaObject): SchemaObject => ({ ...s, nullable: true });
const obj = (properties: Record<string, SchemaObject>, required: string[] = []): SchemaObject => ({
  type: 'object',
  properties,
  ...(required.length ? { required } : {}),
});
const list = (items: SchemaObject): SchemaObject => ({ type: 'array', items });
const page = (items: SchemaObject): SchemaObject =>
  obj(
    {
      count: int,
      next: nullable({ type: 'string', format: 'uri' }),
      previous: nullable({ type: 'string', format: 'uri' }),
      results: list(items),
    },
    ['count', 'next', 'previous', 'results'],
  );
const datetime: SchemaObject = { type: 'string', format: 'date-time' };
const rawValue: SchemaObject = {
  nullable: true,
  oneOf: [str, int, bool],
  description:
    'Typed by its JSON type: string ⇒ unicode, integer ⇒ int, boolean ⇒ bool, others stored as text',
};
const pageQuery = {
  page: { schema: int },
  page_size: { schema: int, description: 'Default 10' },
};

const MV_STATE_VALUE = obj(
  {
    id: int,
    multivariate_feature_option: int,
    percentage_allocation: { type: 'number', minimum: 0, maximum: 100 },
  },
  ['multivariate_feature_option', 'percentage_allocation'],
);
const TYPED_VALUE = obj({
  type: { type: 'string', enum: ['unicode', 'int', 'bool'] },
  string_value: nullable(str),
  integer_value: nullable(int),
  boolean_value: nullable(bool),
});
const CONDITION = obj(
  {
    id: int,
    operator: {
      type: 'string',
      enum: [
        'EQUAL',
        'GREATER_THAN',
        'LESS_THAN',
        'CONTAINS',
        'GREATER_THAN_INCLUSIVE',
        'LESS_THAN_INCLUSIVE',
        'NOT_CONTAINS',
        'NOT_EQUAL',
        'REGEX',
        'PERCENTAGE_SPLIT',
        'MODULO',
        'IS_SET',
        'IS_NOT_SET',
        'IN',
      ],
    },
    property: nullable(str),
    value: nullable({ type: 'string', maxLength: 1000 }),
    description: nullable(str),
    delete: { type: 'boolean', description: 'On update: drop this condition' },
  },
  ['operator'],
);

export const MANAGEMENT_SCHEMAS: Record<string, SchemaObject> = {
  Token: obj({ key: str }, ['key']),
  Organisation: obj(
    {
      id: int,
      uuid: str,
      name: str,
      created_date: datetime,
      webhook_notification_email: nullable(str),
      num_seats: int,
      subscription: { type: 'object' },
      role: { type: 'string', enum: ['ADMIN', 'USER'] },
      persist_trait_data: bool,
      block_access_to_admin: bool,
      restrict_project_create_to_admin: bool,
      force_2fa: bool,
    },
    ['id', 'name'],
  ),
  Project: jsonSchema(ProjectJson),
  Environment: obj(
    {
      id: int,
      uuid: str,
      name: str,
      api_key: { type: 'string', description: 'The client-side SDK key' },
      description: nullable(str),
      project: int,
      minimum_change_request_approvals: nullable(int),
      allow_client_traits: bool,
      banner_text: nullable(str),
      banner_colour: nullable(str),
      hide_disabled_flags: nullable(bool),
      use_mv_v2_evaluation: bool,
      use_identity_composite_key_for_hashing: bool,
      hide_sensitive_data: bool,
      use_v2_feature_versioning: bool,
      use_identity_overrides_in_local_eval: bool,
      is_creating: bool,
      metadata: list({ type: 'object' }),
    },
    ['id', 'name', 'api_key', 'project'],
  ),
  MultivariateOption: obj(
    {
      id: int,
      uuid: str,
      type: { type: 'string', enum: ['unicode', 'int', 'bool'] },
      string_value: nullable(str),
      integer_value: nullable(int),
      boolean_value: nullable(bool),
      default_percentage_allocation: { type: 'number', minimum: 0, maximum: 100 },
      key: nullable(str),
      feature: int,
    },
    ['type', 'default_percentage_allocation'],
  ),
  Feature: obj(
    {
      id: int,
      uuid: str,
      name: str,
      type: { type: 'string', enum: ['STANDARD', 'MULTIVARIATE'] },
      default_enabled: bool,
      initial_value: nullable(str),
      created_date: datetime,
      description: nullable(str),
      tags: list(int),
      multivariate_options: list(ref('MultivariateOption')),
      is_archived: bool,
      owners: list({ type: 'object' }),
      group_owners: list({ type: 'object' }),
      project: int,
      is_server_key_only: bool,
      environment_feature_state: nullable({ type: 'object' }),
      num_segment_overrides: nullable(int),
      num_identity_overrides: nullable(int),
    },
    ['id', 'name', 'type'],
  ),
  MultivariateStateValue: MV_STATE_VALUE,
  FeatureState: obj(
    {
      id: int,
      uuid: str,
      feature: int,
      enabled: bool,
      feature_state_value: rawValue,
      environment: int,
      identity: nullable({ oneOf: [int, obj({ id: int, identifier: str })] }),
      feature_segment: nullable(int),
      multivariate_feature_state_values: list(MV_STATE_VALUE),
      live_from: nullable(datetime),
      version: nullable(int),
      created_at: datetime,
      updated_at: datetime,
    },
    ['id', 'feature', 'enabled', 'feature_state_value', 'environment'],
  ),
  TypedValue: TYPED_VALUE,
  SegmentCondition: CONDITION,
  SegmentRule: obj(
    {
      id: int,
      type: { type: 'string', enum: ['ALL', 'ANY', 'NONE'] },
      rules: list(ref('SegmentRule')),
      conditions: list(CONDITION),
      delete: { type: 'boolean', description: 'On update: drop this rule' },
    },
    ['type'],
  ),
  Segment: obj(
    {
      id: int,
      uuid: str,
      name: str,
      description: nullable(str),
      project: int,
      feature: nullable({ type: 'integer', description: 'Set for a feature-specific segment' }),
      rules: list(ref('SegmentRule')),
      metadata: list({ type: 'object' }),
      created_at: datetime,
      updated_at: datetime,
    },
    ['id', 'name', 'project', 'rules'],
  ),
  FeatureSegment: obj({ id: int, uuid: str, feature: int, segment: int, environment: int, priority: int }, [
    'id',
    'feature',
    'segment',
    'environment',
    'priority',
  ]),
  Identity: obj({ id: int, identifier: str, environment: int }, ['id', 'identifier', 'environment']),
  Trait: obj(
    {
      id: int,
      trait_key: str,
      value_type: { type: 'string', enum: ['int', 'unicode', 'bool', 'float'] },
      integer_value: nullable(int),
      string_value: nullable(str),
      boolean_value: nullable(bool),
      float_value: nullable({ type: 'number' }),
      created_date: datetime,
    },
    ['id', 'trait_key', 'value_type'],
  ),
  Permissions: obj({ permissions: list(str), admin: bool, tag_based_permissions: list({ type: 'object' }) }, [
    'permissions',
    'admin',
  ]),
};

const MV_VALUES_INPUT = list(MV_STATE_VALUE);
const ENVIRONMENT_SETTINGS: Record<string, SchemaObject> = {
  description: nullable(str),
  allow_client_traits: bool,
  banner_text: nullable(str),
  banner_colour: nullable(str),
  hide_disabled_flags: nullable(bool),
  use_identity_composite_key_for_hashing: bool,
  hide_sensitive_data: bool,
  use_identity_overrides_in_local_eval: bool,
  minimum_change_request_approvals: nullable(int),
};
const ORGANISATION_INPUT = obj(
  { name: str, webhook_notification_email: nullable(str), restrict_project_create_to_admin: bool },
  ['name'],
);
const FEATURE_INPUT = obj(
  {
    name: str,
    type: { type: 'string', enum: ['STANDARD', 'MULTIVARIATE'] },
    default_enabled: bool,
    initial_value: nullable(str),
    description: nullable(str),
    tags: list(int),
    is_server_key_only: bool,
    is_archived: bool,
    multivariate_options: list(ref('MultivariateOption')),
  },
  ['name'],
);
const SEGMENT_INPUT = obj(
  { name: str, description: nullable(str), feature: nullable(int), rules: list(ref('SegmentRule')) },
  ['name', 'rules'],
);
const IDENTITY_OVERRIDE_INPUT = obj(
  {
    feature: int,
    enabled: bool,
    feature_state_value: rawValue,
    multivariate_feature_state_values: MV_VALUES_INPUT,
  },
  ['feature'],
);
const TRAIT_INPUT = obj(
  {
    trait_key: str,
    value_type: { type: 'string', enum: ['int', 'unicode', 'bool', 'float'] },
    integer_value: nullable(int),
    string_value: nullable(str),
    boolean_value: nullable(bool),
    float_value: nullable({ type: 'number' }),
  },
  ['trait_key'],
);
const MV_OPTION_INPUT = obj(
  {
    feature: int,
    type: { type: 'string', enum: ['unicode', 'int', 'bool'] },
    string_value: nullable(str),
    integer_value: nullable(int),
    boolean_value: nullable(bool),
    default_percentage_allocation: { type: 'number', minimum: 0, maximum: 100 },
    key: nullable(str),
  },
  ['default_percentage_allocation'],
);
const SERVER_KEY = obj({
  id: int,
  key: { type: 'string', description: '"ser." + 22 characters' },
  active: bool,
  created_at: datetime,
  name: str,
  expires_at: nullable(datetime),
});
const SERVER_KEY_INPUT = obj({ name: str, active: bool, expires_at: nullable(datetime) }, ['name']);
const withoutRequired = (s: SchemaObject): SchemaObject => {
  const { required: _required, ...rest } = s;
  return rest;
};
const ok = (schema: SchemaObject | null, description: string): OperationDocs['response'] => [
  '200',
  schema,
  description,
];
const created = (schema: SchemaObject, description: string): OperationDocs['response'] => [
  '201',
  schema,
  description,
];
const noContent: OperationDocs['response'] = ['204', null, 'Deleted'];

/** Retrieve / PUT / PATCH / DELETE of one object. */
function detail(
  path: string,
  schema: string,
  input: SchemaObject | null,
  what: string,
): Record<string, OperationDocs> {
  const out: Record<string, OperationDocs> = {
    [`GET ${path}`]: { summary: `Retrieve ${what}`, response: ok(ref(schema), what) },
    [`DELETE ${path}`]: { summary: `Delete ${what}`, response: noContent },
  };
  if (input) {
    out[`PUT ${path}`] = { summary: `Update ${what}`, requestBody: input, response: ok(ref(schema), what) };
    out[`PATCH ${path}`] = {
      summary: `Update some fields of ${what}`,
      requestBody: withoutRequired(input),
      response: ok(ref(schema), what),
    };
  }
  return out;
}

const ENV = '/api/v1/environments/{}';
const PROJECT = '/api/v1/projects/{}';
const IDENTITY = `${ENV}/identities/{}`;

export const MANAGEMENT_OPERATIONS: Record<string, OperationDocs> = {
  // §1 auth & users
  'POST /api/v1/auth/login/': {
    summary: 'Log in',
    requestBody: obj({ email: { type: 'string', format: 'email' }, password: str }, ['email', 'password']),
    response: ok(ref('Token'), 'The token (or {ephemeral_token, method} when MFA is on)'),
  },
  'POST /api/v1/auth/users/': {
    summary: 'Register',
    requestBody: obj(
      {
        email: { type: 'string', format: 'email' },
        password: str,
        first_name: str,
        last_name: str,
        sign_up_type: { type: 'string', enum: ['NO_INVITE', 'INVITE_EMAIL', 'INVITE_LINK'] },
        invite_hash: str,
        superuser: bool,
        marketing_consent_given: bool,
      },
      ['email', 'password', 'first_name', 'last_name'],
    ),
    response: created(
      obj({
        id: int,
        email: str,
        first_name: str,
        last_name: str,
        is_active: bool,
        uuid: str,
        sign_up_type: nullable(str),
        marketing_consent_given: nullable(bool),
        key: str,
      }),
      'The user with a token',
    ),
  },
  'GET /api/v1/auth/users/me/': {
    summary: 'The current user',
    response: ok(
      obj({
        id: int,
        email: str,
        first_name: str,
        last_name: str,
        is_superuser: bool,
        date_joined: datetime,
        uuid: str,
        auth_type: str,
        sign_up_type: nullable(str),
      }),
      'The user',
    ),
  },
  'POST /api/v1/auth/logout/': {
    summary: 'Log out (deletes the token)',
    requestBody: null,
    response: noContent,
  },
  'DELETE /api/v1/auth/token/': { summary: 'Delete the token', response: noContent },
  'POST /api/v1/users/config/init/': {
    summary: 'First-run configuration (only while no user exists)',
    requestBody: obj({ email: str, site_name: { type: 'string', maxLength: 50 }, site_domain: str }, [
      'email',
      'site_name',
      'site_domain',
    ]),
  },

  // §3 organisations
  'GET /api/v1/organisations/': {
    summary: "The caller's organisations",
    query: pageQuery,
    response: ok(page(ref('Organisation')), 'A page of organisations'),
  },
  'POST /api/v1/organisations/': {
    summary: 'Create an organisation (the creator becomes ADMIN)',
    requestBody: ORGANISATION_INPUT,
    response: created(ref('Organisation'), 'The organisation'),
  },
  ...detail('/api/v1/organisations/{}/', 'Organisation', ORGANISATION_INPUT, 'an organisation'),
  'GET /api/v1/organisations/{}/projects/': {
    summary: "The organisation's projects",
    response: ok(list(ref('Project')), 'Projects'),
  },
  'GET /api/v1/organisations/{}/users/': {
    summary: 'Members of the organisation',
    query: { exclude_current: { schema: bool } },
    response: ok(
      list(
        obj({
          id: int,
          email: str,
          first_name: str,
          last_name: str,
          last_login: nullable(datetime),
          uuid: str,
          role: str,
          date_joined: datetime,
        }),
      ),
      'Users',
    ),
  },
  'GET /api/v1/organisations/{}/my-permissions/': { response: ok(ref('Permissions'), 'The caller’s grants') },

  // §4 projects: schema-first (src/projects/project.schemas.ts)

  // §5 environments
  'GET /api/v1/environments/': {
    summary: "A project's environments the caller may view",
    query: { project: { schema: int, required: true }, ...pageQuery },
    response: ok(page(ref('Environment')), 'A page of environments'),
  },
  'POST /api/v1/environments/': {
    summary: 'Create an environment (one default state per feature of the project)',
    requestBody: obj({ name: str, project: int, ...ENVIRONMENT_SETTINGS }, ['name', 'project']),
    response: created(ref('Environment'), 'The environment with its client key'),
  },
  ...detail(
    `${ENV}/`,
    'Environment',
    obj({ name: str, ...ENVIRONMENT_SETTINGS }, ['name']),
    'an environment',
  ),
  [`POST ${ENV}/clone/`]: {
    summary: 'Clone an environment (default states, segment overrides, MV values; not identities)',
    requestBody: obj({ name: str, clone_feature_states_async: bool }, ['name']),
    response: ok(obj({ id: int, name: str, api_key: str, project: int }), 'The new environment'),
  },
  [`GET ${ENV}/my-permissions/`]: { response: ok(ref('Permissions'), 'The caller’s grants') },
  [`GET ${ENV}/api-keys/`]: { summary: 'Server-side SDK keys', response: ok(list(SERVER_KEY), 'Keys') },
  [`POST ${ENV}/api-keys/`]: {
    summary: 'Create a server-side SDK key',
    requestBody: SERVER_KEY_INPUT,
    response: created(SERVER_KEY, 'The key'),
  },
  [`PUT ${ENV}/api-keys/{}/`]: { requestBody: SERVER_KEY_INPUT, response: ok(SERVER_KEY, 'The key') },
  [`PATCH ${ENV}/api-keys/{}/`]: {
    requestBody: withoutRequired(SERVER_KEY_INPUT),
    response: ok(SERVER_KEY, 'The key'),
  },
  [`DELETE ${ENV}/api-keys/{}/`]: { response: noContent },

  // §6 features
  [`GET ${PROJECT}/features/`]: {
    summary: "The project's features",
    query: {
      environment: { schema: int, description: 'Adds environment_feature_state and override counts' },
      search: { schema: str },
      tags: { schema: str, description: 'Comma-separated tag ids' },
      is_archived: { schema: bool },
      sort_field: { schema: { type: 'string', enum: ['name', 'created_date'] } },
      sort_direction: { schema: { type: 'string', enum: ['ASC', 'DESC'] } },
      ...pageQuery,
    },
    response: ok(page(ref('Feature')), 'A page of features'),
  },
  [`POST ${PROJECT}/features/`]: {
    summary: 'Create a feature (a default state in every environment)',
    requestBody: FEATURE_INPUT,
    response: created(ref('Feature'), 'The feature'),
  },
  ...detail(`${PROJECT}/features/{}/`, 'Feature', FEATURE_INPUT, 'a feature'),
  [`GET ${PROJECT}/features/{}/mv-options/`]: { response: ok(list(ref('MultivariateOption')), 'Options') },
  [`POST ${PROJECT}/features/{}/mv-options/`]: {
    summary: 'Add a multivariate option (an MV value in every environment state)',
    requestBody: MV_OPTION_INPUT,
    response: created(ref('MultivariateOption'), 'The option'),
  },
  ...detail(`${PROJECT}/features/{}/mv-options/{}/`, 'MultivariateOption', MV_OPTION_INPUT, 'an option'),

  // §8 segments and segment overrides
  [`GET ${PROJECT}/segments/`]: {
    summary: "The project's segments",
    query: {
      q: { schema: str },
      identity: { schema: int },
      include_feature_specific: { schema: bool },
      ...pageQuery,
    },
    response: ok(page(ref('Segment')), 'A page of segments'),
  },
  [`POST ${PROJECT}/segments/`]: {
    summary: 'Create a segment with its rule tree',
    requestBody: SEGMENT_INPUT,
    response: created(ref('Segment'), 'The segment'),
  },
  ...detail(`${PROJECT}/segments/{}/`, 'Segment', SEGMENT_INPUT, 'a segment'),
  'GET /api/v1/features/feature-segments/': {
    summary: 'Segment override slots of a feature in an environment, by priority',
    query: {
      environment: { schema: int, required: true },
      feature: { schema: int, required: true },
      ...pageQuery,
    },
    response: ok(
      page({ allOf: [ref('FeatureSegment'), obj({ segment_name: str, is_feature_specific: bool })] }),
      'A page of slots',
    ),
  },
  'POST /api/v1/features/feature-segments/': {
    summary: 'Add a segment override slot (lowest priority)',
    requestBody: obj({ feature: int, segment: int, environment: int }, ['feature', 'segment', 'environment']),
    response: created(ref('FeatureSegment'), 'The slot'),
  },
  'DELETE /api/v1/features/feature-segments/{}/': {
    summary: 'Remove a slot and its state',
    response: noContent,
  },
  'POST /api/v1/features/feature-segments/update-priorities/': {
    summary: 'Reorder the slots of one feature × environment (0 = strongest)',
    requestBody: list(obj({ id: int, priority: { type: 'integer', minimum: 0 } }, ['id', 'priority'])),
    response: ok(list(ref('FeatureSegment')), 'The slots'),
  },
  [`POST ${ENV}/features/{}/create-segment-override/`]: {
    summary: 'Create a segment override (slot, state and MV values) in one call',
    requestBody: obj(
      {
        enabled: bool,
        feature_state_value: ref('TypedValue'),
        feature_segment: obj({ segment: int, priority: nullable({ type: 'integer', minimum: 0 }) }, [
          'segment',
        ]),
        multivariate_feature_state_values: MV_VALUES_INPUT,
      },
      ['feature_state_value', 'feature_segment'],
    ),
    response: created(
      obj({
        id: int,
        uuid: str,
        feature: int,
        enabled: bool,
        feature_state_value: ref('TypedValue'),
        feature_segment: obj({ id: int, uuid: str, segment: int, priority: int }),
        environment: int,
        identity: nullable(int),
        multivariate_feature_state_values: list(MV_STATE_VALUE),
      }),
      'The override state with its slot',
    ),
  },

  // §9 identities
  [`GET ${ENV}/identities/`]: {
    summary: "The environment's identities",
    query: { q: { schema: str, description: 'Substring, or "exact" in double quotes' }, ...pageQuery },
    response: ok(page(ref('Identity')), 'A page of identities'),
  },
  [`POST ${ENV}/identities/`]: {
    summary: 'Create an identity',
    requestBody: obj({ identifier: { type: 'string', maxLength: 2000 } }, ['identifier']),
    response: created(ref('Identity'), 'The identity'),
  },
  [`GET ${IDENTITY}/`]: { response: ok(ref('Identity'), 'The identity') },
  [`DELETE ${IDENTITY}/`]: { response: noContent },
  [`GET ${IDENTITY}/featurestates/`]: {
    summary: "The identity's overrides",
    query: { feature: { schema: int }, ...pageQuery },
    response: ok(page(ref('FeatureState')), 'A page of overrides (identity as {id, identifier})'),
  },
  [`POST ${IDENTITY}/featurestates/`]: {
    summary: 'Create an identity override',
    requestBody: IDENTITY_OVERRIDE_INPUT,
    response: created(ref('FeatureState'), 'The override'),
  },
  ...detail(`${IDENTITY}/featurestates/{}/`, 'FeatureState', IDENTITY_OVERRIDE_INPUT, 'an identity override'),
  [`GET ${IDENTITY}/featurestates/all/`]: {
    summary: 'Effective flags of the identity',
    response: ok(
      list(
        obj({
          feature: obj({ id: int, name: str, type: str }),
          enabled: bool,
          feature_state_value: rawValue,
          overridden_by: nullable({ type: 'string', enum: ['IDENTITY', 'SEGMENT'] }),
          segment: nullable(obj({ id: int, name: str })),
          multivariate_feature_state_values: list(
            obj({
              multivariate_feature_option: obj({ value: rawValue }),
              percentage_allocation: { type: 'number' },
            }),
          ),
        }),
      ),
      'Flags',
    ),
  },
  [`GET ${IDENTITY}/traits/`]: { response: ok(page(ref('Trait')), "The identity's traits") },
  [`POST ${IDENTITY}/traits/`]: {
    summary: 'Create a trait',
    requestBody: TRAIT_INPUT,
    response: created(ref('Trait'), 'The trait'),
  },
  ...detail(`${IDENTITY}/traits/{}/`, 'Trait', TRAIT_INPUT, 'a trait'),
};
