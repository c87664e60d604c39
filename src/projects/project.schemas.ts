import { compileRegex } from '../../libs/engine/src';
import { S, type Static } from '../http/schema';

/** Request and response schemas of /api/v1/projects/ (docs/contracts/admin-api.md §4): the types, validation and OpenAPI. */

/** Settings every write may send (all optional). */
const SETTINGS = {
  hide_disabled_flags: S.optional(S.boolean()),
  prevent_flag_defaults: S.optional(S.boolean()),
  enable_realtime_updates: S.optional(S.boolean()),
  only_allow_lower_case_feature_names: S.optional(S.boolean()),
  // RE2 syntax, as feature names are checked with it (FeaturesService.checkName).
  feature_name_regex: S.optional(
    S.nullable(
      S.check(S.string({ maxLength: 255 }), (v) =>
        compileRegex(v) === null ? 'Invalid regex pattern' : undefined,
      ),
    ),
  ),
  stale_flags_limit_days: S.optional(S.integer({ minimum: 1 })),
  minimum_change_request_approvals: S.optional(S.nullable(S.integer({ minimum: 0 }))),
  enforce_feature_owners: S.optional(S.boolean()),
  show_edge_identity_overrides_for_feature: S.optional(S.boolean()),
};

export const CreateProject = S.object({
  name: S.string({ maxLength: 2000 }),
  organisation: S.integer({ minimum: 1 }),
  ...SETTINGS,
});
export type CreateProjectInput = Static<typeof CreateProject>;

/** PUT (PATCH: partial). `organisation` may be sent but must be the project's own (checked by the service). */
export const UpdateProject = S.object({
  name: S.string({ maxLength: 2000 }),
  organisation: S.optional(S.unchecked(S.integer({ description: "The project's own organisation" }))),
  ...SETTINGS,
});
export type UpdateProjectInput = Static<typeof UpdateProject>;
export type ProjectSettings = Omit<UpdateProjectInput, 'name' | 'organisation'>;

export const ProjectListQuery = S.object({ organisation: S.optional(S.id()) });
export type ProjectListQueryInput = Static<typeof ProjectListQuery>;

export const ProjectJson = S.response(
  {
    id: S.integer(),
    uuid: S.string(),
    name: S.string(),
    organisation: S.integer(),
    created_date: S.dateTime(),
    hide_disabled_flags: S.boolean(),
    prevent_flag_defaults: S.boolean(),
    enable_realtime_updates: S.boolean(),
    only_allow_lower_case_feature_names: S.boolean(),
    feature_name_regex: S.nullable(S.string()),
    stale_flags_limit_days: S.integer(),
    minimum_change_request_approvals: S.nullable(S.integer()),
    enforce_feature_owners: S.boolean(),
    enable_dynamo_db: S.literal(false),
    use_edge_identities: S.literal(false),
    migration_status: S.literal('NOT_APPLICABLE'),
    show_edge_identity_overrides_for_feature: S.boolean(),
    edge_v2_migration_status: S.literal('NOT_STARTED'),
    max_segments_allowed: S.integer(),
    max_features_allowed: S.integer(),
    max_segment_overrides_allowed: S.integer(),
  },
  { title: 'Project' },
);
export type ProjectJson = Static<typeof ProjectJson>;

/** GET /projects/{id}/ adds the counts (Flagsmith's ProjectRetrieveSerializer; lists do not). */
export const ProjectDetailJson = S.response(
  { ...ProjectJson.properties, total_features: S.integer(), total_segments: S.integer() },
  { title: 'ProjectDetail' },
);
export type ProjectDetailJson = Static<typeof ProjectDetailJson>;
