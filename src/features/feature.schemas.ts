import { Type } from '@sinclair/typebox';
import { PageQuery, S, type Static } from '../http/schema';
import { MetadataValueJson, MetadataValueList } from '../entity-metadata/entity-metadata';
import { FEATURE_VALUE_LIMIT } from './feature-values';

/**
 * Request and response schemas of /api/v1/projects/{project_pk}/features/ and …/features/{feature_pk}/mv-options/
 * (docs/contracts/admin-api.md §6): the types, validation and OpenAPI.
 */

export const INVALID_ALLOCATION = 'Invalid percentage allocation';
const SLUG = /^[-a-zA-Z0-9_]+$/;

/** Any JSON value (documented by its description only). */
const anyJson = <T>(description: string) => Type.Unsafe<T>({ description });

/** `initial_value` as stored: text; a boolean is Python's `True`/`False`, a number or other JSON its text. */
export function featureValueText(raw: unknown): string | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'boolean') return raw ? 'True' : 'False';
  if (typeof raw === 'number') return String(raw);
  return JSON.stringify(raw);
}

const INITIAL_VALUE = S.check(
  Type.Unsafe<unknown>({
    nullable: true,
    description: 'Text (a boolean or number is stored as its text), at most 20000 characters',
  }),
  (raw) =>
    (featureValueText(raw) ?? '').length > FEATURE_VALUE_LIMIT
      ? `Ensure this field has no more than ${FEATURE_VALUE_LIMIT} characters.`
      : undefined,
);

// ---- multivariate options

/** The value fields of an option, on its own endpoint and inside a feature's `multivariate_options`. */
const OPTION_FIELDS = {
  type: S.optional(S.nullable(S.choice(['unicode', 'int', 'bool'], { description: 'null: unicode' }))),
  string_value: S.optional(
    S.nullable(S.string({ allowBlank: true, trim: false, maxLength: FEATURE_VALUE_LIMIT })),
  ),
  integer_value: S.optional(S.nullable(S.integer())),
  boolean_value: S.optional(S.nullable(S.boolean())),
  default_percentage_allocation: S.optional(
    Type.Number({ minimum: 0, maximum: 100, description: 'Default 100' }),
  ),
};

const OPTION_KEY = S.optional(
  S.nullable(
    S.check(S.string({ maxLength: 255 }), (key) =>
      key === 'control'
        ? '"control" is a reserved variant key.'
        : SLUG.test(key)
          ? undefined
          : 'Enter a valid “slug” consisting of letters, numbers, underscores or hyphens.',
    ),
  ),
);

/** `feature` may be sent, but must be the feature of the URL (checked by the service). */
const OPTION_FEATURE = S.unchecked(S.integer({ description: 'The feature of the URL' }));

/** POST …/mv-options/. */
export const CreateMvOption = S.object({
  feature: S.optional(OPTION_FEATURE),
  ...OPTION_FIELDS,
  key: OPTION_KEY,
});
export type CreateMvOptionInput = Static<typeof CreateMvOption>;

/** PUT …/mv-options/{id}/ (PATCH: partial). */
export const UpdateMvOption = S.object({ feature: OPTION_FEATURE, ...OPTION_FIELDS, key: OPTION_KEY });
export type UpdateMvOptionInput = Static<typeof UpdateMvOption>;

/** An item of a feature's `multivariate_options` (with `id`: that option; without: a new one). */
const NestedOption = S.nullable(S.object({ id: S.optional(S.nullable(S.id())), ...OPTION_FIELDS }));
export type NestedOptionInput = NonNullable<Static<typeof NestedOption>>;

const NESTED_OPTIONS = S.check(S.list(NestedOption), (items) =>
  items.reduce((sum, o) => sum + (o?.default_percentage_allocation ?? 100), 0) > 100 + 1e-9
    ? INVALID_ALLOCATION
    : undefined,
);

// ---- features

