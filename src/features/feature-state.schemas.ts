import { Type } from '@sinclair/typebox';
import { type FieldErrors } from '../common/domain-errors';
import { toInteger } from '../common/drf-values';
import { S, type Static } from '../http/schema';
import { readStateValues, type ValueForm } from './feature-values';

/**
 * Request and response schemas of the feature-state routes (docs/contracts/admin-api.md §7):
 * /environments/{api_key}/featurestates/ (raw values) and /features/featurestates/ (the typed value form).
 * The value fields keep Flagsmith's own messages and error placement (raw-value errors at the top level, MV sums as
 * non_field_errors), so they are documented here and read by readStateValues in a body-level check.
 */

/** A bare JSON value, typed by its JSON type (others are stored as their text). */
const RawValueIn = Type.Unsafe<unknown>({
  description:
    'Typed by its JSON type: string ⇒ unicode, integer ⇒ int, boolean ⇒ bool, others stored as text',
});
const RawValueOut = Type.Unsafe<string | number | boolean | null>({
  anyOf: [S.nullable(S.string({ allowBlank: true, trim: false })), S.integer(), S.boolean()],
});

export const TypedValueJson = S.response({
  type: S.choice(['unicode', 'int', 'bool'] as const),
  string_value: S.nullable(S.string({ allowBlank: true, trim: false })),
  integer_value: S.nullable(S.integer()),
  boolean_value: S.nullable(S.boolean()),
});
const TypedValueIn = S.nullable(S.partial(S.object(TypedValueJson.properties)));

const MvValueIn = S.object({
  multivariate_feature_option: S.id(),
  percentage_allocation: Type.Number({ minimum: 0, maximum: 100 }),
});
/** The complete list: options not listed lose their value (null: leave them as they are). */
export const MvValuesIn = S.nullable(S.list(MvValueIn));

export const MvStateValueJson = S.response({
  id: S.integer(),
  multivariate_feature_option: S.integer(),
  percentage_allocation: Type.Number(),
});

/** Types of a parent id that may be sent but not changed (the service compares it with the state's). */
function parentErrors(body: { feature?: unknown; environment?: unknown }): FieldErrors {
  const errors: FieldErrors = {};
  for (const field of ['feature', 'environment'] as const) {
    const raw = body[field];
    if (raw === undefined) continue;
    if (raw === null)
      errors[field] = [
        field === 'environment' ? 'Environment may not be null.' : 'This field may not be null.',
      ];
    else if (toInteger(raw) === undefined)
      errors[field] = [`Incorrect type. Expected pk value, received ${typeof raw}.`];
  }
  return errors;
}

/** The value fields' errors (readStateValues), for a body-level check. */
export const valueErrors =
  (form: ValueForm) =>
  (body: { feature_state_value?: unknown; multivariate_feature_state_values?: unknown }) =>
    readStateValues(body, form).errors;

/** PUT and PATCH of /environments/{api_key}/featurestates/{id}/ (both partial, as Flagsmith treats PUT here). */
export const UpdateEnvironmentState = S.checkBody(
  S.object({
    feature: S.optional(S.unchecked(S.id({ description: "The state's own feature" }))),
    environment: S.optional(S.unchecked(S.id({ description: "The state's own environment" }))),
    enabled: S.optional(S.boolean()),
    feature_state_value: S.optional(S.unchecked(RawValueIn)),
    multivariate_feature_state_values: S.optional(S.unchecked(MvValuesIn)),
  }),
  (body) => ({ ...parentErrors(body), ...valueErrors('raw')(body) }),
);
export type UpdateEnvironmentStateInput = Static<typeof UpdateEnvironmentState>;

/** PUT (PATCH: partial) of /features/featurestates/{id}/: `feature` and `environment` required by PUT. */
export const UpdateFeatureState = S.checkBody(
  S.object({
    feature: S.unchecked(S.id({ description: "The state's own feature" })),
    environment: S.unchecked(S.id({ description: "The state's own environment" })),
    enabled: S.optional(S.boolean()),
    feature_state_value: S.optional(S.unchecked(TypedValueIn)),
    multivariate_feature_state_values: S.optional(S.unchecked(MvValuesIn)),
  }),
  (body) => ({ ...parentErrors(body), ...valueErrors('typed')(body) }),
);
export type UpdateFeatureStateInput = Static<typeof UpdateFeatureState>;

/** Flagsmith's FeatureStateSerializerBasic.identifier: write-only, never in a response. */
const IDENTIFIER = S.optional(
  S.string({ maxLength: 2000, description: "An identity's identifier, as an alternative to `identity`" }),
);

