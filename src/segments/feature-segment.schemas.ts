import { isPlainObject, MESSAGES, toInteger } from '../common/drf-values';
import { MvStateValueJson, MvValuesIn, TypedValueJson, valueErrors } from '../features/feature-state.schemas';
import { type FieldErrors, PageQuery, S, type Static, validate } from '../http/schema';
import { requiredPk } from './segment.schemas';

/** Request and response schemas of /api/v1/features/feature-segments/ (docs/contracts/admin-api.md §8). */

export const FeatureSegmentListQuery = S.object({
  ...PageQuery.properties,
  environment: S.id(),
  feature: S.id(),
});
export type FeatureSegmentListQueryInput = Static<typeof FeatureSegmentListQuery>;

/** `environment` is read (and its permission checked) by the route's guard. */
export const CreateFeatureSegment = S.object({
  feature: requiredPk(),
  segment: requiredPk(),
  environment: S.unchecked(S.integer({ description: 'The environment id' })),
});
export type CreateFeatureSegmentInput = Static<typeof CreateFeatureSegment>;

const PriorityItem = S.object({ id: S.integer({ minimum: 1 }), priority: S.integer({ minimum: 0 }) });
export type PriorityInput = Static<typeof PriorityItem>;

/**
 * `[{id, priority}]`. DRF answers a list of per-item errors; this server has always answered the first bad
 * item's errors (an object), which is kept.
 */
export const PriorityList = S.reader<PriorityInput[]>(S.list(PriorityItem), (raw) => {
  if (!Array.isArray(raw)) return { error: { non_field_errors: [MESSAGES.list(raw)] } };
  const pairs: PriorityInput[] = [];
  for (const item of raw) {
    if (!isPlainObject(item)) return { error: { non_field_errors: [MESSAGES.object(item)] } };
    const result = validate(PriorityItem, item);
    if (!result.ok) return { error: result.errors };
    pairs.push(result.value);
  }
  return { value: pairs };
});

export const FeatureSegmentJson = S.response(
  {
    id: S.integer(),
    uuid: S.string(),
    feature: S.integer(),
    segment: S.integer(),
    environment: S.integer(),
    priority: S.integer(),
  },
  { title: 'FeatureSegment' },
);
export type FeatureSegmentJson = Static<typeof FeatureSegmentJson>;

export const FeatureSegmentListJson = S.response({
  ...FeatureSegmentJson.properties,
  segment_name: S.string(),
  is_feature_specific: S.boolean(),
});
export type FeatureSegmentListJson = Static<typeof FeatureSegmentListJson>;
export const FeatureSegmentPage = S.page(FeatureSegmentListJson);

// --- POST /environments/{api_key}/features/{feature_pk}/create-segment-override/ ------------------------------

const SlotPriority = S.object({ priority: S.optional(S.nullable(S.integer({ minimum: 0 }))) });

/** The slot of a new override: the segment (looked up by the service) and an optional priority (null: last). */
export interface OverrideSlotInput {
  /** The segment's pk as sent (its "does not exist" message quotes it). */
  readonly segment: number | string;
  readonly priority?: number;
}

/**
 * Flagsmith's CreateSegmentOverrideFeatureSegmentSerializer as this server has always read it: null reads as
 * absent, a non-object answers nested, `segment` and `priority` answer together under `feature_segment`.
 */
function readOverrideSlot(raw: unknown): { value: OverrideSlotInput } | { error: string[] | FieldErrors } {
  if (raw === null) return { error: [MESSAGES.required] };
  if (!isPlainObject(raw)) return { error: { non_field_errors: [MESSAGES.object(raw)] } };
  const errors: FieldErrors = {};
  const segment = raw.segment;
  if (segment === undefined || segment === null) errors.segment = [MESSAGES.required];
  else if (toInteger(segment) === undefined)
    errors.segment = [`Incorrect type. Expected pk value, received ${typeof segment}.`];
  const priority = validate(SlotPriority, raw);
  if (!priority.ok) Object.assign(errors, priority.errors);
  if (Object.keys(errors).length || !priority.ok) return { error: errors };
  return {
    value: {
      segment: segment as number | string,
      ...(priority.value.priority != null ? { priority: priority.value.priority } : {}),
    },
  };
}

/**
 * The body of create-segment-override (Flagsmith's CreateSegmentOverrideFeatureStateSerializer): the typed value
 * (required, not null), the slot, and optionally `enabled` and the multivariate values. The value fields keep the
 * feature-state routes' messages and placement (valueErrors).
 */
export const CreateSegmentOverride = S.checkBody(
  S.object({
    enabled: S.optional(S.boolean()),
    feature_state_value: S.unchecked(S.partial(S.object(TypedValueJson.properties))),
    feature_segment: S.reader<OverrideSlotInput>(
      S.object({ segment: S.integer(), priority: SlotPriority.properties.priority }),
      readOverrideSlot,
    ),
    multivariate_feature_state_values: S.optional(S.unchecked(MvValuesIn)),
  }),
  (body) =>
    body.feature_state_value === null
      ? { ...valueErrors('typed')(body), feature_state_value: [MESSAGES.null] }
      : valueErrors('typed')(body),
);
export type CreateSegmentOverrideInput = Static<typeof CreateSegmentOverride>;

/** The override state created (the typed value form, with its slot nested). */
export const SegmentOverrideStateJson = S.response(
  {
    id: S.integer(),
    uuid: S.string(),
    feature: S.integer(),
    enabled: S.boolean(),
    feature_state_value: TypedValueJson,
    feature_segment: S.response({
      id: S.integer(),
      uuid: S.string(),
      segment: S.integer(),
      priority: S.integer(),
    }),
    deleted_at: S.nullable(S.dateTime()),
    created_at: S.dateTime(),
    updated_at: S.dateTime(),
    live_from: S.nullable(S.dateTime()),
    environment: S.integer(),
    identity: S.nullable(S.integer()),
    change_request: S.nullable(S.integer()),
    multivariate_feature_state_values: S.list(MvStateValueJson),
  },
  { title: 'SegmentOverrideState' },
);
export type SegmentOverrideStateJson = Static<typeof SegmentOverrideStateJson>;
