import { Type } from '@sinclair/typebox';
import { MESSAGES } from '../common/drf-values';
import { PageQuery, S, type Static } from '../http/schema';

/**
 * Request and response schemas of /api/v1/environments/{key}/identities/… , trait-keys/ and delete-traits/
 * (docs/contracts/admin-api.md §9): the types, validation and OpenAPI.
 */

// ---- identities

/** POST and PUT (PATCH: partial). */
export const IdentityInput = S.object({ identifier: S.string({ maxLength: 2000 }) });
export type IdentityInput = Static<typeof IdentityInput>;

/** `?q=`: a substring, or an exact identifier in double quotes (hence 2000 + 2 characters). */
export const IdentityListQuery = S.object({
  ...PageQuery.properties,
  q: S.optional(
    S.check(
      S.string({ trim: false, allowBlank: true, description: 'Substring, or "exact" in double quotes' }),
      (q) => (q.length > 2002 ? MESSAGES.maxLength(2000) : undefined),
    ),
  ),
});
export type IdentityListQueryInput = Static<typeof IdentityListQuery>;

export const IdentityJson = S.response(
  { id: S.integer(), identifier: S.string({ allowBlank: true }), environment: S.integer() },
  { title: 'Identity' },
);
export type IdentityJson = Static<typeof IdentityJson>;

export const IdentityPage = S.page(IdentityJson);

// ---- traits

export const TRAIT_VALUE_TYPES = ['int', 'unicode', 'bool', 'float'] as const;

/** Flagsmith's TraitSerializer: every given column is stored; `value_type` says which one counts. */
export const TraitInput = S.object({
  trait_key: S.string({ maxLength: 200 }),
  value_type: S.optional(S.choice(TRAIT_VALUE_TYPES, { description: 'Default unicode' })),
  string_value: S.optional(S.nullable(S.string({ maxLength: 2000, allowBlank: true, trim: false }))),
  integer_value: S.optional(
    S.nullable(S.integer({ minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER })),
  ),
  boolean_value: S.optional(S.nullable(S.boolean())),
  float_value: S.optional(S.nullable(S.number())),
});
export type TraitInput = Static<typeof TraitInput>;

/** DELETE …/traits/{id}/?deleteAllMatchingTraits=true: the key goes from every identity of the environment. */
export const TraitDeleteQuery = S.object({
  deleteAllMatchingTraits: S.optional(
    S.unchecked(S.string({ description: '"true" (or "True"): delete the key from every identity' })),
  ),
});
export type TraitDeleteQueryInput = Static<typeof TraitDeleteQuery>;

export const TraitJson = S.response(
  {
    id: S.integer(),
    trait_key: S.string({ allowBlank: true }),
    value_type: S.choice(TRAIT_VALUE_TYPES),
    integer_value: S.nullable(S.integer()),
    string_value: S.nullable(S.string({ allowBlank: true })),
    boolean_value: S.nullable(S.boolean()),
    float_value: S.nullable(S.number()),
    created_date: S.dateTime(),
  },
  { title: 'Trait' },
);
export type TraitJson = Static<typeof TraitJson>;

export const TraitPage = S.page(TraitJson);

export const TraitKeysJson = S.response({ keys: S.list(S.string({ allowBlank: true })) });
export type TraitKeysJson = Static<typeof TraitKeysJson>;

/** POST …/delete-traits/: the key goes from every identity of the environment. */
export const DeleteTraitKey = S.object({ key: S.string({ maxLength: 200 }) });
export type DeleteTraitKeyInput = Static<typeof DeleteTraitKey>;

// ---- identity overrides

const RAW_VALUE_DOC =
  'Typed by its JSON type: string ⇒ unicode, integer ⇒ int, boolean ⇒ bool, others as text';

/**
 * POST (PUT and PATCH: partial, as in Flagsmith). `feature` is the service's rule (its messages depend on what
 * was sent); the value and multivariate list are read by the feature-state value logic, with its own messages.
 */
export const IdentityOverrideInput = S.object({
  // Required on create, but its absence is answered {"detail": "Feature not provided"} by the service.
  feature: S.optional(
    S.unchecked(S.integer({ description: 'The feature (required on create, then fixed)' })),
  ),
  // Read by the service with the value, so that their errors are answered together (as Flagsmith does).
  enabled: S.optional(S.unchecked(S.boolean())),
  feature_state_value: S.optional(S.unchecked(Type.Unsafe({ description: RAW_VALUE_DOC }))),
  multivariate_feature_state_values: S.optional(
    S.unchecked(
      S.list(
        S.object({
          multivariate_feature_option: S.id(),
          percentage_allocation: S.number({ minimum: 0, maximum: 100 }),
        }),
      ),
    ),
  ),
});
export type IdentityOverrideInput = Static<typeof IdentityOverrideInput>;

export const OverrideListQuery = S.object({ ...PageQuery.properties, feature: S.optional(S.id()) });
export type OverrideListQueryInput = Static<typeof OverrideListQuery>;

export const CloneOverrides = S.object({ source_identity_id: S.integer({ minimum: 1 }) });
export type CloneOverridesInput = Static<typeof CloneOverrides>;

/** A raw feature value as answered: a string, an integer, a boolean or null. */
const RawValue = Type.Union([S.nullable(S.string({ allowBlank: true })), S.integer(), S.boolean()], {
  description: RAW_VALUE_DOC,
});

/** One row of …/featurestates/all/ (Flagsmith's IdentityAllFeatureStatesSerializer). */
export const IdentityFlagJson = S.response({
  feature: S.response({ id: S.integer(), name: S.string(), type: S.choice(['STANDARD', 'MULTIVARIATE']) }),
  enabled: S.boolean(),
  feature_state_value: RawValue,
  // OpenAPI 3.0: a nullable enum lists null among its values (S.nullable does not add it).
  overridden_by: Type.Unsafe<'IDENTITY' | 'SEGMENT' | null>({
    type: 'string',
    enum: ['IDENTITY', 'SEGMENT', null],
    nullable: true,
  }),
  segment: S.nullable(S.response({ id: S.integer(), name: S.string() })),
  multivariate_feature_state_values: S.list(
    S.response({
      multivariate_feature_option: S.response({ value: RawValue }),
      percentage_allocation: S.number(),
    }),
  ),
});
export type IdentityFlagJson = Static<typeof IdentityFlagJson>;
