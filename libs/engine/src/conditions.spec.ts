import { evaluate } from './engine';
import { hashedPercentage } from './hashing';
import type { ConditionValue, EvaluationContext, TraitValue } from './types';

const ENVIRONMENT = { key: 'env', name: 'Production' };

interface Case {
  readonly operator: string;
  readonly property?: string | null;
  readonly value?: ConditionValue;
  readonly traits?: Record<string, TraitValue>;
  readonly identifier?: string;
  readonly identityKey?: string;
}

/** Whether a one-condition segment (key "16") matches the identity. */
function matches({
  operator,
  property = 'trait',
  value,
  traits = {},
  identifier = 'user',
  identityKey,
}: Case): boolean {
  const context: EvaluationContext = {
    environment: ENVIRONMENT,
    identity: identityKey === undefined ? { identifier, traits } : { identifier, key: identityKey, traits },
    segments: {
      '16': {
        key: '16',
        name: 'segment',
        rules: [{ type: 'ALL', conditions: [{ property, operator, value }] }],
      },
    },
  };
  return evaluate(context).segments.length === 1;
}

const trait = (value: TraitValue, operator: string, conditionValue: ConditionValue): boolean =>
  matches({ operator, value: conditionValue, traits: { trait: value } });

describe('typed comparisons (EQUAL, NOT_EQUAL, GREATER_THAN…, CONTAINS)', () => {
  it('number trait → condition value parsed as a float', () => {
    expect(trait(12, 'GREATER_THAN', '11.5')).toBe(true);
    expect(trait(10, 'EQUAL', '10.0')).toBe(true);
    expect(trait(10, 'EQUAL', '1e1')).toBe(true);
    expect(trait(10, 'LESS_THAN_INCLUSIVE', '10')).toBe(true);
    expect(trait(10, 'GREATER_THAN', '10')).toBe(false);
  });

  it('number trait with an unparsable value → only NOT_EQUAL matches', () => {
    for (const operator of [
      'EQUAL',
      'GREATER_THAN',
      'GREATER_THAN_INCLUSIVE',
      'LESS_THAN',
      'LESS_THAN_INCLUSIVE',
    ]) {
      expect(trait(5, operator, 'abc')).toBe(false);
    }
    expect(trait(5, 'NOT_EQUAL', 'abc')).toBe(true);
  });

  it('string trait → compared as text, even when numeric-looking ("100" < "40")', () => {
    expect(trait('100', 'LESS_THAN', '40')).toBe(true);
    expect(trait('10', 'EQUAL', '10.0')).toBe(false);
  });

  it('boolean trait → any value but "False"/"false" counts as true', () => {
    expect(trait(true, 'EQUAL', 'True')).toBe(true);
    expect(trait(true, 'EQUAL', '0')).toBe(true);
    expect(trait(true, 'EQUAL', '')).toBe(true);
    expect(trait(false, 'EQUAL', 'false')).toBe(true);
    expect(trait(false, 'EQUAL', 'FALSE')).toBe(false);
    expect(trait(true, 'GREATER_THAN', 'false')).toBe(true);
  });

  it('CONTAINS → substring of a non-empty string trait only', () => {
    expect(trait('hello world', 'CONTAINS', 'o w')).toBe(true);
    expect(trait('', 'CONTAINS', '')).toBe(false);
    expect(trait(12345, 'CONTAINS', '234')).toBe(false);
  });

  it('NOT_CONTAINS → string traits lacking the value; non-strings and empty values never match', () => {
    expect(trait('hello', 'NOT_CONTAINS', 'x')).toBe(true);
    expect(trait('hello', 'NOT_CONTAINS', 'ell')).toBe(false);
    expect(trait(5, 'NOT_CONTAINS', 'x')).toBe(false);
    expect(trait('hello', 'NOT_CONTAINS', '')).toBe(false);
  });

  it('missing or null trait → every operator but IS_NOT_SET fails', () => {
    for (const operator of ['EQUAL', 'NOT_EQUAL', 'NOT_CONTAINS', 'REGEX', 'IN', 'IS_SET']) {
      expect(matches({ operator, value: 'x' })).toBe(false);
      expect(trait(null, operator, 'x')).toBe(false);
    }
    expect(matches({ operator: 'IS_NOT_SET', value: '' })).toBe(true);
    expect(trait(null, 'IS_NOT_SET', '')).toBe(true);
  });

  it('unknown operator or empty property → no match', () => {
    expect(trait('x', 'SIMILAR_TO', 'x')).toBe(false);
    expect(matches({ operator: 'EQUAL', property: '', value: 'x', traits: { '': 'x' } })).toBe(false);
    expect(matches({ operator: 'IS_NOT_SET', property: null, value: '' })).toBe(false);
  });
});

