import { createHash } from 'node:crypto';

/** md5 digest reduced modulo 9999, computed byte by byte (equal to `BigInt('0x' + hex) % 9999n`). */
function md5Mod9999(input: string): number {
  const digest = createHash('md5').update(input, 'utf8').digest();
  let remainder = 0;
  for (let i = 0; i < digest.length; i++) {
    remainder = (remainder * 256 + digest[i]) % 9999;
  }
  return remainder;
}

/**
 * Deterministic percentage in [0, 100) for a list of ids (spec/engine.md §6).
 *
 * The ids are joined with `,` exactly like `Array.prototype.join` does (null/undefined render as an empty
 * string, nested arrays are flattened, objects render via `String()`), repeated `iterations` times.
 * A result of exactly 100 is re-hashed with one more repetition.
 */
export function hashedPercentage(ids: readonly unknown[], iterations = 1): number {
  const joined = ids.join(',');
  let input = joined;
  for (let i = 1; i < iterations; i++) input += ',' + joined;
  const value = (md5Mod9999(input) / 9998) * 100;
  return value === 100 ? hashedPercentage(ids, iterations + 1) : value;
}
