import { isPlainObject, MESSAGES } from '../common/validation';
import { PageQuery, S, type Static, validate } from '../http/schema';
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
