import { BadRequestException } from '@nestjs/common';
import { parseFormBody, parseJsonBody } from './body-parsers';

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
});
