import { ValidationFailed } from '../common/domain-errors';
import { isPlainObject, MESSAGES, toInteger } from '../common/drf-values';
import { PageQuery, S, type Static, type TSchema, validate } from '../http/schema';
import { MetadataValueJson, MetadataValueList } from '../entity-metadata/entity-metadata';
import type { FieldErrors } from '../http/schema';
import { segmentConditionValueLimit } from './condition-value-limit';
import { SEGMENT_CONDITION_OPERATORS, SEGMENT_RULE_TYPES } from './segment.entity';

/**
 * Request and response schemas of /api/v1/projects/{pk}/segments/ (docs/contracts/admin-api.md §8, Flagsmith
 * `segments/serializers.py`). The nested `rules` body:
 *
 *   rules: [{id?, type: ALL|ANY|NONE, delete?, rules: [{id?, type, delete?, conditions: [...]}], conditions: [...]}]
 *   condition: {id?, operator, property?: string|null, value?: string|number|boolean|null, description?, delete?}
 *
 * Items with `delete: true` are dropped unread (they are removed from the stored tree, and take no place in the
 * errors); `id` asks to keep (update) a stored rule or condition of the same segment. Rules nest at most two
 * levels (segment → rule → rule), as upstream: deeper nesting, or more than 100 conditions, refuses the whole
 * body with `{"segment": [...]}`. Item errors come back DRF-shaped: `{"rules": [{}, {"conditions": [{…}]}]}`.
 */
export const SEGMENT_RULES_MAX_DEPTH = 2;
/** Flagsmith's SEGMENT_RULES_CONDITIONS_LIMIT default. */
export const SEGMENT_RULES_CONDITIONS_LIMIT = 100;

const pkMessage = (raw: unknown) => `Incorrect type. Expected pk value, received ${typeof raw}.`;

/** A PrimaryKeyRelatedField as this server has always read it: an integer (looked up by the service). */
function readPk(raw: unknown): { value: number } | { error: string[] } {
  const id = toInteger(raw);
  return id === undefined ? { error: [pkMessage(raw)] } : { value: id };
}
/** A required pk: null reads as absent ("This field is required."). */
export const requiredPk = (description?: string) =>
  S.reader<number>(S.integer({ description }), (raw) =>
    raw === null ? { error: [MESSAGES.required] } : readPk(raw),
  );
/** A nullable pk (null: none). */
export const nullablePk = (description?: string) =>
  S.reader<number | null>(S.nullable(S.integer({ description })), (raw) =>
    raw === null ? { value: null } : readPk(raw),
  );

// --- the rule tree of a request ---------------------------------------------------------------------------

/** The plain fields of a condition (its `value` is read by readConditionValue). */
const ConditionFields = S.object({
  id: S.optional(S.id()),
  operator: S.choice(SEGMENT_CONDITION_OPERATORS),
  property: S.optional(S.nullable(S.string({ maxLength: 1000, trim: false }))),
  description: S.optional(S.nullable(S.string({ allowBlank: true, trim: false }))),
});
const RuleFields = S.object({ id: S.optional(S.id()), type: S.choice(SEGMENT_RULE_TYPES) });

const DELETE = S.optional(S.boolean({ description: 'On update: drop this item from the stored tree' }));
/** Documentation of a condition in a request (read by readCondition). */
const ConditionRequest = S.object({
  ...ConditionFields.properties,
  value: S.optional(
    S.unchecked({
      nullable: true,
      oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }],
      description: 'Stored as text (true/false as "True"/"False")',
    } as unknown as TSchema),
  ),
  delete: DELETE,
});
const SubRuleRequest = S.object({
  ...RuleFields.properties,
  conditions: S.optional(S.list(ConditionRequest)),
  delete: DELETE,
});
const RuleRequest = S.object({ ...SubRuleRequest.properties, rules: S.optional(S.list(SubRuleRequest)) });

export interface ConditionInput {
  readonly id?: number;
  readonly operator: (typeof SEGMENT_CONDITION_OPERATORS)[number];
  readonly property: string | null;
  readonly value: string | null;
  readonly description: string | null;
}
export interface RuleInput {
  readonly id?: number;
  readonly type: (typeof SEGMENT_RULE_TYPES)[number];
  readonly rules: RuleInput[];
  readonly conditions: ConditionInput[];
}

