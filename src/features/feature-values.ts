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
 * A feature's `initial_value` (always a string in the API) as the default state value (engine.md §9):
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