describe('semver values ("…:semver")', () => {
  it('ordering operators → semantic-version precedence, not text order', () => {
    expect(trait('1.10.0', 'GREATER_THAN', '1.9.0:semver')).toBe(true);
    expect(trait('1.0.0-beta', 'LESS_THAN', '1.0.0:semver')).toBe(true);
    expect(trait('1.0.0+build.1', 'EQUAL', '1.0.0:semver')).toBe(true);
    expect(trait('2.0.0', 'LESS_THAN_INCLUSIVE', '2.0.0:semver')).toBe(true);
  });

  it('invalid version on either side or a non-string trait → no match', () => {
    expect(trait('1.2', 'EQUAL', '1.2:semver')).toBe(false);
    expect(trait('banana', 'LESS_THAN', '1.0.0:semver')).toBe(false);
    expect(trait(1, 'GREATER_THAN_INCLUSIVE', '1.0.0:semver')).toBe(false);
  });

  it('NOT_EQUAL and CONTAINS → plain (loose) comparison with the suffix removed', () => {
    expect(trait('1.0.0+build', 'NOT_EQUAL', '1.0.0:semver')).toBe(true);
    expect(trait('1.0.0', 'NOT_EQUAL', '1.0.0:semver')).toBe(false);
    expect(trait(10, 'NOT_EQUAL', '10:semver')).toBe(false);
    expect(trait('v1.2.3-rc', 'CONTAINS', '1.2.3:semver')).toBe(true);
  });
});

describe('MODULO', () => {
  it('number trait with "divisor|remainder" → matches when trait % divisor equals the remainder', () => {
    expect(trait(10, 'MODULO', '3|1')).toBe(true);
    expect(trait(10, 'MODULO', '3|2')).toBe(false);
    expect(trait(0, 'MODULO', '2|0')).toBe(true);
  });

  it('float trait → JavaScript float remainder', () => {
    expect(trait(10.5, 'MODULO', '2|0.5')).toBe(true);
    expect(trait(5.5, 'MODULO', '2.5|0.5')).toBe(true);
  });

  it('negative trait → remainder takes the sign of the dividend (JS semantics)', () => {
    expect(trait(-7, 'MODULO', '3|-1')).toBe(true);
    expect(trait(-7, 'MODULO', '3|2')).toBe(false);
  });

  it('numeric string trait → parsed with parseFloat', () => {
    expect(trait('10', 'MODULO', '3|1')).toBe(true);
    expect(trait('10abc', 'MODULO', '3|1')).toBe(true);
    expect(trait('abc', 'MODULO', '3|1')).toBe(false);
  });

  it('boolean trait → no match', () => {
    expect(trait(true, 'MODULO', '1|0')).toBe(false);
  });

  it.each(['3', '3|1|1', '0|0', 'a|1', '3|b', '|', ''])('malformed value %j → no match', (value) => {
    expect(trait(10, 'MODULO', value)).toBe(false);
  });
});

describe('IN', () => {
  it('number trait → its string form must be one of the comma-separated items', () => {
    expect(trait(1, 'IN', '1,2,3')).toBe(true);
    expect(trait(1.5, 'IN', '1.5,2')).toBe(true);
    expect(trait(4, 'IN', '1,2,3')).toBe(false);
    expect(trait(10, 'IN', '10.0')).toBe(false);
  });

  it('JSON array value → string items match, numeric items never do', () => {
    expect(trait(1, 'IN', '["1","2"]')).toBe(true);
    expect(trait(1, 'IN', '[1,2]')).toBe(false);
    expect(trait('a', 'IN', ' ["a"]')).toBe(true);
  });

  it('invalid JSON starting with "[" → treated as comma-separated items', () => {
    expect(trait('[a', 'IN', '[a,b]')).toBe(true);
  });

  it('list value → exact item match', () => {
    expect(trait('b', 'IN', ['a', 'b'])).toBe(true);
    expect(trait(2, 'IN', ['2'])).toBe(true);
    expect(trait('c', 'IN', ['a', 'b'])).toBe(false);
  });

  it('items are not trimmed', () => {
    expect(trait('b', 'IN', 'a, b')).toBe(false);
    expect(trait(' b', 'IN', 'a, b')).toBe(true);
  });

  it('falsy or boolean trait (0, "", false, true) → no match', () => {
    expect(trait(0, 'IN', '0,1')).toBe(false);
    expect(trait('', 'IN', ',a')).toBe(false);
    expect(trait(false, 'IN', 'false')).toBe(false);
    expect(trait(true, 'IN', 'true')).toBe(false);
  });

  it('null value → no match', () => {
    expect(trait('a', 'IN', null)).toBe(false);
  });
});