type Reading<T> = { value: T; error?: undefined } | { value?: undefined; error: FieldErrors };

function isDeleted(item: unknown): boolean {
  return isPlainObject(item) && (item.delete === true || item.delete === 'true' || item.delete === 'True');
}

function depth(raw: unknown): number {
  if (!Array.isArray(raw) || raw.length === 0) return 0;
  let deepest = 0;
  for (const item of raw) if (isPlainObject(item)) deepest = Math.max(deepest, depth(item.rules));
  return deepest + 1;
}

/** The items of a list field that are not deleted, read one by one: values, or one error object per item. */
function readItems<T>(
  raw: unknown,
  read: (item: unknown) => Reading<T>,
): { values: T[] } | { error: unknown } {
  if (!Array.isArray(raw)) return { error: [MESSAGES.list(raw)] };
  const values: T[] = [];
  const errors: FieldErrors[] = [];
  for (const item of raw) {
    if (isDeleted(item)) continue;
    const result = read(item);
    errors.push(result.error ?? {});
    if (!result.error) values.push(result.value);
  }
  return errors.some((e) => Object.keys(e).length) ? { error: errors } : { values };
}

/** Flagsmith stores str(value): numbers and booleans are accepted and kept as text. */
function readConditionValue(raw: unknown): { value: string | null } | { error: string[] } {
  let value: string | null = null;
  if (typeof raw === 'string') value = raw;
  else if (typeof raw === 'number' && Number.isFinite(raw)) value = String(raw);
  else if (typeof raw === 'boolean') value = raw ? 'True' : 'False';
  else if (raw !== undefined && raw !== null) return { error: [MESSAGES.string] };
  const limit = segmentConditionValueLimit();
  if (value !== null && value.length > limit) return { error: [MESSAGES.maxLength(limit)] };
  return { value };
}

function readCondition(raw: unknown): Reading<ConditionInput> {
  if (!isPlainObject(raw)) return { error: { non_field_errors: [MESSAGES.object(raw)] } };
  const fields = validate(ConditionFields, raw);
  const value = readConditionValue(raw.value);
  const errors: FieldErrors = fields.ok ? {} : { ...fields.errors };
  if ('error' in value) errors.value = value.error;
  if (!fields.ok || 'error' in value) return { error: errors };
  const { id, operator, property, description } = fields.value;
  return {
    value: {
      ...(id !== undefined ? { id } : {}),
      operator,
      property: property ?? null,
      value: value.value,
      description: description ?? null,
    },
  };
}

function readRule(raw: unknown, level: number): Reading<RuleInput> {
  if (!isPlainObject(raw)) return { error: { non_field_errors: [MESSAGES.object(raw)] } };
  const fields = validate(RuleFields, raw);
  const errors: FieldErrors = fields.ok ? {} : { ...fields.errors };
  let conditions: ConditionInput[] = [];
  let rules: RuleInput[] = [];
  if (raw.conditions !== undefined) {
    const result = readItems(raw.conditions, readCondition);
    if ('error' in result) errors.conditions = result.error as FieldErrors[];
    else conditions = result.values;
  }
  // Below the deepest level `rules` is not read (the depth check has refused any non-empty list there).
  if (raw.rules !== undefined && level < SEGMENT_RULES_MAX_DEPTH) {
    const result = readItems(raw.rules, (item) => readRule(item, level + 1));
    if ('error' in result) errors.rules = result.error as FieldErrors[];
    else rules = result.values;
  }
  if (!fields.ok || Object.keys(errors).length) return { error: errors };
  const { id, type } = fields.value;
  return { value: { ...(id !== undefined ? { id } : {}), type, rules, conditions } };
}

export function countConditions(rules: readonly RuleInput[]): number {
  return rules.reduce((sum, rule) => sum + rule.conditions.length + countConditions(rule.rules), 0);
}

