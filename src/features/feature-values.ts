import type { FieldErrors } from '../common/domain-errors';
import { isPlainObject, MESSAGES, toInteger } from '../common/drf-values';
import type { FeatureValueType } from './feature.entity';

/** The typed value columns shared by feature states and multivariate options. */
export interface TypedValue {
  valueType: FeatureValueType;
  stringValue: string | null;
  integerValue: number | null;
  booleanValue: boolean | null;
}

const INT32 = /^-?\d+$/;

/**
 * A feature's `initial_value` (always a string in the API) as the default state value (docs/contracts/engine.md §9):
 * a 32-bit-integer-looking string ⇒ int, "true"/"True"/"false"/"False" ⇒ bool, anything else ⇒ string.
 */
export function typedValueFromInitial(initial: string | null): TypedValue {
  if (initial !== null && INT32.test(initial)) {
    const n = Number(initial);
    if (n >= -2147483648 && n <= 2147483647)
      return { valueType: 'int', stringValue: null, integerValue: n, booleanValue: null };
  }
  if (initial === 'true' || initial === 'True' || initial === 'false' || initial === 'False') {
    return {
      valueType: 'bool',
      stringValue: null,
      integerValue: null,
      booleanValue: initial.toLowerCase() === 'true',
    };
  }
  return { valueType: 'unicode', stringValue: initial, integerValue: null, booleanValue: null };
}

/** The raw JSON value of typed columns (string | number | boolean | null). */
export function rawValue(v: TypedValue): string | number | boolean | null {
  switch (v.valueType) {
    case 'int':
      return v.integerValue;
    case 'bool':
      return v.booleanValue;
    default:
      return v.stringValue;
  }
}

/** Longest string value a feature state or multivariate option may hold (Flagsmith's FEATURE_VALUE_LIMIT). */
export const FEATURE_VALUE_LIMIT = 20000;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** DRF-style errors of one value: `{"string_value": ["…"]}`. */
export type ValueErrors = Record<string, string[]>;
export type ValueResult = { ok: true; value: TypedValue } | { ok: false; errors: ValueErrors };

const unicode = (s: string | null): TypedValue => ({
  valueType: 'unicode',
  stringValue: s,
  integerValue: null,
  booleanValue: null,
});

function checkString(s: string): ValueResult {
  if (s.length > FEATURE_VALUE_LIMIT)
    return {
      ok: false,
      errors: { string_value: [`Ensure this field has no more than ${FEATURE_VALUE_LIMIT} characters.`] },
    };
  return { ok: true, value: unicode(s) };
}

function checkInt(n: number): ValueResult {
  if (n > INT32_MAX)
    return {
      ok: false,
      errors: { integer_value: [`Ensure this value is less than or equal to ${INT32_MAX}.`] },
    };
  if (n < INT32_MIN)
    return {
      ok: false,
      errors: { integer_value: [`Ensure this value is greater than or equal to ${INT32_MIN}.`] },
    };
  return { ok: true, value: { valueType: 'int', stringValue: null, integerValue: n, booleanValue: null } };
}

/**
 * A raw JSON `feature_state_value` (environment / identity feature-state endpoints) typed by its JSON type, as
 * Flagsmith does: string ⇒ unicode, integer ⇒ int, boolean ⇒ bool, null ⇒ unicode null; anything else (floats,
 * objects, lists) is stored as its string form.
 */
export function typedValueFromRaw(value: unknown): ValueResult {
  if (value === null || value === undefined) return { ok: true, value: unicode(null) };
  if (typeof value === 'boolean')
    return {
      ok: true,
      value: { valueType: 'bool', stringValue: null, integerValue: null, booleanValue: value },
    };
  if (typeof value === 'number')
    return Number.isInteger(value) ? checkInt(value) : checkString(String(value));
  if (typeof value === 'string') return checkString(value);
  return checkString(JSON.stringify(value));
}

const VALUE_TYPES: readonly FeatureValueType[] = ['unicode', 'int', 'bool'];
const TRUE_VALUES = new Set<unknown>([true, 'true', 'True', 'TRUE', '1', 1, 'on', 'yes']);
const FALSE_VALUES = new Set<unknown>([false, 'false', 'False', 'FALSE', '0', 0, 'off', 'no']);

