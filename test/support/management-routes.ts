import { GraphKey, Json, SEGMENT_RULES } from './management-api';

/**
 * The route table of the isolation and bad-input suites: every route of the app that takes input, with a URL
 * template naming objects of an organisation graph (`{project}` → OrganisationGraph.ids.project) and, per write
 * method, a valid body and the declared type of each body field. The suites compare it with the routes the running
 * app registered, so a new route fails them until it is added here (or to an exclusion list, with the reason).
 */

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Ids = Record<GraphKey, string>;

/**
 * Declared body field types. Each has values that are the wrong type for it (see WRONG_VALUES); values DRF
 * coerces on purpose (a number for a string, "1" for an integer, "true" for a boolean) are not among them.
 */
export type FieldType =
  | 'string'
  | 'integer'
  | 'number'
  | 'boolean'
  | 'datetime'
  | 'choice'
  | 'id'
  | 'ids'
  | 'permissions'
  | 'list'
  | 'object';

/** Fields where null is read as "not sent" (the dashboard sends null for "no MV values"). */
export const NULL_AS_ABSENT = new Set(['multivariate_feature_state_values']);

export const WRONG_VALUES: Record<FieldType, unknown[]> = {
  string: [true, { a: 1 }, ['a']],
  integer: ['abc', true, { a: 1 }, [1], 1.5],
  number: ['abc', true, { a: 1 }, [1]],
  boolean: ['maybe', 2, { a: 1 }, [true]],
  datetime: ['not a date', 5, true, { a: 1 }],
  choice: ['NO_SUCH_CHOICE', 5, true, { a: 1 }],
  id: ['abc', true, { a: 1 }, 1.5],
  ids: ['abc', 5, { a: 1 }, ['abc'], [true]],
  permissions: ['VIEW_PROJECT', 5, { a: 1 }, ['NO_SUCH_PERMISSION'], [5]],
  list: ['abc', 5, true, { a: 1 }],
  object: ['abc', 5, true, [1]],
};

/** Who sends the bad-input requests: the graph's ADMIN, a user of its own, nobody, or an SDK (server key). */
export type Caller = 'admin' | 'account' | 'anonymous' | 'sdk';

export interface WriteSpec {
  /** A body the endpoint accepts; each case breaks exactly one thing in it. */
  body?: (ids: Ids) => Json;
  fields?: Record<string, FieldType>;
  /** Fields the endpoint requires (an empty body then answers 400). */
  required?: string[];
  /** Fields for which null is a legal value. */
  nullable?: string[];
  /** The endpoint reads no body: only malformed JSON, 10 MB and unknown ids apply. */
  noInput?: boolean;
  /** The body is a JSON list (an object is then the wrong shape). */
  listBody?: boolean;
  /** More bodies that must be refused. */
  extraCases?: (ids: Ids) => [string, Json][];
  /** Body fields naming objects by id: an unknown one must be refused. */
  unknownIds?: (ids: Ids) => [string, Json][];
  caller?: Caller;
  /** What an unknown path value answers where Flagsmith does not answer 404 (trench: 400 for a method name). */
  unknownPathStatus?: number;
}

export interface RouteSpec {
  /** Fastify's path as registered, without the trailing slash. */
  path: string;
  /** The URL with placeholders for the graph's ids (and the trailing slash Flagsmith's clients send). */
  url: string;
  write?: Partial<Record<Exclude<Method, 'GET'>, WriteSpec>>;
}

const NO_INPUT: WriteSpec = { noInput: true };

// ---- reusable field sets

const ORG_FIELDS = {
  name: 'string',
  restrict_project_create_to_admin: 'boolean',
  persist_trait_data: 'boolean',
  stop_serving_flags: 'boolean',
  block_access_to_admin: 'boolean',
  force_2fa: 'boolean',
} as const;
const PROJECT_FIELDS = {
  name: 'string',
  hide_disabled_flags: 'boolean',
  prevent_flag_defaults: 'boolean',
  enable_realtime_updates: 'boolean',
  only_allow_lower_case_feature_names: 'boolean',
  feature_name_regex: 'string',
  stale_flags_limit_days: 'integer',
  enforce_feature_owners: 'boolean',
} as const;
const ENV_FIELDS = {
  name: 'string',
  description: 'string',
  allow_client_traits: 'boolean',
  banner_text: 'string',
  hide_sensitive_data: 'boolean',
  use_identity_composite_key_for_hashing: 'boolean',
  use_identity_overrides_in_local_eval: 'boolean',
  use_mv_v2_evaluation: 'boolean',
  minimum_change_request_approvals: 'integer',
} as const;
const ENV_NULLABLE = ['description', 'banner_text', 'minimum_change_request_approvals'];
const GROUP_FIELDS = { name: 'string', is_default: 'boolean', external_id: 'string', users: 'ids' } as const;
const MASTER_KEY_FIELDS = { name: 'string', expiry_date: 'datetime', is_admin: 'boolean' } as const;
const API_KEY_FIELDS = { name: 'string', active: 'boolean', expires_at: 'datetime' } as const;
const WEBHOOK_FIELDS = { url: 'string', enabled: 'boolean', secret: 'string' } as const;
const TAG_FIELDS = {
  label: 'string',
  color: 'string',
  description: 'string',
  is_permanent: 'boolean',
} as const;
const MV_OPTION_FIELDS = {
  type: 'choice',
  string_value: 'string',
  integer_value: 'integer',
  boolean_value: 'boolean',
  default_percentage_allocation: 'number',
  key: 'string',
} as const;
const MV_OPTION_NULLABLE = ['type', 'string_value', 'integer_value', 'boolean_value', 'key'];
const METADATA_FIELD_FIELDS = {
  name: 'string',
  type: 'choice',
  description: 'string',
  organisation: 'id',
  project: 'id',
} as const;
const METADATA_FIELD_NULLABLE = ['description', 'project'];
const MODEL_FIELD_FIELDS = { field: 'id', content_type: 'id', is_required_for: 'list' } as const;
const SEGMENT_FIELDS = { name: 'string', description: 'string', rules: 'list', feature: 'id' } as const;
const TRAIT_FIELDS = {
  trait_key: 'string',
  value_type: 'choice',
  string_value: 'string',
  integer_value: 'integer',
  boolean_value: 'boolean',
  float_value: 'number',
} as const;
const TRAIT_NULLABLE = ['string_value', 'integer_value', 'boolean_value', 'float_value'];
const OVERRIDE_FIELDS = {
  feature: 'id',
  enabled: 'boolean',
  multivariate_feature_state_values: 'list',
} as const;
const STATE_FIELDS = {
  enabled: 'boolean',
  feature: 'id',
  environment: 'id',
  multivariate_feature_state_values: 'list',
} as const;
const MV_VALUES = (ids: Ids): [string, Json][] => [
  [
    'an MV value naming an unknown option',
    {
      multivariate_feature_state_values: [
        { multivariate_feature_option: 999999999, percentage_allocation: 10 },
      ],
    },
  ],
  [
    'an MV value with a non-numeric allocation',
    {
      multivariate_feature_state_values: [
        { multivariate_feature_option: Number(ids.mvOption), percentage_allocation: 'abc' },
      ],
    },
  ],
];