describe('REGEX', () => {
  it('pattern → unanchored search in the trait text', () => {
    expect(trait('xx-abc-yy', 'REGEX', 'abc')).toBe(true);
    expect(trait('ABC', 'REGEX', 'abc')).toBe(false);
    expect(trait('user@example.com', 'REGEX', '@example\\.com$')).toBe(true);
  });

  it('number and boolean traits → matched against their JavaScript string form', () => {
    expect(trait(42, 'REGEX', '^4\\d$')).toBe(true);
    expect(trait(true, 'REGEX', '^true$')).toBe(true);
    expect(trait(false, 'REGEX', '^False$')).toBe(false);
  });

  it.each(['[', '(a', '*', '(?<x>a)(?<x>b)'])('invalid pattern %j → no match, no error', (pattern) => {
    expect(() => trait('anything', 'REGEX', pattern)).not.toThrow();
    expect(trait('[(a*', 'REGEX', pattern)).toBe(false);
  });

  it('empty pattern → no match', () => {
    expect(trait('anything', 'REGEX', '')).toBe(false);
  });

  it('the same pattern evaluated repeatedly → same answer (no lastIndex state)', () => {
    expect([1, 2, 3].map(() => trait('abc', 'REGEX', 'b'))).toEqual([true, true, true]);
  });
});

