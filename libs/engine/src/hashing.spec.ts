import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { hashedPercentage, md5 } from './hashing';

/** The spec formula (docs/contracts/engine.md §6) written with node:crypto and BigInt, as an independent reference. */
function referencePercentage(text: string): number {
  const hex = createHash('md5').update(text, 'utf8').digest('hex');
  return (Number(BigInt('0x' + hex) % 9999n) / 9998) * 100;
}

describe('md5', () => {
  it.each([
    ['', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['abc', '900150983cd24fb0d6963f7d28e17f72'],
    ['The quick brown fox jumps over the lazy dog', '9e107d9d372bb6826bd81d3542a419d6'],
  ])('RFC test vector %j → digest %s', (text, hex) => {
    expect(Buffer.from(md5(text)).toString('hex')).toBe(hex);
  });

  it('any string (padding boundaries, multi-byte UTF-8, lone surrogates) → same digest as node:crypto', () => {
    const boundaries = [55, 56, 57, 63, 64, 65, 119, 120, 128].map((n) => 'x'.repeat(n));
    for (const text of [...boundaries, 'é', 'サイズ', '😀', '\ud800', 'a\udc00b', 'tamaño'.repeat(50)]) {
      expect(Buffer.from(md5(text)).toString('hex')).toBe(
        createHash('md5').update(text, 'utf8').digest('hex'),
      );
    }
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        expect(Buffer.from(md5(text)).toString('hex')).toBe(
          createHash('md5').update(text, 'utf8').digest('hex'),
        );
      }),
      { numRuns: 2000 },
    );
  });
});

describe('hashedPercentage', () => {
  it('feature key + identity key → the md5-mod-9999 percentage of "key,identity"', () => {
    expect(hashedPercentage(['78986', 'test_env_foobar'])).toBe(referencePercentage('78986,test_env_foobar'));
    expect(hashedPercentage(['78986', 'test_env_foobar'])).toBeCloseTo(54.5309, 4);
  });

  it('random ids → equal to the spec formula and within [0, 100)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const value = hashedPercentage([a, b]);
        const once = referencePercentage(`${a},${b}`);
        expect(value).toBe(once === 100 ? referencePercentage(`${a},${b},${a},${b}`) : once);
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThan(100);
      }),
      { numRuns: 2000 },
    );
  });

  it('same ids twice → same percentage (deterministic)', () => {
    expect(hashedPercentage(['16', 'env_user'])).toBe(hashedPercentage(['16', 'env_user']));
  });

  it('ids whose hash is exactly 9998 mod 9999 (100%) → re-hashed with the ids repeated', () => {
    expect(referencePercentage('16,user_41847')).toBe(100);
    expect(hashedPercentage(['16', 'user_41847'])).toBe(referencePercentage('16,user_41847,16,user_41847'));
    expect(hashedPercentage(['16', 'user_41847'])).toBeLessThan(100);
  });

  it('ids whose hash is 0 mod 9999 → exactly 0', () => {
    expect(hashedPercentage(['16', 'user_386'])).toBe(0);
  });

  it('null, undefined, numbers and arrays as ids → rendered like Array.prototype.join', () => {
    expect(hashedPercentage([undefined, 'x'])).toBe(referencePercentage(',x'));
    expect(hashedPercentage([null, 'x'])).toBe(referencePercentage(',x'));
    expect(hashedPercentage([16, 1.5])).toBe(referencePercentage('16,1.5'));
    expect(hashedPercentage(['16', [1, 2]])).toBe(referencePercentage('16,1,2'));
    expect(hashedPercentage(['16', { a: 1 }])).toBe(referencePercentage('16,[object Object]'));
  });
});