function grantRoutes(
  prefix: string,
  url: string,
  scoped: 'organisation' | 'project' | 'environment',
): RouteSpec[] {
  const keys =
    scoped === 'organisation'
      ? ['CREATE_PROJECT']
      : scoped === 'project'
        ? ['VIEW_PROJECT']
        : ['VIEW_ENVIRONMENT'];
  const extra: Record<string, FieldType> = scoped === 'organisation' ? {} : { admin: 'boolean' };
  const pk = (subject: 'user' | 'group') =>
    (scoped === 'organisation' ? 'org' : scoped === 'project' ? 'project' : 'env') +
    (subject === 'user' ? 'UserPerm' : 'GroupPerm');
  return (['user', 'group'] as const).flatMap((subject) => {
    const segment = subject === 'user' ? 'user-permissions' : 'user-group-permissions';
    const update: WriteSpec = {
      body: () => ({ permissions: keys }),
      fields: { permissions: 'permissions', ...extra },
    };
    return [
      {
        path: `${prefix}/${segment}`,
        url: `${url}/${segment}/`,
        write: {
          POST: {
            // the member and the first group already have grants here: a new one needs another subject
            body: (ids) => ({
              [subject]: Number(subject === 'user' ? ids.adminUser : ids.group2),
              permissions: keys,
            }),
            fields: { [subject]: 'id', permissions: 'permissions', ...extra },
            required: scoped === 'organisation' ? [subject, 'permissions'] : [subject],
            unknownIds: () => [[subject, { [subject]: 999999999, permissions: keys }]],
          },
        },
      },
      {
        path: `${prefix}/${segment}/:pk`,
        url: `${url}/${segment}/{${pk(subject)}}/`,
        write: { PUT: update, PATCH: update, DELETE: NO_INPUT },
      },
    ];
  });
}

const O = '/api/v1/organisations/:id';
const OU = '/api/v1/organisations/{org}';
const P = '/api/v1/projects/:project_pk';
const PU = '/api/v1/projects/{project}';
const E = '/api/v1/environments/:environment_api_key';
const EU = '/api/v1/environments/{env}';

