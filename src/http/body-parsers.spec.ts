import { BadRequestException } from '@nestjs/common';
import {
  NULL_CHARACTER_MESSAGE,
  parseFormBody,
  parseJsonBody,
  UnsafeTextError,
  unsafeTextError,
} from './body-parsers';

describe('body parsers', () => {
  it('an empty or blank JSON body is "no data"', () => {
    expect(parseJsonBody('')).toBeUndefined();
    expect(parseJsonBody('  \n')).toBeUndefined();
  });

  it('valid JSON is parsed', () => {
    expect(parseJsonBody('{"identifier":"u1","traits":[{"trait_key":"a","trait_value":1}]}')).toEqual({
      identifier: 'u1',
      traits: [{ trait_key: 'a', trait_value: 1 }],
    });
  });

  it('malformed JSON → 400 {"detail": "JSON parse error - …"}', () => {
    try {
      parseJsonBody('{"a":');
      throw new Error('expected a throw');
    } catch (err) {
      expect(err).toBeInstanceOf(BadRequestException);
      expect((err as BadRequestException).getResponse()).toEqual({
        detail: expect.stringMatching(/^JSON parse error - .+/),
      });
    }
  });

  it('prototype poisoning is refused, while ordinary keys containing the words are fine', () => {
    expect(() => parseJsonBody('{"__proto__":{"admin":true}}')).toThrow(BadRequestException);
    expect(() => parseJsonBody('{"constructor":{"prototype":{"x":1}}}')).toThrow(BadRequestException);
    expect(parseJsonBody('{"name":"__proto__ prototype"}')).toEqual({ name: '__proto__ prototype' });
  });

  it('form bodies: repeated keys become arrays', () => {
    expect(parseFormBody('a=1&b=x%20y&a=2')).toEqual({ a: ['1', '2'], b: 'x y' });
  });

  describe('text PostgreSQL cannot store (NUL, lone surrogates)', () => {
    const refusal = (text: string) => {
      try {
        parseJsonBody(text);
      } catch (err) {
        expect(err).toBeInstanceOf(UnsafeTextError);
        return { body: (err as UnsafeTextError).getResponse(), message: (err as UnsafeTextError).message };
      }
      throw new Error('expected a refusal');
    };
    const NUL = [NULL_CHARACTER_MESSAGE];
    const D800 = ['Surrogate characters are not allowed: U+D800.'];

    it('a NUL or a lone surrogate in a field → 400 naming the field, with DRF’s messages', () => {
      expect(refusal('{"name":"a\\u0000b","ok":"x"}')).toEqual({
        body: { name: NUL },
        message: `name: ${NUL[0]}`,
      });
      expect(refusal('{"name":"a\\ud800"}').body).toEqual({ name: D800 });
      expect(refusal('{"name":"\\udc00b"}').body).toEqual({
        name: ['Surrogate characters are not allowed: U+DC00.'],
      });
      expect(refusal('{"name":"\\ude00\\ud83d"}').body).toEqual({
        name: ['Surrogate characters are not allowed: U+DE00.'],
      });
    });

    it('nested fields: objects by key, lists of objects as [{}, {…}], lists of strings by index key', () => {
      const traits = refusal(
        '{"traits":[{"trait_key":"a","trait_value":1},{"trait_key":"b","trait_value":"\\u0000"}]}',
      );
      expect(traits).toEqual({
        body: { traits: [{}, { trait_value: NUL }] },
        message: `traits.1.trait_value: ${NUL[0]}`,
      });
      expect(refusal('{"tags":["ok","\\ud800"]}').body).toEqual({ tags: { 1: D800 } });
      expect(refusal('[{"a":"x"},{"a":"\\u0000"}]').body).toEqual([{}, { a: NUL }]);
      expect(refusal('"\\u0000"').body).toEqual({ non_field_errors: NUL });
      expect(refusal('{"a\\u0000":1}').body).toEqual({ non_field_errors: NUL });
    });

    it('hostile nesting is reported at a bounded depth, without recursion', () => {
      const deep = `${'['.repeat(100_000)}"\\u0000"${']'.repeat(100_000)}`;
      expect(JSON.stringify(refusal(deep).body)).toContain(NUL[0]);
    });

    it('surrogate pairs (escaped or raw), escaped backslashes and other escapes are accepted', () => {
      expect(parseJsonBody('{"e":"\\ud83d\\ude00","r":"😀","b":"\\\\u0000","c":"\\u0001"}')).toEqual({
        e: '😀',
        r: '😀',
        b: '\\u0000',
        c: '\u0001',
      });
    });

    it('form bodies: a %00 is refused too', () => {
      expect(() => parseFormBody('name=a%00b')).toThrow(UnsafeTextError);
      expect(parseFormBody('name=a%2500b')).toEqual({ name: 'a%00b' });
    });

    it('query and path values are checked the same way', () => {
      expect(unsafeTextError({ identifier: 'a\u0000' })?.getResponse()).toEqual({ identifier: NUL });
      expect(unsafeTextError({ identifier: 'a' })).toBeUndefined();
    });
  });
});
