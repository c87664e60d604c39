import { createHash, randomBytes } from 'node:crypto';
import { hashedPercentage } from '../../libs/engine/src';
import { md5Mod9999, percentageOf } from './md5';

function reference(text: string): number {
  let r = 0;
  for (const byte of createHash('md5').update(text, 'utf8').digest()) r = (r * 256 + byte) % 9999;
  return r;
}

function randomText(length: number, seed: Buffer): string {
  let text = '';
  for (let i = 0; i < length; i++) {
    const b = seed[i % seed.length] ^ i;
    text += b < 180 ? String.fromCharCode(32 + (b % 95)) : b < 230 ? String.fromCharCode(0x80 + b * 7) : '😀';
  }
  return text;
}

describe('md5Mod9999', () => {
  it.each([
    ['empty', ''],
    ['ascii', '12345,B62qaMZNwfiqT76p38ggrQ_user_123'],
    ['two-byte', 'é'],
    ['three-byte', '日本語'],
    ['surrogate pair', '😀x'],
    ['lone surrogate', '\ud800'],
    ['55 bytes (one block)', 'x'.repeat(55)],
    ['56 bytes (two blocks)', 'x'.repeat(56)],
    ['64 bytes', 'x'.repeat(64)],
    ['3000 bytes', 'y'.repeat(3000)],
  ])('%s input → same value as node:crypto', (_name, text) => {
    expect(md5Mod9999(text)).toBe(reference(text));
  });

  it('2000 random texts of 0–300 characters → same values as node:crypto', () => {
    const mismatches: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const text = randomText(i % 300, randomBytes(64));
      if (md5Mod9999(text) !== reference(text)) mismatches.push(text);
    }
    expect(mismatches).toEqual([]);
  });
});

describe('percentageOf', () => {
  it('any pair of ids → the engine hashedPercentage of the two', () => {
    for (let i = 0; i < 500; i++) {
      const a = String(i * 7919);
      const b = `key_${randomBytes(8).toString('hex')}_user_${i}`;
      expect(percentageOf(a, b)).toBe(hashedPercentage([a, b]));
    }
  });
});
