import fc from 'fast-check';
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

const REQUIRED = 'This field is required.';
const INTEGER = 'A valid integer is required.';

/** DRF's reading of each field type: coercions and messages, pinned. */
const CASES: readonly [body: unknown, partial: boolean, expected: unknown][] = [
  [{}, false, { ok: false, errors: { name: [REQUIRED] } }],
  [{}, true, { ok: true, value: {} }],
  [{ name: ' x ', unknown: 1 }, false, { ok: true, value: { name: 'x' } }],
  [{ name: 5 }, false, { ok: true, value: { name: '5' } }],
  [{ name: '  ' }, false, { ok: false, errors: { name: ['This field may not be blank.'] } }],
  [{ name: true }, false, { ok: false, errors: { name: ['Not a valid string.'] } }],
  [{ name: ['a'] }, false, { ok: false, errors: { name: ['Not a valid string.'] } }],
  [
    { name: 'x'.repeat(21) },
    false,
    { ok: false, errors: { name: ['Ensure this field has no more than 20 characters.'] } },
  ],
  [{ name: null }, true, { ok: false, errors: { name: ['This field may not be null.'] } }],
  [{ count: ' 7 ', limit: null }, true, { ok: true, value: { count: 7, limit: null } }],
  [
    { count: 0, limit: 51 },
    true,
    {
      ok: false,
      errors: {
        count: ['Ensure this value is greater than or equal to 1.'],
        limit: ['Ensure this value is less than or equal to 50.'],
      },
    },
  ],
  [{ count: 1.5 }, true, { ok: false, errors: { count: [INTEGER] } }],
  [{ count: 'x' }, true, { ok: false, errors: { count: [INTEGER] } }],
  [{ count: true }, true, { ok: false, errors: { count: [INTEGER] } }],
  [{ flag: 'yes' }, true, { ok: true, value: { flag: true } }],
  [{ flag: 'off' }, true, { ok: true, value: { flag: false } }],
  [{ flag: 0 }, true, { ok: true, value: { flag: false } }],
  [{ flag: 'maybe' }, true, { ok: false, errors: { flag: ['Must be a valid boolean.'] } }],
  [{ flag: 2 }, true, { ok: false, errors: { flag: ['Must be a valid boolean.'] } }],
  [{ note: ' ', text: '' }, true, { ok: true, value: { note: null, text: '' } }],
  [{ kind: 'A' }, true, { ok: true, value: { kind: 'A' } }],
  [{ kind: 'a' }, true, { ok: false, errors: { kind: ['"a" is not a valid choice.'] } }],
  [{ kind: { a: 1 } }, true, { ok: false, errors: { kind: ['"{"a":1}" is not a valid choice.'] } }],
  [
    [],
    false,
    {
      ok: false,
      errors: {
        non_field_errors: ['Invalid data. Expected a dictionary, but got list.'],
        name: [REQUIRED],
      },
    },
  ],
  [
    'text',
    true,
    { ok: false, errors: { non_field_errors: ['Invalid data. Expected a dictionary, but got str.'] } },
  ],
  [null, true, { ok: true, value: {} }],
];

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
  it.each(CASES)("reads %j (partial: %s) with DRF's coercions and messages", (body, partial, expected) => {
    expect(validate(Body, body, { partial })).toEqual(expected);
  });

  it('answers any body with known fields only: values, or one list of messages per bad field', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.dictionary(fc.constantFrom(...FIELDS), anyValue), anyValue as fc.Arbitrary<unknown>),
        fc.boolean(),
        (body, partial) => {
          const result = validate(Body, body, { partial });
          const keys = Object.keys(result.ok ? result.value : result.errors);
          expect(keys.filter((k) => !FIELDS.includes(k) && k !== 'non_field_errors')).toEqual([]);
          expect(keys).not.toContain('unknown');
          if (!result.ok)
            for (const messages of Object.values(result.errors))
              expect(messages).toEqual([expect.any(String)]);
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

  it('reads a pk list: ids, decimal strings and {id} objects, one message for the field', () => {
    const Body = S.object({ tags: S.optional(S.pkList()) });
    expect(validate(Body, { tags: [1, '2', { id: 3 }] })).toEqual({ ok: true, value: { tags: [1, 2, 3] } });
    for (const [tags, message] of [
      [[1, 'x', true], 'Incorrect type. Expected pk value, received str.'],
      ['nope', 'Expected a list of items but got type "str".'],
      [[{ name: 'a' }], 'Incorrect type. Expected pk value, received dict.'],
    ] as const)
      expect(validate(Body, { tags })).toEqual({ ok: false, errors: { tags: [message] } });
    expect(validate(Body, { tags: ['x'] })).toEqual({
      ok: false,
      errors: { tags: ['Incorrect type. Expected pk value, received str.'] },
    });
  });

  it('reads an email field (trimmed, at most 254 characters) and a list of primary keys', () => {
    const Invite = S.object({ email: S.email(), groups: S.optional(S.pkList()) });
    const pk = (type: string) => `Incorrect type. Expected pk value, received ${type}.`;
    const EMAIL = 'Enter a valid email address.';
    for (const [body, expected] of [
      [
        { email: ' a@b.co ', groups: [1, '2', { id: 3 }] },
        { ok: true, value: { email: 'a@b.co', groups: [1, 2, 3] } },
      ],
      [
        { email: 'nope', groups: [1, 'x'] },
        { ok: false, errors: { email: [EMAIL], groups: [pk('str')] } },
      ],
      [
        { email: '', groups: 'x' },
        {
          ok: false,
          errors: {
            email: ['This field may not be blank.'],
            groups: ['Expected a list of items but got type "str".'],
          },
        },
      ],
      [
        { email: `${'a'.repeat(250)}@b.co`, groups: [{ id: null }] },
        {
          ok: false,
          errors: {
            email: ['Ensure this field has no more than 254 characters.'],
            groups: [pk('dict')],
          },
        },
      ],
      [{ groups: [] }, { ok: false, errors: { email: [REQUIRED] } }],
    ] as const)
      expect(validate(Invite, body)).toEqual(expected);
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

  it('answers a blank or malformed date-time with the date-time message', () => {
    const Key = S.object({ expires_at: S.optional(S.nullable(S.dateTime())) });
    for (const raw of ['', ' ', 'soon', '01/02/2030', 2030, true])
      expect(validate(Key, { expires_at: raw })).toEqual({
        ok: false,
        errors: {
          expires_at: [
            'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].',
          ],
        },
      });
    expect(validate(Key, { expires_at: null })).toEqual({ ok: true, value: { expires_at: null } });
    expect(validate(Key, { expires_at: '2030-01-01T00:00:00Z' })).toEqual({
      ok: true,
      value: { expires_at: '2030-01-01T00:00:00Z' },
    });
  });
});

describe('S.choiceList (a MultipleChoiceField)', () => {
  const Grant = S.object({ permissions: S.optional(S.choiceList(['VIEW', 'EDIT'])) });

  it('answers any list by its first bad item: not text, then not a choice', () => {
    const item = fc.oneof(
      fc.constantFrom('VIEW', 'EDIT', 'view', '', null, 5, true),
      fc.string({ maxLength: 4 }),
    );
    fc.assert(
      fc.property(
        fc.oneof(fc.array(item, { maxLength: 4 }), anyValue as fc.Arbitrary<unknown>),
        (permissions) => {
          const bad = Array.isArray(permissions)
            ? (permissions as unknown[]).find((p) => typeof p !== 'string' || !['VIEW', 'EDIT'].includes(p))
            : undefined;
          const expected = !Array.isArray(permissions)
            ? permissions === null
              ? ['This field may not be null.']
              : [expect.stringMatching(/^Expected a list of items but got type "\w+"\.$/)]
            : bad === undefined
              ? undefined
              : [typeof bad === 'string' ? `"${bad}" is not a valid choice.` : 'Not a valid string.'];
          expect(validate(Grant, { permissions })).toEqual(
            expected
              ? { ok: false, errors: { permissions: expected } }
              : { ok: true, value: { permissions } },
          );
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

describe('S.nullable(S.choice(...))', () => {
  const Body = S.object({ kind: S.optional(S.nullable(S.choice(['A', 'B']))) });

  it('reads null as a value and still refuses an unknown choice', () => {
    expect(validate(Body, { kind: null })).toEqual({ ok: true, value: { kind: null } });
    expect(validate(Body, { kind: 'C' })).toEqual({
      ok: false,
      errors: { kind: ['"C" is not a valid choice.'] },
    });
  });

  it('documents null among the choices, so an OpenAPI 3.0 validator accepts it', () => {
    expect(JSON.parse(JSON.stringify(S.nullable(S.choice(['A', 'B']))))).toEqual({
      type: 'string',
      enum: ['A', 'B', null],
      nullable: true,
    });
  });
});