/** Fields a feature update may change (PUT and PATCH alike: Flagsmith keeps the others read-only). */
const FEATURE_SETTINGS = {
  type: S.optional(S.choice(['STANDARD', 'MULTIVARIATE'])),
  description: S.optional(S.nullable(S.string({ allowBlank: true, trim: false }))),
  tags: S.optional(S.pkList({ description: 'Tag ids of the project' })),
  is_server_key_only: S.optional(S.boolean()),
  is_archived: S.optional(S.boolean()),
  multivariate_options: S.optional(NESTED_OPTIONS),
  metadata: S.optional(MetadataValueList),
};

export const CreateFeature = S.object({
  name: S.string({ maxLength: 2000 }),
  default_enabled: S.optional(S.boolean()),
  initial_value: S.optional(INITIAL_VALUE),
  owners: S.optional(S.pkList({ description: 'User ids (default: the creating user)' })),
  group_owners: S.optional(S.pkList({ description: 'Group ids' })),
  ...FEATURE_SETTINGS,
});
export type CreateFeatureInput = Static<typeof CreateFeature>;

/** PUT and PATCH (both partial, as Flagsmith's feature update). */
export const UpdateFeature = S.object(FEATURE_SETTINGS);
export type UpdateFeatureInput = Partial<Static<typeof UpdateFeature>>;

export const FeatureOwners = S.object({ user_ids: S.pkList() });
export type FeatureOwnersInput = Static<typeof FeatureOwners>;
export const FeatureGroupOwners = S.object({ group_ids: S.pkList() });
export type FeatureGroupOwnersInput = Static<typeof FeatureGroupOwners>;

/** Comma-separated int32 ids, or undefined when one is not an integer. */
export function idList(text: string): number[] | undefined {
  const ids: number[] = [];
  for (const part of text.split(',')) {
    const t = part.trim();
    if (!/^-?\d{1,15}$/.test(t) || Math.abs(Number(t)) > 2147483647) return undefined;
    ids.push(Number(t));
  }
  return ids;
}

const ID_LIST = (message: string, allowBlank = false) =>
  S.optional(
    S.check(S.string({ trim: false, allowBlank, description: 'Comma-separated ids' }), (text) =>
      (allowBlank && text.trim() === '') || idList(text) ? undefined : message,
    ),
  );

/** Flagsmith's LifecycleStage. Without code references or stale tags here, a feature is `new` or `permanent`. */
export const LIFECYCLE_STAGES = [
  'new',
  'live',
  'stale',
  'permanent',
  'needs_monitoring',
  'to_remove',
] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

export const FeatureListQuery = S.object({
  ...PageQuery.properties,
  environment: S.optional(S.id({ description: 'Adds environment_feature_state and override counts' })),
  search: S.optional(S.string({ trim: false, description: 'Part of the name, any case' })),
  // "?tags=" (blank) selects the features without tags.
  tags: ID_LIST('Tag IDs must be integers.', true),
  tag_strategy: S.optional(S.choice(['INTERSECTION', 'UNION'], { description: 'Default INTERSECTION' })),
  is_archived: S.optional(S.boolean()),
  type: S.optional(S.choice(['STANDARD', 'MULTIVARIATE'])),
  owners: ID_LIST('Owner IDs must be integers.'),
  group_owners: ID_LIST('Group owner IDs must be integers.'),
  lifecycle_stage: S.optional(
    S.choice(LIFECYCLE_STAGES, { description: 'Needs `environment` (ignored without)' }),
  ),
  sort_field: S.optional(S.choice(['created_date', 'name'], { description: 'Default created_date' })),
  sort_direction: S.optional(S.choice(['ASC', 'DESC'], { description: 'Default ASC' })),
});
export type FeatureListQueryInput = Static<typeof FeatureListQuery>;

// ---- responses

/** `owners` items (Flagsmith's UserListSerializer default fields). */
export const OwnerJson = S.response({
  id: S.integer(),
  email: S.string(),
  first_name: S.string({ allowBlank: true }),
  last_name: S.string({ allowBlank: true }),
  last_login: S.nullable(S.dateTime()),
  uuid: S.string(),
});
export type OwnerJson = Static<typeof OwnerJson>;

/** `group_owners` items (UserPermissionGroupSummarySerializer). */
export const GroupOwnerJson = S.response({ id: S.integer(), name: S.string({ allowBlank: true }) });
export type GroupOwnerJson = Static<typeof GroupOwnerJson>;

