import { EntityManager, In } from 'typeorm';
import { BodyReader, isPlainObject, MESSAGES, toInteger } from '../common/validation';
import { rawValue, TypedValue } from '../features/feature-values';
import {
  Feature,
  FeatureState,
  FeatureValueType,
  MultivariateFeatureOption,
  MultivariateFeatureStateValue,
} from '../features/feature.entity';

/*
 * Values of override feature states (segment overrides and identity overrides).
 *
 * NOTE: a small, self-contained typed-value / multivariate-value mapping for the segments and identities modules,
 * written while src/features/ (environment feature states, the reusable value/MV service) was in progress.
 * To be merged with the features module's value service once it lands.
 */

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
/** Width of feature_states.string_value / multivariate options' string_value. */
export const FEATURE_STATE_STRING_LIMIT = 20000;

const FEATURE_VALUE_TYPES: readonly FeatureValueType[] = ['unicode', 'int', 'bool'];

type FieldErrors = Record<string, unknown>;

/**
 * A raw JSON `feature_state_value` (identity overrides, admin-api §7/§9): string ⇒ unicode, int32 ⇒ int,
 * bool ⇒ bool, null ⇒ unicode null, anything else (floats, big ints, objects) ⇒ its text as unicode.
 */
export function typedValueFromJson(value: unknown): TypedValue | { error: string } {
  const unicode = (text: string | null): TypedValue | { error: string } =>
    text !== null && text.length > FEATURE_STATE_STRING_LIMIT
      ? { error: MESSAGES.maxLength(FEATURE_STATE_STRING_LIMIT) }
      : { valueType: 'unicode', stringValue: text, integerValue: null, booleanValue: null };
  if (value === null || value === undefined) return unicode(null);
  if (typeof value === 'boolean')
    return { valueType: 'bool', stringValue: null, integerValue: null, booleanValue: value };
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX)
      return { valueType: 'int', stringValue: null, integerValue: value, booleanValue: null };
    return unicode(String(value));
  }
  if (typeof value === 'string') return unicode(value);
  return unicode(JSON.stringify(value));
}

/**
 * A typed `feature_state_value: {type, string_value, integer_value, boolean_value}` (Flagsmith's
 * FeatureStateValueSerializer); `type` defaults to unicode. Errors are returned per field.
 */
export function readTypedValue(raw: unknown): { value?: TypedValue; errors?: FieldErrors } {
  if (!isPlainObject(raw)) return { errors: { non_field_errors: [MESSAGES.object(raw)] } };
  const v = new BodyReader(raw);
  const type = v.choice('type', FEATURE_VALUE_TYPES, { optional: true }) ?? 'unicode';
  const stringValue = v.string('string_value', {
    optional: true,
    nullable: true,
    allowBlank: true,
    trim: false,
    maxLength: FEATURE_STATE_STRING_LIMIT,
  });
  const integerValue = v.integer('integer_value', { optional: true, nullable: true });
  const booleanValue = v.boolean('boolean_value', { optional: true, nullable: true });
  if (!v.valid) return { errors: v.errors };
  return {
    value: {
      valueType: type,
      stringValue: type === 'unicode' ? (stringValue ?? null) : null,
      integerValue: type === 'int' ? (integerValue ?? null) : null,
      booleanValue: type === 'bool' ? (booleanValue ?? null) : null,
    },
  };
}

export function typedValueJson(fs: TypedValue) {
  return {
    type: fs.valueType,
    string_value: fs.stringValue,
    integer_value: fs.integerValue,
    boolean_value: fs.booleanValue,
  };
}

export function rawStateValue(fs: TypedValue): string | number | boolean | null {
  return rawValue(fs);
}

export interface MvValueInput {
  readonly id?: number;
  readonly optionId: number;
  readonly percentageAllocation: number;
}

/**
 * `multivariate_feature_state_values: [{id?, multivariate_feature_option, percentage_allocation}]`, checked
 * against the feature's options (unknown option ⇒ 400), each 0…100, total ≤ 100, one value per option.
 */
