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

  it('S.reader: a field read by its own function gets every sent value, null included, and its errors nest', () => {
    const Even = S.reader<number>(S.integer(), (raw) =>
      typeof raw === 'number' && raw % 2 === 0 ? { value: raw } : { error: [`odd: ${String(raw)}`] },
    );
    const Body = S.object({ n: Even, m: S.optional(Even), name: S.string() });
    expect(validate(Body, { n: 4, name: 'x' })).toEqual({ ok: true, value: { n: 4, name: 'x' } });
    expect(validate(Body, { n: null, m: 3 })).toEqual({
      ok: false,
      errors: { n: ['odd: null'], m: ['odd: 3'], name: ['This field is required.'] },
    });
    expect(validate(Body, { name: 'x' })).toEqual({ ok: false, errors: { n: ['This field is required.'] } });
  });

  it('S.reader at the top level reads the whole body (a list body) and answers its errors as the body', () => {
    const Pairs = S.reader<number[]>(S.list(S.integer()), (raw) =>
      Array.isArray(raw) ? { value: raw as number[] } : { error: { non_field_errors: ['not a list'] } },
    );
    expect(validate(Pairs, [1, 2])).toEqual({ ok: true, value: [1, 2] });
    expect(validate(Pairs, { a: 1 })).toEqual({ ok: false, errors: { non_field_errors: ['not a list'] } });
  });
});