const OPTION_JSON = {
  id: S.integer(),
  uuid: S.string(),
  type: S.choice(['unicode', 'int', 'bool']),
  integer_value: S.nullable(S.integer()),
  string_value: S.nullable(S.string({ allowBlank: true })),
  boolean_value: S.nullable(S.boolean()),
  default_percentage_allocation: Type.Number(),
  key: S.nullable(S.string()),
};

export const MvOptionJson = S.response(
  { ...OPTION_JSON, feature: S.integer() },
  { title: 'MultivariateOption' },
);
export type MvOptionJson = Static<typeof MvOptionJson>;
export const MvOptionPage = S.page(MvOptionJson);

const NestedOptionJson = S.response(OPTION_JSON);

/** FeatureStateSerializerSmall. */
const SmallStateJson = S.response({
  id: S.integer(),
  feature_state_value: anyJson<string | number | boolean | null>('string, integer, boolean or null'),
  environment: S.integer(),
  identity: S.nullable(S.integer()),
  feature_segment: S.nullable(S.integer()),
  enabled: S.boolean(),
});

/** CreateFeatureSerializer's fields (get-by-uuid answers these); FeatureJson adds metadata and lifecycle. */
const CREATE_FEATURE_FIELDS = {
  id: S.integer(),
  uuid: S.string(),
  name: S.string(),
  type: S.choice(['STANDARD', 'MULTIVARIATE']),
  default_enabled: S.boolean(),
  initial_value: S.nullable(S.string({ allowBlank: true })),
  created_date: S.dateTime(),
  description: S.nullable(S.string({ allowBlank: true })),
  tags: S.list(S.integer()),
  multivariate_options: S.list(NestedOptionJson),
  is_archived: S.boolean(),
  owners: S.list(OwnerJson),
  group_owners: S.list(GroupOwnerJson),
  project: S.integer(),
  is_server_key_only: S.boolean(),
  environment_feature_state: S.nullable(SmallStateJson),
  segment_feature_state: anyJson<null>('Always null here'),
  num_segment_overrides: S.integer(),
  num_identity_overrides: S.nullable(S.integer()),
  is_num_identity_overrides_complete: S.boolean(),
  last_modified_in_any_environment: anyJson<null>('Always null here'),
  last_modified_in_current_environment: anyJson<null>('Always null here'),
};

export const FeatureJson = S.response(
  {
    ...CREATE_FEATURE_FIELDS,
    metadata: S.list(MetadataValueJson),
    code_references_counts: S.list(anyJson<unknown>('Code references (none here)')),
    lifecycle_stage: S.optional(
      S.choice(LIFECYCLE_STAGES, { description: 'In a list with `environment` only' }),
    ),
  },
  { title: 'Feature' },
);
export type FeatureJson = Static<typeof FeatureJson>;
/** CreateFeatureSerializer: a feature without its custom field values, code references and lifecycle stage. */
export const PlainFeatureJson = S.response(CREATE_FEATURE_FIELDS, { title: 'PlainFeature' });
export type PlainFeatureJson = Static<typeof PlainFeatureJson>;
export const FeaturePage = S.page(FeatureJson);

/** ProjectFeatureSerializer: the answer of add-owners / remove-owners / add-group-owners / remove-group-owners. */
export const ProjectFeatureJson = S.response({
  id: S.integer(),
  name: S.string(),
  created_date: S.dateTime(),
  description: S.nullable(S.string({ allowBlank: true })),
  initial_value: S.nullable(S.string({ allowBlank: true })),
  default_enabled: S.boolean(),
  type: S.choice(['STANDARD', 'MULTIVARIATE']),
  owners: S.list(OwnerJson),
  group_owners: S.list(GroupOwnerJson),
  is_server_key_only: S.boolean(),
});
export type ProjectFeatureJson = Static<typeof ProjectFeatureJson>;

/** The owner routes also refuse with DRF's list body (`["Some users not found"]`). */
export const OwnersRefusal = Type.Union([
  Type.Object({}, { description: 'Field errors: {"field": ["message", …]}' }),
  S.list(Type.String()),
]);