export async function readMvValues(
  manager: EntityManager,
  feature: Pick<Feature, 'id'>,
  raw: unknown,
): Promise<{ values?: MvValueInput[]; errors?: FieldErrors }> {
  const field = 'multivariate_feature_state_values';
  if (!Array.isArray(raw)) return { errors: { [field]: [MESSAGES.list(raw)] } };
  const itemErrors: FieldErrors[] = [];
  const values: MvValueInput[] = [];
  for (const item of raw) {
    if (!isPlainObject(item)) {
      itemErrors.push({ non_field_errors: [MESSAGES.object(item)] });
      continue;
    }
    const v = new BodyReader(item);
    const id = v.has('id') ? toInteger(v.raw('id')) : undefined;
    if (v.has('id') && id === undefined) v.error('id', MESSAGES.integer);
    const optionRaw = v.raw('multivariate_feature_option');
    const optionId = toInteger(isPlainObject(optionRaw) ? optionRaw.id : optionRaw);
    if (optionRaw === undefined || optionRaw === null)
      v.error('multivariate_feature_option', MESSAGES.required);
    else if (optionId === undefined || optionId < 1 || optionId > INT32_MAX)
      v.error('multivariate_feature_option', 'Incorrect type. Expected pk value.');
    const pct = v.raw('percentage_allocation');
    const percentage =
      typeof pct === 'number' ? pct : typeof pct === 'string' && pct.trim() !== '' ? Number(pct) : NaN;
    if (pct === undefined) v.error('percentage_allocation', MESSAGES.required);
    else if (!Number.isFinite(percentage)) v.error('percentage_allocation', MESSAGES.number);
    else if (percentage < 0) v.error('percentage_allocation', MESSAGES.minValue(0));
    else if (percentage > 100) v.error('percentage_allocation', MESSAGES.maxValue(100));
    itemErrors.push(v.errors);
    if (v.valid)
      values.push({
        ...(id !== undefined ? { id } : {}),
        optionId: optionId!,
        percentageAllocation: percentage,
      });
  }
  if (itemErrors.some((e) => Object.keys(e).length > 0)) return { errors: { [field]: itemErrors } };
  const optionIds = [...new Set(values.map((v) => v.optionId))];
  if (optionIds.length !== values.length)
    return { errors: { [field]: ['Each multivariate option may only be given once.'] } };
  if (optionIds.length > 0) {
    const found = await manager
      .getRepository(MultivariateFeatureOption)
      .find({ where: { id: In(optionIds), featureId: feature.id }, select: { id: true } });
    const known = new Set(found.map((o) => o.id));
    const missing = optionIds.find((id) => !known.has(id));
    if (missing !== undefined)
      return { errors: { [field]: [`Invalid pk "${missing}" - object does not exist.`] } };
  }
  const total = values.reduce((sum, v) => sum + v.percentageAllocation, 0);
  if (total > 100 + 1e-9)
    return { errors: { non_field_errors: ['Multivariate percentage values exceed 100%.'] } };
  return { values };
}

/** Makes the state's multivariate values exactly `values` (keyed by option; others removed). */
export async function writeMvValues(
  manager: EntityManager,
  featureStateId: number,
  values: readonly MvValueInput[],
): Promise<void> {
  const repo = manager.getRepository(MultivariateFeatureStateValue);
  const existing = await repo.find({ where: { featureStateId } });
  const byOption = new Map(existing.map((e) => [e.multivariateFeatureOptionId, e]));
  const keep = new Set(values.map((v) => v.optionId));
  const stale = existing.filter((e) => !keep.has(e.multivariateFeatureOptionId)).map((e) => e.id);
  if (stale.length > 0) await repo.delete({ id: In(stale) });
  for (const value of values) {
    const current = byOption.get(value.optionId);
    if (current) {
      if (current.percentageAllocation !== value.percentageAllocation)
        await repo.update({ id: current.id }, { percentageAllocation: value.percentageAllocation });
    } else {
      await repo.insert(
        repo.create({
          featureStateId,
          multivariateFeatureOptionId: value.optionId,
          percentageAllocation: value.percentageAllocation,
        }),
      );
    }
  }
}

/** Multivariate values of many states in one query, ordered by id. */
export async function loadMvValues(
  manager: EntityManager,
  featureStateIds: readonly number[],
): Promise<Map<number, MultivariateFeatureStateValue[]>> {
  const map = new Map<number, MultivariateFeatureStateValue[]>();
  if (featureStateIds.length === 0) return map;
  const rows = await manager.getRepository(MultivariateFeatureStateValue).find({
    where: { featureStateId: In([...new Set(featureStateIds)]) },
    order: { id: 'ASC' },
  });
  for (const row of rows) {
    const list = map.get(row.featureStateId) ?? [];
    list.push(row);
    map.set(row.featureStateId, list);
  }
  return map;
}

export function mvValuesJson(values: readonly MultivariateFeatureStateValue[] | undefined) {
  return (values ?? []).map((v) => ({
    id: v.id,
    multivariate_feature_option: v.multivariateFeatureOptionId,
    percentage_allocation: v.percentageAllocation,
  }));
}

/** Copies the typed value columns onto a feature state. */
export function applyTypedValue(fs: FeatureState, value: TypedValue): void {
  fs.valueType = value.valueType;
  fs.stringValue = value.stringValue;
  fs.integerValue = value.integerValue;
  fs.booleanValue = value.booleanValue;
}
