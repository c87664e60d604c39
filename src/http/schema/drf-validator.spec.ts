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

  it('reads an email field and a list of primary keys as BodyReader does', () => {
    const Invite = S.object({ email: S.email(), groups: S.optional(S.pkList()) });
    const byHand = (body: unknown) => {
      const v = new BodyReader(body);
      const out = { email: v.email('email'), groups: v.integerList('groups', { optional: true }) };
      return v.valid
        ? { ok: true, value: JSON.parse(JSON.stringify(out)) as unknown }
        : { ok: false, errors: v.errors };
    };
    for (const body of [
      { email: ' a@b.co ', groups: [1, '2', { id: 3 }] },
      { email: 'nope', groups: [1, 'x'] },
      { email: '', groups: 'x' },
      { email: `${'a'.repeat(250)}@b.co`, groups: [{ id: null }] },
      { groups: [] },
    ])
      expect(validate(Invite, body)).toEqual(byHand(body));
    expect(validate(Invite, { email: 'a@b.co', groups: [1, { id: 'x' }] })).toEqual({
      ok: false,
      errors: { groups: ['Incorrect type. Expected pk value, received dict.'] },
    });
  });

  it('reads a float from a number or numeric text, unbounded, and refuses blank or non-finite text', () => {
    const Float = S.object({ value: S.optional(S.nullable(S.number())) });
    expect(validate(Float, { value: ' 1e12 ' })).toEqual({ ok: true, value: { value: 1e12 } });
    expect(validate(Float, { value: -3000000000.5 })).toEqual({ ok: true, value: { value: -3000000000.5 } });
    expect(validate(Float, { value: null })).toEqual({ ok: true, value: { value: null } });
    for (const bad of ['', ' ', 'x', 'Infinity', true, [1]])
      expect(validate(Float, { value: bad })).toEqual({
        ok: false,
        errors: { value: ['A valid number is required.'] },
      });
  });

  it('answers a blank or malformed date-time with the date-time message, as BodyReader.datetime does', () => {
    const Key = S.object({ expires_at: S.optional(S.nullable(S.dateTime())) });
    for (const raw of ['', ' ', 'soon', '01/02/2030', 2030, true]) {
      const byHand = new BodyReader({ expires_at: raw });
      byHand.datetime('expires_at', { optional: true, nullable: true });
      expect(validate(Key, { expires_at: raw })).toEqual({ ok: false, errors: byHand.errors });
    }
    expect(validate(Key, { expires_at: null })).toEqual({ ok: true, value: { expires_at: null } });
    expect(validate(Key, { expires_at: '2030-01-01T00:00:00Z' })).toEqual({
      ok: true,
      value: { expires_at: '2030-01-01T00:00:00Z' },
    });
  });
});

describe('S.choiceList (a MultipleChoiceField)', () => {
  const Grant = S.object({ permissions: S.optional(S.choiceList(['VIEW', 'EDIT'])) });

  it('agrees with BodyReader.stringList on values and messages for any list', () => {
    const item = fc.oneof(
      fc.constantFrom('VIEW', 'EDIT', 'view', '', null, 5, true),
      fc.string({ maxLength: 4 }),
    );
    fc.assert(
      fc.property(
        fc.oneof(fc.array(item, { maxLength: 4 }), anyValue as fc.Arbitrary<unknown>),
        (permissions) => {
          const v = new BodyReader({ permissions });
          const value = v.stringList('permissions', { optional: true, choices: ['VIEW', 'EDIT'] });
          const byHand = v.valid
            ? { ok: true, value: { permissions: value } }
            : { ok: false, errors: v.errors };
          expect(validate(Grant, { permissions })).toEqual(byHand);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('answers the first bad item flat under the field, not by index', () => {
    expect(validate(Grant, { permissions: ['VIEW', 'FLY', 7] })).toEqual({
      ok: false,
      errors: { permissions: ['"FLY" is not a valid choice.'] },
    });
    expect(validate(Grant, { permissions: [7, 'FLY'] })).toEqual({
      ok: false,
      errors: { permissions: ['Not a valid string.'] },
    });
  });

  it('documents the choices as the items of an array', () => {
    expect(JSON.parse(JSON.stringify(S.choiceList(['VIEW'])))).toEqual({
      type: 'array',
      items: { type: 'string', enum: ['VIEW'] },
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