export const ROUTES: RouteSpec[] = [
  // ---------------------------------------------------------------- accounts (no path ids)
  {
    path: '/api/v1/auth/users',
    url: '/api/v1/auth/users/',
    write: {
      POST: {
        caller: 'anonymous',
        body: () => ({ email: 'new-user@example.com', password: 'correct-horse-battery-9', first_name: 'N' }),
        fields: {
          email: 'string',
          password: 'string',
          first_name: 'string',
          last_name: 'string',
          sign_up_type: 'choice',
          invite_hash: 'string',
          superuser: 'boolean',
          marketing_consent_given: 'boolean',
        },
        nullable: ['sign_up_type', 'invite_hash'],
        required: ['email', 'password'],
      },
    },
  },
  {
    path: '/api/v1/auth/login',
    url: '/api/v1/auth/login/',
    write: {
      POST: {
        caller: 'anonymous',
        body: () => ({ email: 'nobody@example.com', password: 'x' }),
        fields: { email: 'string', password: 'string' },
        required: ['email', 'password'],
      },
    },
  },
  {
    path: '/api/v1/auth/login/code',
    url: '/api/v1/auth/login/code/',
    write: {
      POST: {
        caller: 'anonymous',
        body: () => ({ ephemeral_token: 'no-such-token', code: '123456' }),
        fields: { ephemeral_token: 'string', code: 'string' },
        required: ['ephemeral_token', 'code'],
      },
    },
  },
  {
    path: '/api/v1/auth/:method/activate',
    url: '/api/v1/auth/{mfaMethod}/activate/',
    write: { POST: { caller: 'account', noInput: true } },
  },
  {
    path: '/api/v1/auth/:method/activate/confirm',
    url: '/api/v1/auth/{mfaMethod}/activate/confirm/',
    write: {
      POST: {
        caller: 'account',
        body: () => ({ code: '123456' }),
        fields: { code: 'string' },
        required: ['code'],
        unknownPathStatus: 400,
      },
    },
  },
  {
    path: '/api/v1/auth/:method/deactivate',
    url: '/api/v1/auth/{mfaMethod}/deactivate/',
    write: {
      POST: {
        caller: 'account',
        body: () => ({ code: '000000' }),
        fields: { code: 'string' },
        unknownPathStatus: 400,
      },
    },
  },
  {
    path: '/api/v1/auth/users/me',
    url: '/api/v1/auth/users/me/',
    write: {
      PUT: {
        caller: 'account',
        body: () => ({ first_name: 'A' }),
        fields: { first_name: 'string', last_name: 'string', marketing_consent_given: 'boolean' },
      },
      PATCH: {
        caller: 'account',
        body: () => ({ first_name: 'A' }),
        fields: { first_name: 'string', last_name: 'string', marketing_consent_given: 'boolean' },
      },
      DELETE: {
        caller: 'account',
        body: () => ({ current_password: 'wrong-password' }),
        fields: { current_password: 'string', delete_orphan_organisations: 'boolean' },
        required: ['current_password'],
      },
    },
  },
  {
    path: '/api/v1/auth/users/set_password',
    url: '/api/v1/auth/users/set_password/',
    write: {
      POST: {
        caller: 'account',
        body: () => ({
          current_password: 'x',
          new_password: 'new-Password-99',
          re_new_password: 'new-Password-99',
        }),
        fields: { current_password: 'string', new_password: 'string', re_new_password: 'string' },
        required: ['current_password', 'new_password', 're_new_password'],
      },
    },
  },
  {
    path: '/api/v1/auth/users/set_email',
    url: '/api/v1/auth/users/set_email/',
    write: {
      POST: {
        caller: 'account',
        body: () => ({ current_password: 'x', new_email: 'moved@example.com' }),
        fields: { current_password: 'string', new_email: 'string' },
        required: ['current_password', 'new_email'],
      },
    },
  },
  {
    path: '/api/v1/auth/users/me/onboarding',
    url: '/api/v1/auth/users/me/onboarding/',
    write: {
      PATCH: {
        caller: 'account',
        body: () => ({ tasks: [{ name: 'create_flag' }], tools: { integrations: ['slack'] } }),
        fields: { tasks: 'list', tools: 'object', hosting_preferences: 'list' },
        extraCases: () => [
          ['a task without a name', { tasks: [{}] }],
          ['tools without integrations', { tools: { completed: true } }],
          ['a task time that is not a date', { tasks: [{ name: 'a', completed_at: 'soon' }] }],
        ],
      },
    },
  },
  {
    path: '/api/v1/auth/users/reset_password',
    url: '/api/v1/auth/users/reset_password/',
    write: {
      POST: {
        caller: 'anonymous',
        body: () => ({ email: 'nobody@example.com' }),
        fields: { email: 'string' },
        required: ['email'],
      },
    },
  },
  {
    path: '/api/v1/auth/users/reset_password_confirm',
    url: '/api/v1/auth/users/reset_password_confirm/',
    write: {
      POST: {
        caller: 'anonymous',
        body: () => ({
          uid: 'MQ',
          token: 'x',
          new_password: 'new-Password-99',
          re_new_password: 'new-Password-99',
        }),
        fields: { uid: 'string', token: 'string', new_password: 'string', re_new_password: 'string' },
        required: ['uid', 'token', 'new_password', 're_new_password'],
      },
    },
  },
  {
    path: '/api/v1/auth/users/activation',
    url: '/api/v1/auth/users/activation/',
    write: {
      POST: {
        caller: 'anonymous',
        body: () => ({ uid: 'MQ', token: 'x' }),
        fields: { uid: 'string', token: 'string' },
        required: ['uid', 'token'],
      },
    },
  },
  {
    path: '/api/v1/auth/users/resend_activation',
    url: '/api/v1/auth/users/resend_activation/',
    write: {
      POST: {
        caller: 'anonymous',
        body: () => ({ email: 'nobody@example.com' }),
        fields: { email: 'string' },
        required: ['email'],
      },
    },
  },
  ...(['github', 'google'] as const).map((provider): RouteSpec => ({
    path: `/api/v1/auth/oauth/${provider}`,
    url: `/api/v1/auth/oauth/${provider}/`,
    write: {
      POST: {
        caller: 'anonymous',
        body: () => ({ access_token: 'token' }),
        fields: { access_token: 'string', sign_up_type: 'choice', invite_hash: 'string' },
        nullable: ['sign_up_type', 'invite_hash'],
        required: ['access_token'],
      },
    },
  })),
  {
    path: '/api/v1/auth/oauth/exchange',
    url: '/api/v1/auth/oauth/exchange/',
    write: {
      POST: {
        caller: 'anonymous',
        body: () => ({ code: 'x' }),
        fields: { code: 'string' },
        required: ['code'],
      },
    },
  },
  {
    path: '/api/v1/users/config/init',
    url: '/api/v1/users/config/init/',
    write: {
      POST: {
        caller: 'anonymous',
        body: () => ({ email: 'root@example.com', site_name: 'x', site_domain: 'x.example.com' }),
        fields: { email: 'string', site_name: 'string', site_domain: 'string' },
        required: ['email', 'site_name', 'site_domain'],
      },
    },
  },
  {
    path: '/api/v1/analytics/telemetry',
    url: '/api/v1/analytics/telemetry/',
    write: {
      POST: {
        caller: 'anonymous',
        body: () => ({
          organisations: 1,
          projects: 1,
          environments: 1,
          features: 1,
          segments: 1,
          users: 1,
          debug_enabled: false,
          env: 'test',
        }),
        fields: {
          organisations: 'integer',
          projects: 'integer',
          environments: 'integer',
          features: 'integer',
          segments: 'integer',
          users: 'integer',
          debug_enabled: 'boolean',
          env: 'string',
        },
        required: ['organisations', 'debug_enabled', 'env'],
      },
    },
  },
  {
    path: '/api/v1/users/join/link/:hash',
    url: '/api/v1/users/join/link/{linkHash}/',
    write: { POST: { noInput: true, caller: 'account' } },
  },
  {
    path: '/api/v1/users/join/:hash',
    url: '/api/v1/users/join/{linkHash}/',
    write: { POST: { noInput: true, caller: 'account' } },
  },

  // ---------------------------------------------------------------- organisations
  {
    path: '/api/v1/organisations',
    url: '/api/v1/organisations/',
    write: {
      POST: {
        body: () => ({ name: 'Another' }),
        fields: {
          name: 'string',
          webhook_notification_email: 'string',
          restrict_project_create_to_admin: 'boolean',
        },
        nullable: ['webhook_notification_email'],
        required: ['name'],
      },
    },
  },
  {
    path: O,
    url: `${OU}/`,
    write: {
      PUT: { body: () => ({ name: 'Renamed' }), fields: ORG_FIELDS, required: ['name'] },
      PATCH: { body: () => ({ name: 'Renamed' }), fields: ORG_FIELDS },
      DELETE: NO_INPUT,
    },
  },
  { path: `${O}/projects`, url: `${OU}/projects/` },
  { path: `${O}/my-permissions`, url: `${OU}/my-permissions/` },
  { path: `${O}/get-subscription-metadata`, url: `${OU}/get-subscription-metadata/` },
  { path: `${O}/users`, url: `${OU}/users/` },
  {
    path: `${O}/users/:userId/update-role`,
    url: `${OU}/users/{member}/update-role/`,
    write: { POST: { body: () => ({ role: 'ADMIN' }), fields: { role: 'choice' }, required: ['role'] } },
  },
  {
    path: `${O}/remove-users`,
    url: `${OU}/remove-users/`,
    write: {
      POST: {
        listBody: true,
        body: (ids) => [{ id: Number(ids.member) }],
        extraCases: () => [
          ['an item id that is not an integer', [{ id: 'abc' }]],
          ['an item that is a boolean', [true]],
        ],
      },
    },
  },
  {
    path: `${O}/invites`,
    url: `${OU}/invites/`,
    write: {
      POST: {
        body: () => ({ email: 'someone@example.com', role: 'USER' }),
        fields: { email: 'string', role: 'choice', permission_groups: 'ids' },
        required: ['email'],
        unknownIds: () => [
          ['permission_groups', { email: 'someone@example.com', permission_groups: [999999999] }],
        ],
      },
    },
  },
  { path: `${O}/invites/:inviteId`, url: `${OU}/invites/{invite}/`, write: { DELETE: NO_INPUT } },
  { path: `${O}/invites/:inviteId/resend`, url: `${OU}/invites/{invite}/resend/`, write: { POST: NO_INPUT } },
  {
    path: `${O}/invite`,
    url: `${OU}/invite/`,
    write: {
      POST: {
        body: () => ({ invites: [{ email: 'someone@example.com', role: 'USER' }] }),
        fields: { invites: 'list', permission_groups: 'ids' },
        required: ['invites'],
        extraCases: () => [
          ['emails that are not a list', { emails: 'someone@example.com' }],
          ['an invite with a bad role', { invites: [{ email: 'someone@example.com', role: 'OWNER' }] }],
          ['an invite with a bad email', { invites: [{ email: 'not-an-email', role: 'USER' }] }],
          ['emails that are not strings', { emails: [5] }],
        ],
      },
    },
  },
  {
    path: `${O}/invite-links`,
    url: `${OU}/invite-links/`,
    write: {
      POST: {
        body: () => ({ role: 'USER' }),
        fields: { role: 'choice', expires_at: 'datetime' },
        nullable: ['expires_at'],
      },
    },
  },
  { path: `${O}/invite-links/:linkId`, url: `${OU}/invite-links/{inviteLink}/`, write: { DELETE: NO_INPUT } },
  {
    path: `${O}/groups`,
    url: `${OU}/groups/`,
    write: {
      POST: {
        body: () => ({ name: 'another team' }),
        fields: GROUP_FIELDS,
        nullable: ['external_id'],
        required: ['name'],
        unknownIds: () => [['users', { name: 'x', users: [999999999] }]],
      },
    },
  },
  { path: `${O}/groups/my-groups`, url: `${OU}/groups/my-groups/` },
  { path: `${O}/groups/summaries`, url: `${OU}/groups/summaries/` },
  {
    path: `${O}/groups/:groupId`,
    url: `${OU}/groups/{group}/`,
    write: {
      PUT: {
        body: () => ({ name: 'renamed team' }),
        fields: GROUP_FIELDS,
        nullable: ['external_id'],
        required: ['name'],
      },
      PATCH: { body: () => ({ name: 'renamed team' }), fields: GROUP_FIELDS, nullable: ['external_id'] },
      DELETE: NO_INPUT,
    },
  },
  ...(['add-users', 'remove-users'] as const).map((action): RouteSpec => ({
    path: `${O}/groups/:groupId/${action}`,
    url: `${OU}/groups/{group}/${action}/`,
    write: {
      POST: {
        body: (ids) => ({ user_ids: [Number(ids.member)] }),
        fields: { user_ids: 'ids' },
        required: ['user_ids'],
        ...(action === 'add-users'
          ? { unknownIds: (): [string, Json][] => [['user_ids', { user_ids: [999999999] }]] }
          : {}),
      },
    },
  })),
  ...(['make-admin', 'remove-admin'] as const).map((action): RouteSpec => ({
    path: `${O}/groups/:groupId/users/:userId/${action}`,
    url: `${OU}/groups/{group}/users/{member}/${action}/`,
    write: { POST: NO_INPUT },
  })),
  {
    path: `${O}/master-api-keys`,
    url: `${OU}/master-api-keys/`,
    write: {
      POST: {
        body: () => ({ name: 'deploy' }),
        fields: MASTER_KEY_FIELDS,
        nullable: ['expiry_date'],
        required: ['name'],
      },
    },
  },
  {
    path: `${O}/master-api-keys/:prefix`,
    url: `${OU}/master-api-keys/{masterKey}/`,
    write: {
      PUT: {
        body: () => ({ name: 'renamed' }),
        fields: { ...MASTER_KEY_FIELDS, revoked: 'boolean' },
        nullable: ['expiry_date'],
        required: ['name'],
      },
      PATCH: {
        body: () => ({ name: 'renamed' }),
        fields: { ...MASTER_KEY_FIELDS, revoked: 'boolean' },
        nullable: ['expiry_date'],
      },
      DELETE: NO_INPUT,
    },
  },
  ...grantRoutes(O, OU, 'organisation'),
  { path: '/api/v1/organisations/:organisation_pk/audit', url: `${OU}/audit/` },
  { path: '/api/v1/organisations/:organisation_pk/audit/:id', url: `${OU}/audit/{audit}/` },
  {
    path: '/api/v1/organisations/:organisation_pk/webhooks',
    url: `${OU}/webhooks/`,
    write: {
      POST: {
        body: () => ({ url: 'https://example.com/org-new', enabled: false }),
        fields: WEBHOOK_FIELDS,
        required: ['url'],
      },
    },
  },
  {
    path: '/api/v1/organisations/:organisation_pk/webhooks/:id',
    url: `${OU}/webhooks/{orgWebhook}/`,
    write: {
      PUT: {
        body: () => ({ url: 'https://example.com/org-put', enabled: false }),
        fields: WEBHOOK_FIELDS,
        required: ['url'],
      },
      PATCH: { body: () => ({ enabled: false }), fields: WEBHOOK_FIELDS },
      DELETE: NO_INPUT,
    },
  },
  {
    path: '/api/v1/organisations/:organisation_pk/webhooks/:id/deliveries',
    url: `${OU}/webhooks/{orgWebhook}/deliveries/`,
  },
  {
    // The test call: its valid body aims at a loopback port, refused by the address guard (never sent anywhere).
    path: '/api/v1/webhooks/test',
    url: '/api/v1/webhooks/test/',
    write: {
      POST: {
        body: (ids) => ({
          webhook_url: 'http://127.0.0.1:9/hook',
          scope: { type: 'environment', id: ids.env },
          secret: 's',
        }),
        fields: { webhook_url: 'string', scope: 'object', secret: 'string' },
        required: ['webhook_url', 'scope'],
        nullable: ['secret'],
      },
    },
  },
  { path: '/api/v1/audit/:id', url: '/api/v1/audit/{audit}/' },

  // ---------------------------------------------------------------- projects
  {
    path: '/api/v1/projects',
    url: '/api/v1/projects/',
    write: {
      POST: {
        body: (ids) => ({ name: 'Another', organisation: Number(ids.org) }),
        fields: { ...PROJECT_FIELDS, organisation: 'id' },
        nullable: ['feature_name_regex'],
        required: ['name', 'organisation'],
        unknownIds: () => [['organisation', { name: 'x', organisation: 999999999 }]],
      },
    },
  },
  {
    path: '/api/v1/projects/:id',
    url: `${PU}/`,
    write: {
      PUT: {
        body: () => ({ name: 'Renamed' }),
        fields: PROJECT_FIELDS,
        nullable: ['feature_name_regex'],
        required: ['name'],
      },
      PATCH: { body: () => ({ name: 'Renamed' }), fields: PROJECT_FIELDS, nullable: ['feature_name_regex'] },
      DELETE: NO_INPUT,
    },
  },
  { path: '/api/v1/projects/:id/environments', url: `${PU}/environments/` },
  { path: '/api/v1/projects/:id/my-permissions', url: `${PU}/my-permissions/` },
  {
    path: `${P}/features`,
    url: `${PU}/features/`,
    write: {
      POST: {
        body: () => ({ name: 'another_flag' }),
        fields: {
          name: 'string',
          type: 'choice',
          default_enabled: 'boolean',
          description: 'string',
          tags: 'ids',
          is_server_key_only: 'boolean',
          is_archived: 'boolean',
          owners: 'ids',
          group_owners: 'ids',
          multivariate_options: 'list',
        },
        nullable: ['description'],
        required: ['name'],
        unknownIds: () => [
          ['tags', { name: 'x', tags: [999999999] }],
          ['owners', { name: 'x', owners: [999999999] }],
          ['group_owners', { name: 'x', group_owners: [999999999] }],
        ],
        extraCases: () => [
          ['an MV option that is not an object', { name: 'x', multivariate_options: ['a'] }],
          [
            'MV allocations over 100',
            { name: 'x', multivariate_options: [{ string_value: 'a', default_percentage_allocation: 101 }] },
          ],
        ],
      },
    },
  },
  {
    path: `${P}/features/:id`,
    url: `${PU}/features/{feature}/`,
    write: {
      PUT: {
        body: () => ({ description: 'changed' }),
        fields: { description: 'string', tags: 'ids', is_server_key_only: 'boolean', is_archived: 'boolean' },
        nullable: ['description'],
        unknownIds: () => [['tags', { tags: [999999999] }]],
      },
      PATCH: {
        body: () => ({ description: 'changed' }),
        fields: { description: 'string', tags: 'ids', is_server_key_only: 'boolean', is_archived: 'boolean' },
        nullable: ['description'],
        unknownIds: () => [['tags', { tags: [999999999] }]],
      },
      DELETE: NO_INPUT,
    },
  },
  ...(['add-owners', 'remove-owners', 'add-group-owners', 'remove-group-owners'] as const).map(
    (action): RouteSpec => {
      const field = action.includes('group') ? 'group_ids' : 'user_ids';
      return {
        path: `${P}/features/:id/${action}`,
        url: `${PU}/features/{feature}/${action}/`,
        write: {
          POST: {
            body: (ids) => ({ [field]: [Number(field === 'group_ids' ? ids.group : ids.member)] }),
            fields: { [field]: 'ids' },
            required: [field],
            ...(action.startsWith('add')
              ? { unknownIds: (): [string, Json][] => [[field, { [field]: [999999999] }]] }
              : {}),
          },
        },
      };
    },
  ),
  {
    path: `${P}/features/:feature_pk/mv-options`,
    url: `${PU}/features/{mvFeature}/mv-options/`,
    write: {
      POST: {
        body: (ids) => ({
          feature: Number(ids.mvFeature),
          type: 'unicode',
          string_value: 'b',
          default_percentage_allocation: 10,
        }),
        fields: { ...MV_OPTION_FIELDS, feature: 'id' },
        nullable: MV_OPTION_NULLABLE,
        extraCases: () => [
          [
            'an allocation over 100',
            { type: 'unicode', string_value: 'b', default_percentage_allocation: 101 },
          ],
        ],
      },
    },
  },
  {
    path: `${P}/features/:feature_pk/mv-options/:id`,
    url: `${PU}/features/{mvFeature}/mv-options/{mvOption}/`,
    write: {
      PUT: {
        body: (ids) => ({
          feature: Number(ids.mvFeature),
          type: 'unicode',
          string_value: 'c',
          default_percentage_allocation: 20,
        }),
        fields: MV_OPTION_FIELDS,
        nullable: MV_OPTION_NULLABLE,
      },
      PATCH: { body: () => ({ string_value: 'c' }), fields: MV_OPTION_FIELDS, nullable: MV_OPTION_NULLABLE },
      DELETE: NO_INPUT,
    },
  },
  {
    path: `${P}/tags`,
    url: `${PU}/tags/`,
    write: {
      POST: {
        body: () => ({ label: 'gamma', color: '#ffffff' }),
        fields: TAG_FIELDS,
        nullable: ['description'],
        required: ['label'],
      },
    },
  },
  {
    path: `${P}/tags/:id`,
    url: `${PU}/tags/{tag}/`,
    write: {
      PUT: {
        body: () => ({ label: 'renamed', color: '#ffffff' }),
        fields: TAG_FIELDS,
        nullable: ['description'],
        required: ['label'],
      },
      PATCH: { body: () => ({ label: 'renamed' }), fields: TAG_FIELDS, nullable: ['description'] },
      DELETE: NO_INPUT,
    },
  },
  ...grantRoutes('/api/v1/projects/:projectId', PU, 'project'),
  {
    path: `${P}/segments`,
    url: `${PU}/segments/`,
    write: {
      POST: {
        body: () => ({ name: 'another segment', rules: SEGMENT_RULES }),
        fields: SEGMENT_FIELDS,
        nullable: ['description', 'feature'],
        required: ['name', 'rules'],
        unknownIds: () => [['feature', { name: 'x', rules: SEGMENT_RULES, feature: 999999999 }]],
        extraCases: () => [
          [
            'a rule with an unknown type',
            { name: 'x', rules: [{ type: 'SOME', rules: [], conditions: [] }] },
          ],
          [
            'a condition with an unknown operator',
            {
              name: 'x',
              rules: [
                { type: 'ALL', rules: [], conditions: [{ operator: 'LIKE', property: 'a', value: 'b' }] },
              ],
            },
          ],
          [
            'a condition value that is an object',
            {
              name: 'x',
              rules: [
                {
                  type: 'ALL',
                  rules: [],
                  conditions: [{ operator: 'EQUAL', property: 'a', value: { b: 1 } }],
                },
              ],
            },
          ],
          ['rules that are not objects', { name: 'x', rules: ['ALL'] }],
        ],
      },
    },
  },
  {
    path: `${P}/segments/:id`,
    url: `${PU}/segments/{segment}/`,
    write: {
      PUT: {
        body: () => ({ name: 'renamed', rules: SEGMENT_RULES }),
        fields: SEGMENT_FIELDS,
        nullable: ['description', 'feature'],
        required: ['name', 'rules'],
      },
      PATCH: {
        body: () => ({ name: 'renamed' }),
        fields: SEGMENT_FIELDS,
        nullable: ['description', 'feature'],
      },
      DELETE: NO_INPUT,
    },
  },
  {
    path: `${P}/segments/:id/clone`,
    url: `${PU}/segments/{segment}/clone/`,
    write: { POST: { body: () => ({ name: 'cloned' }), fields: { name: 'string' }, required: ['name'] } },
  },
  { path: `${P}/segments/:id/associated-features`, url: `${PU}/segments/{segment}/associated-features/` },
  { path: `${P}/audit`, url: `${PU}/audit/` },
  { path: `${P}/audit/:id`, url: `${PU}/audit/{audit}/` },

  // ---------------------------------------------------------------- environments
  {
    path: '/api/v1/environments',
    url: '/api/v1/environments/',
    write: {
      POST: {
        body: (ids) => ({ name: 'Staging', project: Number(ids.project) }),
        fields: { ...ENV_FIELDS, project: 'id' },
        nullable: ENV_NULLABLE,
        required: ['name', 'project'],
        unknownIds: () => [['project', { name: 'x', project: 999999999 }]],
      },
    },
  },
  {
    path: '/api/v1/environments/:apiKey',
    url: `${EU}/`,
    write: {
      PUT: {
        body: () => ({ name: 'Renamed' }),
        fields: ENV_FIELDS,
        nullable: ENV_NULLABLE,
        required: ['name'],
      },
      PATCH: { body: () => ({ name: 'Renamed' }), fields: ENV_FIELDS, nullable: ENV_NULLABLE },
      DELETE: NO_INPUT,
    },
  },
  {
    path: '/api/v1/environments/:apiKey/clone',
    url: `${EU}/clone/`,
    write: {
      POST: {
        body: () => ({ name: 'Copy' }),
        fields: { name: 'string', clone_feature_states_async: 'boolean' },
        required: ['name'],
      },
    },
  },
  { path: '/api/v1/environments/:apiKey/my-permissions', url: `${EU}/my-permissions/` },
  { path: '/api/v1/environments/:apiKey/document', url: `${EU}/document/` },
  {
    path: '/api/v1/environments/:environment_api_key/webhooks',
    url: `${EU}/webhooks/`,
    write: {
      POST: {
        body: () => ({ url: 'https://example.com/new', enabled: false }),
        fields: WEBHOOK_FIELDS,
        required: ['url'],
      },
    },
  },
  {
    path: '/api/v1/environments/:environment_api_key/webhooks/:id',
    url: `${EU}/webhooks/{webhook}/`,
    write: {
      PUT: {
        body: () => ({ url: 'https://example.com/put', enabled: false }),
        fields: WEBHOOK_FIELDS,
        required: ['url'],
      },
      PATCH: { body: () => ({ enabled: false }), fields: WEBHOOK_FIELDS },
      DELETE: NO_INPUT,
    },
  },
  {
    path: '/api/v1/environments/:environment_api_key/webhooks/:id/deliveries',
    url: `${EU}/webhooks/{webhook}/deliveries/`,
  },
  {
    path: '/api/v1/environments/:apiKey/api-keys',
    url: `${EU}/api-keys/`,
    write: {
      POST: {
        body: () => ({ name: 'worker' }),
        fields: API_KEY_FIELDS,
        nullable: ['expires_at'],
        required: ['name'],
      },
    },
  },
  {
    path: '/api/v1/environments/:apiKey/api-keys/:id',
    url: `${EU}/api-keys/{serverKey}/`,
    write: {
      PUT: {
        body: () => ({ name: 'renamed' }),
        fields: API_KEY_FIELDS,
        nullable: ['expires_at'],
        required: ['name'],
      },
      PATCH: { body: () => ({ name: 'renamed' }), fields: API_KEY_FIELDS, nullable: ['expires_at'] },
      DELETE: NO_INPUT,
    },
  },
  {
    path: `${E}/featurestates`,
    url: `${EU}/featurestates/`,
    write: {
      // A missing or unknown feature is Flagsmith's 403 (its permission class cannot find it), not a 400.
      POST: {
        body: (ids) => ({ feature: Number(ids.feature), enabled: true, feature_state_value: 'x' }),
        fields: {
          feature: 'id',
          identity: 'id',
          feature_segment: 'id',
          identifier: 'string',
          enabled: 'boolean',
          multivariate_feature_state_values: 'list',
        },
        nullable: ['identity', 'feature_segment'],
        extraCases: MV_VALUES,
        unknownIds: (ids) => [
          ['feature', { feature: 999999999, enabled: true }],
          ['identity', { feature: Number(ids.feature), identity: 999999999 }],
          ['identifier', { feature: Number(ids.feature), identifier: 'nobody-has-this' }],
          ['feature_segment', { feature: Number(ids.feature), feature_segment: 999999999 }],
        ],
      },
    },
  },
  {
    path: `${E}/onboarding-status`,
    url: `${EU}/onboarding-status/`,
    write: {
      PUT: {
        caller: 'anonymous',
        body: () => ({ first_evaluated_sdk_label: 'flagsmith-js-sdk' }),
        fields: { first_evaluated_sdk_label: 'choice' },
        required: ['first_evaluated_sdk_label'],
      },
    },
  },
  {
    path: `${E}/featurestates/:id`,
    url: `${EU}/featurestates/{featureState}/`,
    write: {
      PUT: {
        body: () => ({ enabled: true, feature_state_value: 'changed' }),
        fields: STATE_FIELDS,
        extraCases: MV_VALUES,
        unknownIds: () => [['feature', { feature: 999999999, enabled: true }]],
      },
      PATCH: {
        body: () => ({ enabled: true, feature_state_value: 'changed' }),
        fields: STATE_FIELDS,
        extraCases: MV_VALUES,
        unknownIds: () => [['environment', { environment: 999999999, enabled: true }]],
      },
    },
  },
  {
    path: `${E}/features/:feature_pk/create-segment-override`,
    url: `${EU}/features/{mvFeature}/create-segment-override/`,
    write: {
      POST: {
        body: (ids) => ({
          enabled: true,
          feature_state_value: { type: 'unicode', string_value: 'x' },
          feature_segment: { segment: Number(ids.segment) },
        }),
        fields: {
          enabled: 'boolean',
          feature_state_value: 'object',
          feature_segment: 'object',
          multivariate_feature_state_values: 'list',
        },
        required: ['feature_state_value', 'feature_segment'],
        unknownIds: () => [
          [
            'feature_segment.segment',
            {
              enabled: true,
              feature_state_value: { type: 'unicode', string_value: 'x' },
              feature_segment: { segment: 999999999 },
            },
          ],
        ],
        extraCases: (ids) => [
          [
            'a typed value with a wrong integer',
            {
              feature_state_value: { type: 'int', integer_value: 'abc' },
              feature_segment: { segment: Number(ids.segment) },
            },
          ],
          [
            'a negative priority',
            {
              feature_state_value: { type: 'unicode', string_value: 'x' },
              feature_segment: { segment: Number(ids.segment), priority: -1 },
            },
          ],
        ],
      },
    },
  },
  ...grantRoutes('/api/v1/environments/:apiKey', EU, 'environment'),
  {
    path: `${E}/identities`,
    url: `${EU}/identities/`,
    write: {
      POST: {
        body: () => ({ identifier: 'carol' }),
        fields: { identifier: 'string' },
        required: ['identifier'],
      },
    },
  },
  {
    path: `${E}/identities/:id`,
    url: `${EU}/identities/{identity}/`,
    write: {
      PUT: {
        body: () => ({ identifier: 'alice2' }),
        fields: { identifier: 'string' },
        required: ['identifier'],
      },
      PATCH: { body: () => ({ identifier: 'alice2' }), fields: { identifier: 'string' } },
      DELETE: NO_INPUT,
    },
  },
  {
    path: `${E}/identities/:identity_pk/featurestates`,
    url: `${EU}/identities/{identity}/featurestates/`,
    write: {
      POST: {
        body: (ids) => ({ feature: Number(ids.mvFeature), enabled: true, feature_state_value: 'x' }),
        fields: OVERRIDE_FIELDS,
        required: ['feature'],
        unknownIds: () => [['feature', { feature: 999999999, enabled: true }]],
      },
    },
  },
  {
    path: `${E}/identities/:identity_pk/featurestates/all`,
    url: `${EU}/identities/{identity}/featurestates/all/`,
  },
  {
    path: `${E}/identities/:identity_pk/featurestates/clone-from-given-identity`,
    url: `${EU}/identities/{identity}/featurestates/clone-from-given-identity/`,
    write: {
      POST: {
        body: (ids) => ({ source_identity_id: Number(ids.identity2) }),
        fields: { source_identity_id: 'id' },
        required: ['source_identity_id'],
        unknownIds: () => [['source_identity_id', { source_identity_id: 999999999 }]],
      },
    },
  },
  {
    path: `${E}/identities/:identity_pk/featurestates/:id`,
    url: `${EU}/identities/{identity}/featurestates/{identityOverride}/`,
    write: {
      PUT: { body: () => ({ enabled: false, feature_state_value: 'y' }), fields: OVERRIDE_FIELDS },
      PATCH: { body: () => ({ enabled: false }), fields: OVERRIDE_FIELDS },
      DELETE: NO_INPUT,
    },
  },
  {
    path: `${E}/identities/:identity_pk/traits`,
    url: `${EU}/identities/{identity}/traits/`,
    write: {
      POST: {
        body: () => ({ trait_key: 'age', value_type: 'int', integer_value: 30 }),
        fields: TRAIT_FIELDS,
        nullable: TRAIT_NULLABLE,
        required: ['trait_key'],
      },
    },
  },
  {
    path: `${E}/identities/:identity_pk/traits/:id`,
    url: `${EU}/identities/{identity}/traits/{trait}/`,
    write: {
      PUT: {
        body: () => ({ trait_key: 'plan', value_type: 'unicode', string_value: 'free' }),
        fields: TRAIT_FIELDS,
        nullable: TRAIT_NULLABLE,
        required: ['trait_key'],
      },
      PATCH: { body: () => ({ string_value: 'free' }), fields: TRAIT_FIELDS, nullable: TRAIT_NULLABLE },
      DELETE: NO_INPUT,
    },
  },
  { path: `${E}/trait-keys`, url: `${EU}/trait-keys/` },
  {
    path: `${E}/delete-traits`,
    url: `${EU}/delete-traits/`,
    write: { POST: { body: () => ({ key: 'plan' }), fields: { key: 'string' }, required: ['key'] } },
  },

  // ---------------------------------------------------------------- feature states and segment overrides by id
  {
    path: '/api/v1/features/featurestates',
    url: '/api/v1/features/featurestates/',
    write: {
      POST: {
        body: (ids) => ({
          feature: Number(ids.feature),
          environment: Number(ids.envId),
          identity: Number(ids.identity2),
          enabled: true,
          feature_state_value: { type: 'unicode', string_value: 'x' },
        }),
        fields: {
          feature: 'id',
          environment: 'id',
          identity: 'id',
          feature_segment: 'id',
          enabled: 'boolean',
          feature_state_value: 'object',
          multivariate_feature_state_values: 'list',
        },
        nullable: ['identity', 'feature_segment', 'feature_state_value'],
        required: ['feature', 'environment'],
        unknownIds: (ids) => [
          ['feature', { feature: 999999999, environment: Number(ids.envId), enabled: true }],
          ['environment', { feature: Number(ids.feature), environment: 999999999, enabled: true }],
          [
            'identity',
            {
              feature: Number(ids.feature),
              environment: Number(ids.envId),
              identity: 999999999,
              enabled: true,
            },
          ],
          [
            'feature_segment',
            { feature: Number(ids.feature), environment: Number(ids.envId), feature_segment: 999999999 },
          ],
        ],
      },
    },
  },
  {
    path: '/api/v1/features/featurestates/:id',
    url: '/api/v1/features/featurestates/{featureState}/',
    write: {
      PUT: {
        body: (ids) => ({ feature: Number(ids.feature), environment: Number(ids.envId), enabled: true }),
        fields: { ...STATE_FIELDS, feature_state_value: 'object' },
        nullable: ['feature_state_value'],
        required: ['feature', 'environment'],
        extraCases: MV_VALUES,
      },
      PATCH: {
        body: () => ({ enabled: true }),
        fields: { ...STATE_FIELDS, feature_state_value: 'object' },
        nullable: ['feature_state_value'],
        extraCases: MV_VALUES,
      },
    },
  },
  {
    path: '/api/v1/features/feature-segments',
    url: '/api/v1/features/feature-segments/',
    write: {
      POST: {
        body: (ids) => ({
          feature: Number(ids.mvFeature),
          segment: Number(ids.segment),
          environment: Number(ids.envId),
        }),
        fields: { feature: 'id', segment: 'id', environment: 'id' },
        required: ['feature', 'segment', 'environment'],
        unknownIds: (ids) => [
          ['feature', { feature: 999999999, segment: Number(ids.segment), environment: Number(ids.envId) }],
          ['segment', { feature: Number(ids.mvFeature), segment: 999999999, environment: Number(ids.envId) }],
          [
            'environment',
            { feature: Number(ids.mvFeature), segment: Number(ids.segment), environment: 999999999 },
          ],
        ],
      },
    },
  },
  {
    path: '/api/v1/features/create-feature-export',
    url: '/api/v1/features/create-feature-export/',
    write: {
      POST: {
        body: (ids) => ({ environment_id: Number(ids.envId), tag_ids: [] }),
        fields: { environment_id: 'id', tag_ids: 'list' },
        required: ['environment_id', 'tag_ids'],
        unknownIds: () => [['environment_id', { environment_id: 999999999, tag_ids: [] }]],
        extraCases: (ids) => [
          ['a tag id that is not a number', { environment_id: Number(ids.envId), tag_ids: ['x'] }],
        ],
      },
    },
  },
  {
    // multipart in Flagsmith's dashboard; a JSON body has no file: every case is refused
    path: '/api/v1/features/feature-import/:environment_id',
    url: '/api/v1/features/feature-import/{envId}/',
    write: {
      POST: {
        body: () => ({ strategy: 'SKIP', file: '[]' }),
        fields: { strategy: 'choice' },
        required: ['file', 'strategy'],
        extraCases: () => [['a file as text', { strategy: 'SKIP', file: '[]' }]],
      },
    },
  },
  {
    path: '/api/v1/features/feature-segments/update-priorities',
    url: '/api/v1/features/feature-segments/update-priorities/',
    write: {
      POST: {
        listBody: true,
        body: (ids) => [{ id: Number(ids.featureSegment), priority: 0 }],
        extraCases: (ids) => [
          ['an id that is not an integer', [{ id: 'abc', priority: 0 }]],
          ['a priority that is not an integer', [{ id: Number(ids.featureSegment), priority: 'first' }]],
          ['a negative priority', [{ id: Number(ids.featureSegment), priority: -1 }]],
          ['an item without a priority', [{ id: Number(ids.featureSegment) }]],
          ['an item that is a string', ['abc']],
        ],
        unknownIds: () => [['id', [{ id: 999999999, priority: 0 }]]],
      },
    },
  },
  {
    path: '/api/v1/features/feature-segments/:id',
    url: '/api/v1/features/feature-segments/{featureSegment}/',
    write: { DELETE: NO_INPUT },
  },

  // ---------------------------------------------------------------- SDK writes (X-Environment-Key: the server key)
  {
    path: '/api/v1/identities',
    url: '/api/v1/identities/',
    write: {
      POST: {
        caller: 'sdk',
        body: () => ({ identifier: 'dave', traits: [{ trait_key: 'plan', trait_value: 'pro' }] }),
        fields: { identifier: 'string', traits: 'list', transient: 'boolean' },
        nullable: ['identifier', 'traits', 'transient'],
        extraCases: () => [
          ['a trait that is not an object', { identifier: 'dave', traits: ['plan'] }],
          ['a trait without a key', { identifier: 'dave', traits: [{ trait_value: 'pro' }] }],
          // (object and list trait values are stored as their text, as Flagsmith does)
          ['an identifier over 2000 characters', { identifier: 'x'.repeat(2001) }],
        ],
      },
    },
  },
  {
    path: '/api/v1/traits',
    url: '/api/v1/traits/',
    write: {
      POST: {
        caller: 'sdk',
        body: () => ({ identity: { identifier: 'dave' }, trait_key: 'plan', trait_value: 'pro' }),
        fields: { identity: 'object', trait_key: 'string' },
        required: ['identity', 'trait_key', 'trait_value'],
        extraCases: () => [
          ['an identity without an identifier', { identity: {}, trait_key: 'plan', trait_value: 'pro' }],
          // (object and list trait values are stored as their text, as Flagsmith does)
        ],
      },
    },
  },
  {
    path: '/api/v1/traits/bulk',
    url: '/api/v1/traits/bulk/',
    write: {
      PUT: {
        caller: 'sdk',
        listBody: true,
        body: () => [{ identity: { identifier: 'dave' }, trait_key: 'plan', trait_value: 'pro' }],
        extraCases: () => [
          ['an item that is not an object', ['plan']],
          ['an item without an identity', [{ trait_key: 'plan', trait_value: 'pro' }]],
          [
            'an item whose key is an object',
            [{ identity: { identifier: 'dave' }, trait_key: { a: 1 }, trait_value: 1 }],
          ],
          [
            'one good and one bad item',
            [
              { identity: { identifier: 'dave' }, trait_key: 'plan', trait_value: 'pro' },
              { identity: { identifier: 'dave' }, trait_key: { a: 1 }, trait_value: 1 },
            ],
          ],
        ],
      },
    },
  },
  {
    path: '/api/v1/traits/increment-value',
    url: '/api/v1/traits/increment-value/',
    write: {
      POST: {
        caller: 'sdk',
        body: () => ({ identifier: 'dave', trait_key: 'visits', increment_by: 1 }),
        fields: { identifier: 'string', trait_key: 'string', increment_by: 'integer' },
        required: ['identifier', 'trait_key', 'increment_by'],
      },
    },
  },
  {
    path: '/api/v1/analytics/flags',
    url: '/api/v1/analytics/flags/',
    write: { POST: { caller: 'sdk', body: () => ({ plain: 1 }) } },
  },
  {
    path: '/api/v2/analytics/flags',
    url: '/api/v2/analytics/flags/',
    write: {
      POST: {
        caller: 'sdk',
        body: () => ({ evaluations: [{ feature_name: 'plain', count: 1 }] }),
        fields: { evaluations: 'list' },
        required: ['evaluations'],
      },
    },
  },

  // ---------------------------------------------------------------- metadata fields
  {
    path: '/api/v1/metadata/fields',
    url: '/api/v1/metadata/fields/',
    write: {
      POST: {
        body: (ids) => ({ name: 'reviewer', type: 'str', organisation: Number(ids.org) }),
        fields: METADATA_FIELD_FIELDS,
        nullable: METADATA_FIELD_NULLABLE,
        required: ['name', 'organisation'],
        unknownIds: (ids) => [
          ['organisation', { name: 'reviewer', organisation: 999999999 }],
          ['project', { name: 'reviewer', organisation: Number(ids.org), project: 999999999 }],
        ],
        extraCases: (ids) => [
          ['an unknown type', { name: 'reviewer', type: 'colour', organisation: Number(ids.org) }],
          ['a blank name', { name: '', organisation: Number(ids.org) }],
        ],
      },
    },
  },
  {
    path: '/api/v1/metadata/fields/:id',
    url: '/api/v1/metadata/fields/{metadataField}/',
    write: {
      PUT: {
        body: (ids) => ({ name: 'owner', type: 'str', organisation: Number(ids.org) }),
        fields: METADATA_FIELD_FIELDS,
        nullable: METADATA_FIELD_NULLABLE,
        required: ['name', 'organisation'],
        unknownIds: () => [['organisation', { name: 'owner', organisation: 999999999 }]],
      },
      PATCH: {
        body: () => ({ description: 'who owns it' }),
        fields: METADATA_FIELD_FIELDS,
        nullable: METADATA_FIELD_NULLABLE,
        unknownIds: () => [['project', { project: 999999999 }]],
      },
      DELETE: NO_INPUT,
    },
  },
  { path: `${P}/metadata/fields`, url: `${PU}/metadata/fields/` },
  { path: `${P}/metadata/fields/:id`, url: `${PU}/metadata/fields/{metadataField}/` },
  {
    path: '/api/v1/organisations/:organisation_pk/metadata-model-fields',
    url: `${OU}/metadata-model-fields/`,
    write: {
      // content types are fixed ids here (src/metadata/content-types.ts): 5 is segment, 3 environment
      POST: {
        body: (ids) => ({ field: Number(ids.metadataField), content_type: 5 }),
        fields: MODEL_FIELD_FIELDS,
        required: ['field', 'content_type'],
        unknownIds: () => [
          ['field', { field: 999999999, content_type: 5 }],
          ['content_type', { field: 999999999, content_type: 999999999 }],
        ],
        extraCases: (ids) => [
          [
            'a requirement naming an unknown content type',
            {
              field: Number(ids.metadataField),
              content_type: 5,
              is_required_for: [{ content_type: 999999999, object_id: Number(ids.org) }],
            },
          ],
        ],
      },
    },
  },
  {
    path: '/api/v1/organisations/:organisation_pk/metadata-model-fields/supported-content-types',
    url: `${OU}/metadata-model-fields/supported-content-types/`,
  },
  {
    path: '/api/v1/organisations/:organisation_pk/metadata-model-fields/supported-required-for-models',
    url: `${OU}/metadata-model-fields/supported-required-for-models/?model_name=feature`,
  },
  {
    path: '/api/v1/organisations/:organisation_pk/metadata-model-fields/:id',
    url: `${OU}/metadata-model-fields/{metadataModelField}/`,
    write: {
      PUT: {
        body: (ids) => ({ field: Number(ids.metadataField), content_type: 3 }),
        fields: MODEL_FIELD_FIELDS,
        required: ['field', 'content_type'],
        unknownIds: () => [['field', { field: 999999999, content_type: 3 }]],
      },
      PATCH: {
        body: () => ({ content_type: 3 }),
        fields: MODEL_FIELD_FIELDS,
        extraCases: () => [['a requirement without object_id', { is_required_for: [{ content_type: 1 }] }]],
      },
      DELETE: NO_INPUT,
    },
  },

  // ---------------------------------------------------------------- feature import and export reads
  {
    path: '/api/v1/features/download-feature-export/:id',
    url: '/api/v1/features/download-feature-export/{featureExport}/',
  },
  { path: `${P}/feature-exports`, url: `${PU}/feature-exports/` },
  { path: `${P}/feature-imports`, url: `${PU}/feature-imports/` },
  {
    path: '/api/v1/features/feature-segments/get-by-uuid/:uuid',
    url: '/api/v1/features/feature-segments/get-by-uuid/{featureSegmentUuid}/',
  },

  // ---------------------------------------------------------------- get-by-uuid lookups (Terraform's provider)
  { path: '/api/v1/organisations/get-by-uuid/:uuid', url: '/api/v1/organisations/get-by-uuid/{orgUuid}/' },
  { path: '/api/v1/projects/get-by-uuid/:uuid', url: '/api/v1/projects/get-by-uuid/{projectUuid}/' },
  { path: `${P}/tags/get-by-uuid/:uuid`, url: `${PU}/tags/get-by-uuid/{tagUuid}/` },
  { path: '/api/v1/environments/get-by-uuid/:uuid', url: '/api/v1/environments/get-by-uuid/{envUuid}/' },
  { path: '/api/v1/features/get-by-uuid/:uuid', url: '/api/v1/features/get-by-uuid/{featureUuid}/' },
  {
    path: '/api/v1/features/featurestates/get-by-uuid/:uuid',
    url: '/api/v1/features/featurestates/get-by-uuid/{featureStateUuid}/',
  },
  {
    path: '/api/v1/multivariate/options/get-by-uuid/:uuid',
    url: '/api/v1/multivariate/options/get-by-uuid/{mvOptionUuid}/',
  },
  { path: '/api/v1/segments/get-by-uuid/:uuid', url: '/api/v1/segments/get-by-uuid/{segmentUuid}/' },

  // ---------------------------------------------------------------- usage, metrics and feature health
  { path: `${O}/usage-data`, url: `${OU}/usage-data/` },
  { path: `${O}/usage-data/total-count`, url: `${OU}/usage-data/total-count/` },
  {
    path: `${P}/features/:id/evaluation-data`,
    url: `${PU}/features/{feature}/evaluation-data/?environment_id={envId}`,
  },
  { path: `${E}/metrics`, url: `${EU}/metrics/` },
  {
    path: '/api/v1/environments/:id/feature-lifecycle-counts',
    url: '/api/v1/environments/{envId}/feature-lifecycle-counts/',
  },
  {
    path: `${P}/feature-health/providers`,
    url: `${PU}/feature-health/providers/`,
    write: { POST: { body: () => ({ name: 'Webhook' }), fields: { name: 'choice' }, required: ['name'] } },
  },
  {
    path: `${P}/feature-health/providers/:name`,
    url: `${PU}/feature-health/providers/Webhook/`,
    write: { DELETE: NO_INPUT },
  },
  { path: `${P}/feature-health/events`, url: `${PU}/feature-health/events/` },
  {
    // The graph has no health event: any id (here the feature's) is unknown, so every case is refused.
    path: `${P}/feature-health/events/:id/dismiss`,
    url: `${PU}/feature-health/events/{feature}/dismiss/`,
    write: { POST: NO_INPUT },
  },
  {
    // The provider webhook (no credentials). The graph has no provider, so the token is unknown (404); text and
    // JSON refusals come first, from the body parser, as on every route. Accepted payloads:
    // test/feature-health.e2e-spec.ts.
    path: '/api/v1/feature-health/:token',
    url: '/api/v1/feature-health/{serverKey}/',
    write: {
      POST: {
        caller: 'anonymous',
        body: () => ({ feature: 'plain', status: 'unhealthy', environment: 'x' }),
        fields: { feature: 'string', status: 'choice', environment: 'string' },
      },
    },
  },

  // ---------------------------------------------------------------- no input, no state: last, so a broken one hurts least
  {
    path: '/api/v1/auth/logout',
    url: '/api/v1/auth/logout/',
    write: { POST: { noInput: true, caller: 'account' } },
  },
  {
    path: '/api/v1/auth/token',
    url: '/api/v1/auth/token/',
    write: { DELETE: { noInput: true, caller: 'account' } },
  },
];

/**
 * Routes that are outside these suites, with the reason. Anything the app registers that is in neither list fails
 * the route-coverage tests.
 */
export const NOT_MANAGEMENT: Record<string, string> = {
  '/api/v1/flags/:identifier': 'SDK read (environment key), not a management object',
  '/api/v1/flags/:feature_id/multivariate-options': 'SDK read (environment key)',
  '/api/v1/identities/:identifier': 'SDK read (environment key)',
  '/sse/environments/:key/stream': 'realtime stream, keyed by the public environment key',
  '/sse/environments/:key/queue-change':
    'realtime internal notification (own token), tested by the realtime suites',
  '/ofrep/v1/evaluate/flags': 'OFREP evaluation (POST but no write), tested by the OFREP suites',
  '/ofrep/v1/evaluate/flags/:key': 'OFREP evaluation (POST but no write), tested by the OFREP suites',
};

export const routeSpec = (path: string) => ROUTES.find((r) => r.path === path);
