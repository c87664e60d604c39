import { ValidationFailed } from '../common/domain-errors';
import { validate } from '../http/schema';
import { SegmentInput } from './segment.schemas';
import { staleRuleIds } from './segments.service';

const condition = { operator: 'EQUAL', property: 'plan', value: 'pro' };

describe('SegmentInput rules', () => {
  it('a deleted item is dropped unread and takes no place in the errors', () => {
    const result = validate(SegmentInput, {
      name: 's',
      rules: [
        { type: 'NOPE', delete: true },
        { type: 'ALL', conditions: [{ operator: 'X' }, condition] },
      ],
    });
    expect(result).toEqual({
      ok: false,
      errors: { rules: [{ conditions: [{ operator: ['"X" is not a valid choice.'] }, {}] }] },
    });
  });

  it('a number or boolean value is stored as its text', () => {
    const result = validate(SegmentInput, {
      name: 's',
      rules: [
        {
          type: 'ANY',
          conditions: [
            { ...condition, value: true },
            { ...condition, value: 3 },
          ],
        },
      ],
    });
    expect(result.ok && result.value.rules[0].conditions.map((c) => c.value)).toEqual(['True', '3']);
  });

  it('rules nested three deep refuse the whole body under "segment"', () => {
    const deep = [
      { type: 'ALL', rules: [{ type: 'ANY', rules: [{ type: 'ALL', conditions: [condition] }] }] },
    ];
    expect(() => validate(SegmentInput, { name: '', rules: deep })).toThrow(
      new ValidationFailed({ segment: ['Rules must not be nested more than 2 levels deep.'] }),
    );
  });

  it('an empty tree, or one emptied by deletions, is "This list may not be empty."', () => {
    expect(validate(SegmentInput, { name: 's', rules: [{ type: 'ALL', delete: true }] })).toEqual({
      ok: false,
      errors: { rules: ['This list may not be empty.'] },
    });
  });

  it('a feature that is not an integer answers the pk field message', () => {
    expect(validate(SegmentInput, { name: 's', rules: [{ type: 'ALL' }], feature: 'x' })).toEqual({
      ok: false,
      errors: { feature: ['Incorrect type. Expected pk value, received string.'] },
    });
  });
});

describe('staleRuleIds', () => {
  const stored = [
    {
      id: 1,
      type: 'ALL' as const,
      rules: [],
      conditions: [{ id: 10, operator: 'EQUAL' as const, property: 'a', value: '1', description: null }],
    },
  ];

  it('returns the stored rules and conditions the new tree does not keep', () => {
    expect(staleRuleIds([{ id: 1, type: 'ANY', rules: [], conditions: [] }], stored)).toEqual({
      rules: [],
      conditions: [10],
    });
  });

  it('an id of another segment, or one given twice, is refused', () => {
    expect(() => staleRuleIds([{ id: 2, type: 'ALL', rules: [], conditions: [] }], stored)).toThrow(
      ValidationFailed,
    );
    const twice = { id: 1, type: 'ALL' as const, rules: [], conditions: [] };
    expect(() => staleRuleIds([twice, twice], stored)).toThrow(ValidationFailed);
  });
});