describe('REGEX (RE2 semantics)', () => {
  it('nested quantifier ^(a+)+$ against 10 000 characters → answered in linear time', () => {
    expect(trait('aa!', 'REGEX', '^(a+)+$')).toBe(false); // compiles the pattern, warms the matcher up
    const started = performance.now();
    expect(trait(`${'a'.repeat(10_000)}!`, 'REGEX', '^(a+)+$')).toBe(false);
    expect(trait('a'.repeat(10_000), 'REGEX', '^(a+)+$')).toBe(true);
    // Well under 50 ms when warm; a backtracking engine needs minutes from 30 characters on, so 1 s only
    // leaves room for a loaded machine.
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it.each([
    ['backreference', '(a)\\1', 'aa'],
    ['named backreference', '(?<x>a)\\k<x>', 'aa'],
    ['lookahead', '(?=a)a', 'a'],
    ['negative lookahead', '(?!b)a', 'a'],
    ['lookbehind', '(?<=a)b', 'ab'],
    ['negative lookbehind', '(?<!b)a', 'a'],
    ['repeat count over 1000', 'a{1001}', 'a'.repeat(1001)],
    ['\\u escape', '\\u0041', 'A'],
    ['empty negated class', '[^]', 'x'],
  ])('%s (JavaScript matches, RE2 cannot compile) → no match, no error', (_name, pattern, text) => {
    expect(new RegExp(pattern).test(text)).toBe(true);
    expect(() => trait(text, 'REGEX', pattern)).not.toThrow();
    expect(trait(text, 'REGEX', pattern)).toBe(false);
  });

  it.each(['a**', '(?P<x>a', 'x{2,1}', '(?<x>a)(?<x>b)', '\\', 'a)'])(
    'malformed pattern %j → no match, no error',
    (pattern) => {
      expect(() => trait('a', 'REGEX', pattern)).not.toThrow();
      expect(trait('a', 'REGEX', pattern)).toBe(false);
    },
  );

  it.each([
    ['Python named group', '(?P<name>ab)c', 'xabc'],
    ['inline case-insensitive flag', '(?i)^abc$', 'ABC'],
    ['inline flag group', '(?i:a)b', 'Ab'],
    ['inline dot-all flag', '(?s)a.b', 'a\nb'],
    ['inline multi-line flag', '(?m)^b$', 'a\nb\nc'],
    ['text anchors', '\\Aab\\z', 'ab'],
    ['Unicode class', '^\\pL+$', 'tamaño'],
    ['Unicode script', '\\p{Greek}', 'αβ'],
    ['POSIX class', '^[[:digit:]]+$', '123'],
    ['quoted literal', '^\\Qa.b\\E$', 'a.b'],
    ['hex escape with braces', '\\x{41}', 'A'],
  ])('RE2 syntax JavaScript lacks: %s → understood', (_name, pattern, text) => {
    expect(trait(text, 'REGEX', pattern)).toBe(true);
  });

  it('partial match: a match anywhere in the text counts (Python re.search, RE2 PartialMatch)', () => {
    expect(trait('xx-abc-yy', 'REGEX', 'b.')).toBe(true);
    expect(trait('xabc', 'REGEX', '^abc')).toBe(false);
    expect(trait('abcx', 'REGEX', 'abc$')).toBe(false);
    // $ is the end of the text only (RE2, JavaScript), not also before a final newline (Python).
    expect(trait('abc\n', 'REGEX', 'abc$')).toBe(false);
    expect(trait('ABC', 'REGEX', 'abc')).toBe(false);
  });

  it('character classes → ASCII \\d \\w \\s, . matches \\r and one code point', () => {
    expect(trait('٣', 'REGEX', '\\d')).toBe(false);
    expect(trait('é', 'REGEX', '\\w')).toBe(false);
    expect(trait('\u00a0', 'REGEX', '\\s')).toBe(false);
    expect(trait('\r', 'REGEX', '^.$')).toBe(true);
    expect(trait('\n', 'REGEX', '^.$')).toBe(false);
    expect(trait('😀', 'REGEX', '^.$')).toBe(true);
  });

  it('lone surrogate in the text → evaluated, no error', () => {
    expect(trait('a\ud800b', 'REGEX', 'a.b')).toBe(true);
  });
});

describe('PERCENTAGE_SPLIT', () => {
  const identityKey = 'env_user';
  const percentage = hashedPercentage(['16', identityKey]);
  const split = (value: string, key = identityKey): boolean =>
    matches({ operator: 'PERCENTAGE_SPLIT', property: null, value, identityKey: key });

  it('value equal to the identity’s percentage → match (inclusive bound)', () => {
    expect(split(String(percentage))).toBe(true);
  });

  it('value just below the identity’s percentage → no match', () => {
    expect(split(String(percentage - 1e-9))).toBe(false);
  });

  it('value "0" → only an identity hashing to exactly 0 matches', () => {
    expect(hashedPercentage(['16', 'user_386'])).toBe(0);
    expect(split('0', 'user_386')).toBe(true);
    expect(split('0', identityKey)).toBe(false);
  });

  it('value "100" → every identity matches', () => {
    expect(split('100')).toBe(true);
  });

  it('negative or non-numeric value → no match', () => {
    expect(split('-1')).toBe(false);
    expect(split('abc')).toBe(false);
    expect(split('')).toBe(false);
  });

  it('no explicit identity key → hashed with "<environment key>_<identifier>"', () => {
    const value = String(hashedPercentage(['16', 'env_someone']));
    expect(matches({ operator: 'PERCENTAGE_SPLIT', property: null, value, identifier: 'someone' })).toBe(
      true,
    );
    const below = String(hashedPercentage(['16', 'env_someone']) - 1e-9);
    expect(
      matches({ operator: 'PERCENTAGE_SPLIT', property: null, value: below, identifier: 'someone' }),
    ).toBe(false);
  });

  it('JSONPath property → hashes the value found in the context', () => {
    const value = String(hashedPercentage(['16', 'acme']));
    const base = { operator: 'PERCENTAGE_SPLIT', property: '$.identity.traits.company', value };
    expect(matches({ ...base, traits: { company: 'acme' } })).toBe(true);
    expect(matches({ ...base, value: String(Number(value) - 1e-9), traits: { company: 'acme' } })).toBe(
      false,
    );
  });

  it('bare trait name as property → no match (only JSONPath is read)', () => {
    expect(
      matches({ operator: 'PERCENTAGE_SPLIT', property: 'company', value: '100', traits: { company: 'x' } }),
    ).toBe(false);
  });

  it('JSONPath property resolving to 0, "" or nothing → no match', () => {
    const property = '$.identity.traits.company';
    expect(matches({ operator: 'PERCENTAGE_SPLIT', property, value: '100', traits: { company: 0 } })).toBe(
      false,
    );
    expect(matches({ operator: 'PERCENTAGE_SPLIT', property, value: '100', traits: { company: '' } })).toBe(
      false,
    );
    expect(matches({ operator: 'PERCENTAGE_SPLIT', property, value: '100', traits: {} })).toBe(false);
  });
});