/** The `rules` of a segment body: a non-empty tree (see the top of this file). */
export const RuleTree = S.reader<RuleInput[]>(S.list(RuleRequest), (raw) => {
  if (!Array.isArray(raw)) return { error: [MESSAGES.list(raw)] };
  if (depth(raw) > SEGMENT_RULES_MAX_DEPTH)
    throw ValidationFailed.field(
      'segment',
      `Rules must not be nested more than ${SEGMENT_RULES_MAX_DEPTH} levels deep.`,
    );
  const result = readItems(raw, (item) => readRule(item, 1));
  if ('error' in result) return { error: result.error as FieldErrors[] };
  if (result.values.length === 0) return { error: ['This list may not be empty.'] };
  const count = countConditions(result.values);
  if (count > SEGMENT_RULES_CONDITIONS_LIMIT)
    throw ValidationFailed.field(
      'segment',
      `The segment has ${count} conditions, which exceeds the maximum condition count of ${SEGMENT_RULES_CONDITIONS_LIMIT}.`,
    );
  return { value: result.values };
});

// --- request bodies and queries ---------------------------------------------------------------------------

/** POST and PUT (PATCH: partial). `feature` makes the segment feature-specific (a feature of the project). */
export const SegmentInput = S.object({
  name: S.string({ maxLength: 2000 }),
  description: S.optional(S.nullable(S.string({ allowBlank: true }))),
  rules: RuleTree,
  feature: S.optional(nullablePk('Set for a feature-specific segment')),
  metadata: S.optional(MetadataValueList),
});
export type SegmentInput = Static<typeof SegmentInput>;

export const CloneSegment = S.object({ name: S.string({ maxLength: 2000 }) });
export type CloneSegmentInput = Static<typeof CloneSegment>;

export const SegmentListQuery = S.object({
  ...PageQuery.properties,
  q: S.optional(
    S.string({ maxLength: 2000, trim: false, description: 'Part of the name (case-insensitive)' }),
  ),
  include_feature_specific: S.optional(S.boolean({ description: 'Default true' })),
  identity: S.optional(S.id({ description: 'Only the segments this identity is in' })),
});
export type SegmentListQueryInput = Static<typeof SegmentListQuery>;

export const AssociatedFeaturesQuery = S.object({ ...PageQuery.properties, environment: S.optional(S.id()) });
export type AssociatedFeaturesQueryInput = Static<typeof AssociatedFeaturesQuery>;

// --- responses --------------------------------------------------------------------------------------------

export const SegmentConditionJson = S.response(
  {
    id: S.integer(),
    operator: S.choice(SEGMENT_CONDITION_OPERATORS),
    property: S.nullable(S.string()),
    value: S.nullable(S.string()),
    description: S.nullable(S.string()),
  },
  { title: 'SegmentCondition' },
);
export type SegmentConditionJson = Static<typeof SegmentConditionJson>;

/** A stored rule; its sub-rules are the `SegmentRule` component itself (stored trees may be deeper). */
export const SegmentRuleJson = S.component(
  'SegmentRule',
  S.response(
    {
      id: S.integer(),
      type: S.choice(SEGMENT_RULE_TYPES),
      rules: S.list(S.ref<SegmentRuleJson>('SegmentRule')),
      conditions: S.list(SegmentConditionJson),
    },
    { title: 'SegmentRule' },
  ),
);
export interface SegmentRuleJson {
  id: number;
  type: (typeof SEGMENT_RULE_TYPES)[number];
  rules: SegmentRuleJson[];
  conditions: SegmentConditionJson[];
}

export const SegmentJson = S.response(
  {
    id: S.integer(),
    uuid: S.string(),
    name: S.string(),
    description: S.nullable(S.string()),
    project: S.integer(),
    feature: S.nullable(S.integer({ description: 'Set for a feature-specific segment' })),
    version_of: S.integer(),
    rules: S.list(SegmentRuleJson),
    metadata: S.list(MetadataValueJson),
    membership_counts: S.list(S.object({})),
    managed_by: S.nullable(S.string()),
    created_at: S.dateTime(),
    updated_at: S.dateTime(),
  },
  { title: 'Segment' },
);
export type SegmentJson = Static<typeof SegmentJson>;
export const SegmentPage = S.page(SegmentJson);

/** An override state using the segment. */
export const AssociatedFeatureJson = S.response({
  id: S.integer(),
  feature: S.integer(),
  environment: S.integer(),
});
export type AssociatedFeatureJson = Static<typeof AssociatedFeatureJson>;
export const AssociatedFeaturePage = S.page(AssociatedFeatureJson);