/** POST /features/featurestates/: an environment default, a segment override or an identity override. */
export const CreateFeatureState = S.checkBody(
  S.object({
    feature: S.integer({ minimum: 1 }),
    environment: S.integer({ minimum: 1 }),
    feature_segment: S.optional(S.nullable(S.integer({ minimum: 1 }))),
    identity: S.optional(S.nullable(S.integer({ minimum: 1 }))),
    identifier: IDENTIFIER,
    enabled: S.optional(S.boolean()),
    feature_state_value: S.optional(S.unchecked(TypedValueIn)),
    multivariate_feature_state_values: S.optional(S.unchecked(MvValuesIn)),
  }),
  valueErrors('typed'),
);
export type CreateFeatureStateInput = Static<typeof CreateFeatureState>;

/**
 * POST /environments/{api_key}/featurestates/ (raw values): `environment` is the path's (a sent one is ignored, as
 * Flagsmith overwrites it); a missing `feature` is refused by the permission check (403), as Flagsmith's.
 */
export const CreateEnvironmentState = S.checkBody(
  S.object({
    feature: S.optional(S.id({ description: 'Required: a feature of the project (else 403)' })),
    feature_segment: S.optional(S.nullable(S.integer({ minimum: 1 }))),
    identity: S.optional(S.nullable(S.integer({ minimum: 1 }))),
    identifier: IDENTIFIER,
    enabled: S.optional(S.boolean()),
    feature_state_value: S.optional(S.unchecked(RawValueIn)),
    multivariate_feature_state_values: S.optional(S.unchecked(MvValuesIn)),
  }),
  valueErrors('raw'),
);
export type CreateEnvironmentStateInput = Static<typeof CreateEnvironmentState>;

/** `?feature=&feature_name=&anyIdentity` (anyIdentity: present or not; the controller reads its presence). */
export const EnvironmentStatesQuery = S.object({
  feature: S.optional(S.unchecked(S.integer())),
  feature_name: S.optional(S.string({ trim: false })),
  anyIdentity: S.optional(S.unchecked(S.string({ description: 'Present: identity overrides instead' }))),
  page: S.optional(S.unchecked(S.integer({ minimum: 1 }))),
  page_size: S.optional(S.unchecked(S.integer({ minimum: 1, description: 'Default 10, at most 999' }))),
});
export type EnvironmentStatesQueryInput = Static<typeof EnvironmentStatesQuery>;

/** `?environment=` (required) with optional `feature`, `feature_segment` and `identity` filters. */
export const FeatureStatesQuery = S.object({
  environment: S.optional(S.unchecked(S.integer({ description: 'Required: the environment id' }))),
  feature: S.optional(S.unchecked(S.integer())),
  feature_segment: S.optional(S.unchecked(S.integer())),
  identity: S.optional(S.unchecked(S.integer())),
  page: S.optional(S.unchecked(S.integer({ minimum: 1 }))),
  page_size: S.optional(S.unchecked(S.integer({ minimum: 1, description: 'Default 10, at most 999' }))),
});
export type FeatureStatesQueryInput = Static<typeof FeatureStatesQuery>;

const STATE_FIELDS = {
  id: S.integer(),
  uuid: S.string(),
  feature: S.integer(),
  enabled: S.boolean(),
  environment: S.integer(),
  feature_segment: S.nullable(S.integer()),
  multivariate_feature_state_values: S.list(MvStateValueJson),
  live_from: S.nullable(S.dateTime()),
  version: S.nullable(S.integer()),
  created_at: S.dateTime(),
  updated_at: S.dateTime(),
  change_request: S.nullable(S.integer()),
  environment_feature_version: S.nullable(S.string()),
  deleted_at: S.nullable(S.dateTime()),
};

/** A state with its raw value; `identity` is `{id, identifier}` in the identity-override list. */
export const FeatureStateJson = S.response(
  {
    ...STATE_FIELDS,
    feature_state_value: RawValueOut,
    identity: Type.Unsafe<number | { id: number; identifier: string } | null>({
      anyOf: [S.nullable(S.integer()), S.response({ id: S.integer(), identifier: S.string() })],
    }),
  },
  { title: 'FeatureState' },
);
export type FeatureStateJson = Static<typeof FeatureStateJson>;

/** A state with the typed value form (/features/featurestates/). */
export const TypedFeatureStateJson = S.response(
  { ...STATE_FIELDS, feature_state_value: TypedValueJson, identity: S.nullable(S.integer()) },
  { title: 'TypedFeatureState' },
);
export type TypedFeatureStateJson = Static<typeof TypedFeatureStateJson>;

export const FeatureStatePage = S.page(FeatureStateJson);
export const TypedFeatureStatePage = S.page(TypedFeatureStateJson);