/**
 * The typed value form `{type, string_value, integer_value, boolean_value}` (Flagsmith's FeatureStateValueSerializer
 * and multivariate options): `type` defaults to unicode; each given column is validated and kept; the value read
 * by evaluation is the column of `type`. Errors are keyed by the inner field name.
 */
export function typedValueFromForm(form: unknown): ValueResult {
  if (typeof form !== 'object' || form === null || Array.isArray(form)) {
    const got =
      form === null
        ? 'NoneType'
        : Array.isArray(form)
          ? 'list'
          : typeof form === 'string'
            ? 'str'
            : typeof form;
    return {
      ok: false,
      errors: { non_field_errors: [`Invalid data. Expected a dictionary, but got ${got}.`] },
    };
  }
  const f = form as Record<string, unknown>;
  const errors: ValueErrors = {};
  let valueType: FeatureValueType = 'unicode';
  if (f.type !== undefined && f.type !== null && f.type !== '') {
    if (typeof f.type === 'string' && (VALUE_TYPES as readonly string[]).includes(f.type))
      valueType = f.type as FeatureValueType;
    else
      errors.type = [
        `"${typeof f.type === 'string' ? f.type : JSON.stringify(f.type)}" is not a valid choice.`,
      ];
  }
  let stringValue: string | null = null;
  if (f.string_value !== undefined && f.string_value !== null) {
    // DRF's CharField takes strings and numbers (as their text), refuses booleans, lists and objects.
    if (typeof f.string_value === 'string' || typeof f.string_value === 'number') {
      const s = String(f.string_value);
      const checked = checkString(s);
      if (checked.ok) stringValue = s;
      else Object.assign(errors, checked.errors);
    } else errors.string_value = ['Not a valid string.'];
  }
  let integerValue: number | null = null;
  if (f.integer_value !== undefined && f.integer_value !== null && f.integer_value !== '') {
    const raw = f.integer_value;
    const n =
      typeof raw === 'number' && Number.isInteger(raw)
        ? raw
        : typeof raw === 'string' && /^\s*-?\d{1,15}\s*$/.test(raw)
          ? Number(raw)
          : undefined;
    if (n === undefined) errors.integer_value = ['A valid integer is required.'];
    else {
      const checked = checkInt(n);
      if (checked.ok) integerValue = n;
      else Object.assign(errors, checked.errors);
    }
  }
  let booleanValue: boolean | null = null;
  if (f.boolean_value !== undefined && f.boolean_value !== null && f.boolean_value !== '') {
    if (TRUE_VALUES.has(f.boolean_value)) booleanValue = true;
    else if (FALSE_VALUES.has(f.boolean_value)) booleanValue = false;
    else errors.boolean_value = ['Must be a valid boolean.'];
  }
  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, value: { valueType, stringValue, integerValue, booleanValue } };
}

/** Just the typed value columns of a state or option (to copy them onto another row). */
export function valueColumns(v: TypedValue): TypedValue {
  return {
    valueType: v.valueType,
    stringValue: v.stringValue,
    integerValue: v.integerValue,
    booleanValue: v.booleanValue,
  };
}

/** The typed form of stored columns, as Flagsmith serialises it. */
export function valueFormJson(v: TypedValue) {
  return {
    type: v.valueType,
    string_value: v.stringValue,
    integer_value: v.integerValue,
    boolean_value: v.booleanValue,
  };
}

/** One `multivariate_feature_state_values` item: an option's share of a state. */
export interface MvValueInput {
  readonly optionId: number;
  readonly percentageAllocation: number;
}

/** What a feature-state write may change; absent members are left as they are. */
export interface StateChanges {
  enabled?: boolean;
  value?: TypedValue;
  /** The complete list: options not listed lose their value row (Flagsmith's nested-serializer semantics). */
  mvValues?: MvValueInput[];
}

/** `raw`: `feature_state_value` is a bare JSON value; `typed`: `{type, string_value, integer_value, boolean_value}`. */
export type ValueForm = 'raw' | 'typed';

