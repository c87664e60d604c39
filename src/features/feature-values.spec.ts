import {
  rawValue,
  readStateValues,
  typedValueFromForm,
  typedValueFromInitial,
  typedValueFromRaw,
  valueFormJson,
} from './feature-values';

describe('typedValueFromRaw', () => {
  it.each<[string, unknown, string, string | number | boolean | null]>([
    ['a string', 'blue', 'unicode', 'blue'],
    ['an int32', -7, 'int', -7],
    ['a boolean', true, 'bool', true],
    ['null', null, 'unicode', null],
    ['a float', 2.5, 'unicode', '2.5'],
    ['an object', { a: 1 }, 'unicode', '{"a":1}'],
  ])('types %s by its JSON type', (_what, input, type, value) => {
    const result = typedValueFromRaw(input);
    expect(result.ok && result.value.valueType).toBe(type);
    expect(result.ok && rawValue(result.value)).toBe(value);
  });

  it('refuses integers beyond 32 bits and strings beyond 20000 characters with the column named', () => {
    expect(typedValueFromRaw(2 ** 31)).toEqual({
      ok: false,
      errors: { integer_value: ['Ensure this value is less than or equal to 2147483647.'] },
    });
    expect(typedValueFromRaw(-(2 ** 31) - 1)).toMatchObject({
      ok: false,
      errors: { integer_value: [expect.any(String)] },
    });
    expect(typedValueFromRaw('x'.repeat(20001))).toMatchObject({
      ok: false,
      errors: { string_value: [expect.any(String)] },
    });
    expect(typedValueFromRaw('x'.repeat(20000)).ok).toBe(true);
  });
});

describe('typedValueFromForm', () => {
  it('reads the column named by type and keeps the others given', () => {
    const result = typedValueFromForm({ type: 'int', integer_value: '12', string_value: 'kept' });
    expect(result).toEqual({
      ok: true,
      value: { valueType: 'int', stringValue: 'kept', integerValue: 12, booleanValue: null },
    });
    expect(result.ok && valueFormJson(result.value)).toEqual({
      type: 'int',
      string_value: 'kept',
      integer_value: 12,
      boolean_value: null,
    });
  });

  it('defaults to unicode and refuses unknown types, non-integers, non-booleans and non-objects', () => {
    expect(typedValueFromForm({})).toMatchObject({
      ok: true,
      value: { valueType: 'unicode', stringValue: null },
    });
    expect(typedValueFromForm({ type: 'float', integer_value: 1.5, boolean_value: 'maybe' })).toEqual({
      ok: false,
      errors: {
        type: ['"float" is not a valid choice.'],
        integer_value: ['A valid integer is required.'],
        boolean_value: ['Must be a valid boolean.'],
      },
    });
    expect(typedValueFromForm('text')).toMatchObject({
      ok: false,
      errors: { non_field_errors: [expect.any(String)] },
    });
  });
});

describe('typedValueFromInitial', () => {
  it('turns 32-bit integers and True/false words into typed values, other text into strings', () => {
    expect(typedValueFromInitial('42')).toMatchObject({ valueType: 'int', integerValue: 42 });
    expect(typedValueFromInitial('99999999999')).toMatchObject({
      valueType: 'unicode',
      stringValue: '99999999999',
    });
    expect(typedValueFromInitial('False')).toMatchObject({ valueType: 'bool', booleanValue: false });
  });
});

describe('readStateValues', () => {
  it('reads a raw value and MV allocations; absent members stay absent', () => {
    const body = {
      feature_state_value: 3,
      multivariate_feature_state_values: [
        { id: 9, multivariate_feature_option: 4, percentage_allocation: '25.5' },
      ],
    };
    expect(readStateValues(body, 'raw')).toEqual({
      changes: {
        value: { valueType: 'int', stringValue: null, integerValue: 3, booleanValue: null },
        mvValues: [{ optionId: 4, percentageAllocation: 25.5 }],
      },
      errors: {},
    });
    expect(readStateValues({}, 'typed')).toEqual({
      changes: {},
      errors: {},
    });
  });

  it("reports MV allocations over 100 % at the top level (the state serializer's validate()), bad items per position and typed-value errors nested under their field", () => {
    const over = readStateValues(
      {
        multivariate_feature_state_values: [
          { multivariate_feature_option: 1, percentage_allocation: 60 },
          { multivariate_feature_option: 2, percentage_allocation: 41 },
        ],
      },
      'raw',
    );
    expect(over.errors).toEqual({
      non_field_errors: ['Multivariate percentage values exceed 100%.'],
    });
    const items = readStateValues(
      {
        feature_state_value: { type: 'nope' },
        multivariate_feature_state_values: [
          { multivariate_feature_option: 1, percentage_allocation: 5 },
          { percentage_allocation: 101 },
        ],
      },
      'typed',
    );
    expect(items.errors).toEqual({
      feature_state_value: { type: ['"nope" is not a valid choice.'] },
      multivariate_feature_state_values: [
        {},
        {
          multivariate_feature_option: ['This field is required.'],
          percentage_allocation: ['Ensure this value is less than or equal to 100.'],
        },
      ],
    });
  });
});
