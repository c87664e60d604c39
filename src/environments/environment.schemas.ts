import { PageQuery, S, type Static } from '../http/schema';
import { MetadataValueJson, MetadataValueList } from '../entity-metadata/entity-metadata';

/** Request and response schemas of /api/v1/environments/ (docs/contracts/admin-api.md §5). */

/** Settings every write may send (all optional). */
const SETTINGS = {
  description: S.optional(S.nullable(S.string({ allowBlank: true }))),
  allow_client_traits: S.optional(S.boolean()),
  banner_text: S.optional(S.nullable(S.string({ maxLength: 255, allowBlank: true }))),
  banner_colour: S.optional(S.nullable(S.string({ maxLength: 7, allowBlank: true }))),
  hide_disabled_flags: S.optional(S.nullable(S.boolean({ description: "null: the project's setting" }))),
  use_identity_composite_key_for_hashing: S.optional(S.boolean()),
  hide_sensitive_data: S.optional(S.boolean()),
  use_identity_overrides_in_local_eval: S.optional(S.boolean()),
  use_mv_v2_evaluation: S.optional(S.boolean()),
  minimum_change_request_approvals: S.optional(S.nullable(S.integer({ minimum: 0 }))),
  metadata: S.optional(MetadataValueList),
};

export const CreateEnvironment = S.object({
  name: S.string({ maxLength: 2000 }),
  project: S.integer({ minimum: 1 }),
  ...SETTINGS,
});
export type CreateEnvironmentInput = Static<typeof CreateEnvironment>;

/** PUT (PATCH: partial). `project` may be sent but must be the environment's own (checked by the service). */
export const UpdateEnvironment = S.object({
  name: S.string({ maxLength: 2000 }),
  project: S.optional(S.nullable(S.integer({ description: "The environment's own project" }))),
  ...SETTINGS,
});
export type UpdateEnvironmentInput = Static<typeof UpdateEnvironment>;
export type EnvironmentSettings = Omit<UpdateEnvironmentInput, 'name' | 'project' | 'metadata'>;

/**
 * `?project=` is required, but a missing or bad value answers Flagsmith's list body (the service checks it), not a
 * field error.
 */
export const EnvironmentListQuery = S.object({
  project: S.optional(S.unchecked(S.id({ description: 'Required: the project' }))),
  ...PageQuery.properties,
});
export type EnvironmentListQueryInput = Static<typeof EnvironmentListQuery>;

/** DRF's answer to a ValidationError raised with a plain message: a list of messages. */
export const MessageListJson = S.list(S.string());

export const CloneEnvironment = S.object({
  name: S.string({ maxLength: 2000 }),
  clone_feature_states_async: S.optional(
    S.boolean({ description: 'Accepted; the copy is always made at once' }),
  ),
});
export type CloneEnvironmentInput = Static<typeof CloneEnvironment>;

/** Also the `Environment` component (the audit log's `environment` refers to it). */
export const EnvironmentJson = S.component(
  'Environment',
  S.response(
    {
      id: S.integer(),
      uuid: S.string(),
      name: S.string(),
      api_key: S.string({ description: 'The client-side SDK key' }),
      description: S.nullable(S.string({ allowBlank: true })),
      project: S.integer(),
      minimum_change_request_approvals: S.nullable(S.integer()),
      allow_client_traits: S.boolean(),
      banner_text: S.nullable(S.string({ allowBlank: true })),
      banner_colour: S.nullable(S.string({ allowBlank: true })),
      hide_disabled_flags: S.nullable(S.boolean()),
      use_mv_v2_evaluation: S.boolean(),
      use_identity_composite_key_for_hashing: S.boolean(),
      hide_sensitive_data: S.boolean(),
      use_v2_feature_versioning: S.boolean(),
      use_identity_overrides_in_local_eval: S.boolean(),
      is_creating: S.boolean(),
      created_date: S.dateTime(),
      updated_at: S.dateTime(),
      metadata: S.list(MetadataValueJson),
    },
    { title: 'Environment' },
  ),
);
export type EnvironmentJson = Static<typeof EnvironmentJson>;

export const EnvironmentPage = S.page(EnvironmentJson);

export const ClonedEnvironmentJson = S.response({
  id: S.integer(),
  name: S.string(),
  api_key: S.string(),
  project: S.integer(),
});
export type ClonedEnvironmentJson = Static<typeof ClonedEnvironmentJson>;

// ---- server-side keys

/** POST and PUT (PATCH: partial). */
export const ServerKeyInput = S.object({
  name: S.string({ maxLength: 100 }),
  active: S.optional(S.boolean({ description: 'Default true' })),
  expires_at: S.optional(S.nullable(S.dateTime())),
});
export type ServerKeyInput = Static<typeof ServerKeyInput>;

export const ServerKeyJson = S.response(
  {
    id: S.integer(),
    key: S.string({ description: '"ser." + 22 characters' }),
    active: S.boolean(),
    created_at: S.dateTime(),
    name: S.string(),
    expires_at: S.nullable(S.dateTime()),
    has_expired: S.boolean(),
  },
  { title: 'ServerKey' },
);
export type ServerKeyJson = Static<typeof ServerKeyJson>;
