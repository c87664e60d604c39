import { compileContextPath, compileValueGetter, enrichIdentity, type Scope } from './context-path';
import type { Traits } from './types';

function scopeFor(traits: Traits, identifier = 'user_1'): Scope {
  const root = {
    environment: { key: 'env', name: 'Production' },
    features: { f: { name: 'f', value: 'v' } },
  };
  return { identity: enrichIdentity({ identifier, traits }, 'env'), root };
}

const read = (property: string, traits: Traits = {}, identifier?: string): unknown =>
  compileValueGetter(property)(scopeFor(traits, identifier));

describe('compileContextPath', () => {
  it.each([
    ['$.identity.identifier', ['identity', 'identifier']],
    ['$[\'identity\']["key"]', ['identity', 'key']],
    ['$.identity.traits.tamaño', ['identity', 'traits', 'tamaño']],
    ["$.identity.traits['a.b']", ['identity', 'traits', 'a.b']],
    ['$.identity.traits.a b', ['identity', 'traits', 'a b']],
    ['$.arr[0]', ['arr', '0']],
    ['$.identity.', ['identity']],
    ['$.', []],
  ])('supported path %j → member names %j', (path, names) => {
    expect(compileContextPath(path)).toEqual(names);
  });

  it.each([
    '$..identifier',
    '$.identity.*',
    "$.identity['a..b']",
    '$.a[?(@.x)]',
    '$.a,b',
    '$.a@b',
    'identity',
    '$x',
  ])('unsupported path %j → null', (path) => {
    expect(compileContextPath(path)).toBeNull();
  });
});

describe('condition property resolution', () => {
  it('bare name → trait value', () => {
    expect(read('age', { age: 30 })).toBe(30);
  });

  it("$.identity.traits.<name> and ['<name>'] → trait value, whatever characters the name has", () => {
    expect(read('$.identity.traits.a.b', { 'a.b': 1 })).toBe(1);
    expect(read("$.identity.traits['[$the.size$]']", { '[$the.size$]': 2 })).toBe(2);
  });

  it('context paths → enriched identity and environment values', () => {
    expect(read('$.identity.identifier')).toBe('user_1');
    expect(read('$.identity.key')).toBe('env_user_1');
    expect(read('$.environment.name')).toBe('Production');
    expect(read('$.features.f.value')).toBe('v');
  });

  it('path through a string → own string members (length, index)', () => {
    expect(read('$.identity.identifier.length')).toBe(6);
    expect(read('$.identity.identifier[0]')).toBe('u');
  });

  it('path to an object or to nothing → falls back to a trait named like the path', () => {
    expect(read('$.identity', { '$.identity': 'literal' })).toBe('literal');
    expect(read('$.nope', { '$.nope': 'literal' })).toBe('literal');
    expect(read('$.identity')).toBeUndefined();
  });

  it('unsupported JSONPath → trait named like the path', () => {
    expect(read('$. i am not" a valid jsonpath', { '$. i am not" a valid jsonpath': 'x' })).toBe('x');
  });

  it('names inherited from Object.prototype → not traits', () => {
    expect(read('toString')).toBeUndefined();
    expect(read('constructor')).toBeUndefined();
    expect(read('__proto__')).toBeUndefined();
    expect(read('$.identity.traits.hasOwnProperty')).toBeUndefined();
  });

  it('own trait named like a prototype member → its value', () => {
    const traits = JSON.parse('{"__proto__": "p", "constructor": "c"}') as Traits;
    expect(read('__proto__', traits)).toBe('p');
    expect(read('constructor', traits)).toBe('c');
  });
});
