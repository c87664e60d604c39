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

  it('keeps an empty query value of a field that allows blank text (a "?tags=" filter)', () => {
    const Query = S.object({
      tags: S.optional(S.string({ allowBlank: true })),
      type: S.optional(S.string()),
    });
    expect(validate(Query, { tags: '', type: '' }, { query: true })).toEqual({
      ok: true,
      value: { tags: '' },
    });
  });

  it('reads a pk list as BodyReader.integerList: ids, decimal strings and {id} objects, one message', () => {
    const Body = S.object({ tags: S.optional(S.pkList()) });
    expect(validate(Body, { tags: [1, '2', { id: 3 }] })).toEqual({ ok: true, value: { tags: [1, 2, 3] } });
    for (const tags of [[1, 'x', true], 'nope', [{ name: 'a' }]]) {
      const v = new BodyReader({ tags });
      v.integerList('tags', { optional: true });
      expect(validate(Body, { tags })).toEqual({ ok: false, errors: v.errors });
    }
    expect(validate(Body, { tags: ['x'] })).toEqual({
      ok: false,
      errors: { tags: ['Incorrect type. Expected pk value, received str.'] },
    });
  });
});
