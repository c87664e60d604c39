import { validate } from '../http/schema';
import { CreateSegmentOverride } from './feature-segment.schemas';

describe('CreateSegmentOverride body', () => {
  it('an empty body names the value and the slot as required', () => {
    expect(validate(CreateSegmentOverride, {})).toEqual({
      ok: false,
      errors: {
        feature_state_value: ['This field is required.'],
        feature_segment: ['This field is required.'],
      },
    });
  });

  it('a null value may not be null; a null slot reads as absent', () => {
    expect(validate(CreateSegmentOverride, { feature_state_value: null, feature_segment: null })).toEqual({
      ok: false,
      errors: {
        feature_state_value: ['This field may not be null.'],
        feature_segment: ['This field is required.'],
      },
    });
  });

  it('slot errors nest under feature_segment, segment and priority together', () => {
    expect(
      validate(CreateSegmentOverride, {
        feature_state_value: {},
        feature_segment: { segment: 'abc', priority: -1 },
      }),
    ).toEqual({
      ok: false,
      errors: {
        feature_segment: {
          segment: ['Incorrect type. Expected pk value, received string.'],
          priority: ['Ensure this value is greater than or equal to 0.'],
        },
      },
    });
    expect(validate(CreateSegmentOverride, { feature_state_value: {}, feature_segment: [1] })).toEqual({
      ok: false,
      errors: {
        feature_segment: { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] },
      },
    });
  });

  it('a valid body keeps the segment as sent and drops a null priority', () => {
    const result = validate(CreateSegmentOverride, {
      enabled: 'yes',
      feature_state_value: { type: 'int', integer_value: 3 },
      feature_segment: { segment: '7', priority: null },
    });
    expect(result.ok && result.value).toEqual({
      enabled: true,
      feature_state_value: { type: 'int', integer_value: 3 },
      feature_segment: { segment: '7' },
    });
  });

  it('a bad typed value answers nested under feature_state_value', () => {
    const result = validate(CreateSegmentOverride, {
      feature_state_value: { type: 'float' },
      feature_segment: { segment: 1 },
    });
    expect(result.ok ? {} : Object.keys(result.errors)).toEqual(['feature_state_value']);
  });
});