export const MV_SUM_MESSAGE = 'Multivariate percentage values exceed 100%.';

/** Python's name for a JSON value's type, as DRF puts it in "received …" messages. */
function pythonTypeName(value: unknown): string {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return 'dict';
}

/**
 * The value fields of a feature-state body, as sent, → the changes they ask for, or Flagsmith's errors: raw-value
 * errors at the top level (the value serializer's own), typed-form errors under `feature_state_value`, MV item
 * errors under `multivariate_feature_state_values`, an MV sum over 100 % as `non_field_errors`.
 */
export function readStateValues(
  body: { feature_state_value?: unknown; multivariate_feature_state_values?: unknown },
  form: ValueForm,
): { changes: Omit<StateChanges, 'enabled'>; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const changes: StateChanges = {};
  const raw = body.feature_state_value;
  if (raw !== undefined) {
    if (form === 'raw') {
      const result = typedValueFromRaw(raw);
      if (result.ok) changes.value = result.value;
      else Object.assign(errors, result.errors);
    } else if (raw !== null) {
      const result = typedValueFromForm(raw);
      if (result.ok) changes.value = result.value;
      else errors.feature_state_value = result.errors;
    } else {
      changes.value = unicode(null);
    }
  }
  const mv = parseMvValues(body.multivariate_feature_state_values);
  if (mv.errors !== undefined) errors.multivariate_feature_state_values = mv.errors;
  // Flagsmith checks the sum in the state serializer's validate(): a top-level non-field error.
  else if (mv.nonFieldErrors !== undefined) errors.non_field_errors = mv.nonFieldErrors;
  else if (mv.values !== undefined) changes.mvValues = mv.values;
  return { changes, errors };
}

/**
 * Structural checks of a `multivariate_feature_state_values` list (absent/null → `values` undefined): `errors`
 * belong under the list's field, `nonFieldErrors` (allocations over 100 %) at the top level.
 */
export function parseMvValues(raw: unknown): {
  values?: MvValueInput[];
  errors?: FieldErrors | FieldErrors[];
  nonFieldErrors?: string[];
} {
  if (raw === undefined || raw === null) return {};
  if (!Array.isArray(raw)) {
    return { errors: { non_field_errors: [MESSAGES.list(raw)] } };
  }
  const values: MvValueInput[] = [];
  const itemErrors: Record<string, string[]>[] = [];
  let failed = false;
  for (const item of raw) {
    const e: Record<string, string[]> = {};
    if (!isPlainObject(item)) {
      e.non_field_errors = [MESSAGES.object(item)];
    } else {
      const option = toInteger(item.multivariate_feature_option);
      if (item.multivariate_feature_option === undefined || item.multivariate_feature_option === null)
        e.multivariate_feature_option = ['This field is required.'];
      else if (option === undefined || option < 1)
        e.multivariate_feature_option = [
          `Incorrect type. Expected pk value, received ${pythonTypeName(item.multivariate_feature_option)}.`,
        ];
      const pct = item.percentage_allocation;
      let n: number | undefined;
      if (pct === undefined || pct === null) e.percentage_allocation = ['This field is required.'];
      else {
        n = typeof pct === 'number' ? pct : typeof pct === 'string' && pct.trim() !== '' ? Number(pct) : NaN;
        if (!Number.isFinite(n)) e.percentage_allocation = ['A valid number is required.'];
        else if (n < 0) e.percentage_allocation = ['Ensure this value is greater than or equal to 0.'];
        else if (n > 100) e.percentage_allocation = ['Ensure this value is less than or equal to 100.'];
      }
      if (!Object.keys(e).length) values.push({ optionId: option!, percentageAllocation: n! });
    }
    if (Object.keys(e).length) failed = true;
    itemErrors.push(e);
  }
  if (failed) return { errors: itemErrors };
  const total = values.reduce((sum, mv) => sum + mv.percentageAllocation, 0);
  if (total > 100 + 1e-9) return { nonFieldErrors: [MV_SUM_MESSAGE] };
  return { values };
}
