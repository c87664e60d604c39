import fc from 'fast-check';
import { BodyReader } from '../../common/validation';
import { validate } from './drf-validator';
import { S } from './schema';

const Body = S.object({
  name: S.string({ maxLength: 20 }),
  count: S.optional(S.integer({ minimum: 1 })),
  limit: S.optional(S.nullable(S.integer({ minimum: 0, maximum: 50 }))),
  flag: S.optional(S.boolean()),
  note: S.optional(S.nullable(S.string({ maxLength: 8 }))),
  text: S.optional(S.nullable(S.string({ maxLength: 8, allowBlank: true }))),
  kind: S.optional(S.choice(['A', 'B'])),
});

/** The same rules written with BodyReader, the hand validator the schemas replace. */
function readByHand(body: unknown, partial: boolean) {
  const v = new BodyReader(body, { partial });
  const out = {
    name: v.string('name', { maxLength: 20 }),
    count: v.integer('count', { optional: true, min: 1 }),
    limit: v.integer('limit', { optional: true, nullable: true, min: 0, max: 50 }),
    flag: v.boolean('flag', { optional: true }),
    note: v.string('note', { optional: true, nullable: true, maxLength: 8 }),
    text: v.string('text', { optional: true, nullable: true, allowBlank: true, maxLength: 8 }),
    kind: v.choice('kind', ['A', 'B'] as const, { optional: true }),
  };
  if (!v.valid) return { ok: false, errors: v.errors };
  return { ok: true, value: Object.fromEntries(Object.entries(out).filter(([, x]) => x !== undefined)) };
}

const anyValue = fc.oneof(
  fc.constantFrom(
    null,
    true,
    false,
    0,
    1,
    -1,
    1.5,
    '',
    ' ',
    '1',
    'yes',
    'off',
    'maybe',
    ' 7 ',
    'A',
    'B',
    'a',
  ),
  fc.string({ maxLength: 25 }),
  fc.integer(),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 1 }),
);
const FIELDS = ['name', 'count', 'limit', 'flag', 'note', 'text', 'kind', 'unknown'];

describe('validate (DRF semantics over a schema)', () => {
  it('agrees with BodyReader on values, coercions and messages for any body', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.dictionary(fc.constantFrom(...FIELDS), anyValue), anyValue as fc.Arbitrary<unknown>),
        fc.boolean(),
        (body, partial) => {
          expect(validate(Body, body, { partial })).toEqual(readByHand(body, partial));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('nests errors of lists of objects per item and of scalar lists by index, as DRF does', () => {
    const Segment = S.object({
      rules: S.list(S.object({ conditions: S.list(S.object({ operator: S.choice(['EQUAL']) })) })),
      tags: S.optional(S.list(S.integer())),
    });
    const result = validate(Segment, {
      rules: [{ conditions: [{ operator: 'EQUAL' }] }, { conditions: [{}, { operator: 'X' }] }],
      tags: [1, 'two'],
    });
    expect(result).toEqual({
      ok: false,
      errors: {
        rules: [
          {},
          {
            conditions: [
              { operator: ['This field is required.'] },
              { operator: ['"X" is not a valid choice.'] },
            ],
          },
        ],
        tags: { '1': ['A valid integer is required.'] },
      },
    });
  });

  it('reads an empty query value as absent and any bad id as "A valid integer is required."', () => {
    const Query = S.object({ organisation: S.optional(S.id()) });
    expect(validate(Query, { organisation: '' }, { query: true })).toEqual({ ok: true, value: {} });
    for (const bad of ['0', '-3', 'x', '2147483648'])
      expect(validate(Query, { organisation: bad }, { query: true })).toEqual({
        ok: false,
        errors: { organisation: ['A valid integer is required.'] },
      });
  });

  it('merges a body-level check over the field errors, seeing the fields read and unchecked ones as sent', () => {
    const seen: unknown[] = [];
    const Body = S.checkBody(
      S.object({ enabled: S.optional(S.boolean()), value: S.optional(S.unchecked(S.integer())) }),
      (body) => {
        seen.push(body);
        return body.value === 'bad' ? { value_errors: ['Bad value.'] } : undefined;
      },
    );
    expect(validate(Body, { enabled: 'maybe', value: 'bad' })).toEqual({
      ok: false,
      errors: { enabled: ['Must be a valid boolean.'], value_errors: ['Bad value.'] },
    });
    expect(validate(Body, { enabled: 'yes', value: 3 })).toEqual({
      ok: true,
      value: { enabled: true, value: 3 },
    });
    expect(seen).toEqual([{ value: 'bad' }, { enabled: true, value: 3 }]);
  });
});
