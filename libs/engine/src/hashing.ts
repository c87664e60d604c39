/**
 * Bucketing hash (docs/contracts/engine.md §6): md5 of the comma-joined ids, as an integer modulo 9999, scaled to
 * [0, 100]. This runs for every multivariate feature and percentage-split condition of every identity
 * evaluation, so MD5 is implemented here on a reused buffer instead of allocating a node:crypto Hash per
 * call (several times faster for the short inputs involved); it is checked against node:crypto in tests.
 */

/** Per-round left-rotation amounts. */
const SHIFTS = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
/** K[i] = floor(|sin(i + 1)| * 2^32) (RFC 1321). */
// prettier-ignore
const K = Int32Array.from([
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
  0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
  0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
  0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
  0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
  0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
  0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
  0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
]);

let buffer = new Uint8Array(256);
const words = new Int32Array(16);
/** The four state words after the last md5Words() call (little-endian byte order within each word). */
const state = new Int32Array(4);

/** Writes `text` as UTF-8 into `buffer` (grown when needed); returns the byte length. */
function encodeUtf8(text: string): number {
  if (buffer.length < text.length * 3 + 72) buffer = new Uint8Array(text.length * 3 + 72);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      buffer[n++] = c;
      continue;
    }
    if (c < 0x800) {
      buffer[n++] = 0xc0 | (c >> 6);
    } else {
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        const low = text.charCodeAt(i + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
          i++;
          buffer[n++] = 0xf0 | (c >> 18);
          buffer[n++] = 0x80 | ((c >> 12) & 0x3f);
          buffer[n++] = 0x80 | ((c >> 6) & 0x3f);
          buffer[n++] = 0x80 | (c & 0x3f);
          continue;
        }
      }
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // lone surrogate → U+FFFD, as Buffer/TextEncoder do
      buffer[n++] = 0xe0 | (c >> 12);
      buffer[n++] = 0x80 | ((c >> 6) & 0x3f);
    }
    buffer[n++] = 0x80 | (c & 0x3f);
  }
  return n;
}

/** Runs MD5 over the UTF-8 encoding of `text`, leaving the digest in `state`. */
function md5Words(text: string): void {
  const length = encodeUtf8(text);
  // Padding: 0x80, zeros up to 56 mod 64, then the bit length (little-endian, 64 bits).
  const total = (((length + 8) >> 6) + 1) << 6;
  buffer[length] = 0x80;
  buffer.fill(0, length + 1, total);
  const bits = length * 8;
  for (let i = 0; i < 4; i++) buffer[total - 8 + i] = (bits >>> (8 * i)) & 0xff;
  const high = Math.floor(bits / 2 ** 32);
  for (let i = 0; i < 4; i++) buffer[total - 4 + i] = (high >>> (8 * i)) & 0xff;

  let a0 = 0x67452301;
  let b0 = 0xefcdab89 | 0;
  let c0 = 0x98badcfe | 0;
  let d0 = 0x10325476;
  for (let offset = 0; offset < total; offset += 64) {
    for (let i = 0; i < 16; i++) {
      const p = offset + i * 4;
      words[i] = buffer[p] | (buffer[p + 1] << 8) | (buffer[p + 2] << 16) | (buffer[p + 3] << 24);
    }
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      const sum = (a + f + K[i] + words[g]) | 0;
      const shift = SHIFTS[((i >> 4) << 2) | (i & 3)];
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << shift) | (sum >>> (32 - shift)))) | 0;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  state[0] = a0;
  state[1] = b0;
  state[2] = c0;
  state[3] = d0;
}

/** MD5 of the UTF-8 encoding of `text`, as 16 bytes. */
export function md5(text: string): Uint8Array {
  md5Words(text);
  const digest = new Uint8Array(16);
  for (let i = 0; i < 16; i++) digest[i] = (state[i >> 2] >>> (8 * (i & 3))) & 0xff;
  return digest;
}

/** The md5 digest read as a big-endian integer, modulo 9999 (equal to `BigInt('0x' + hex) % 9999n`). */
function md5Mod9999(text: string): number {
  md5Words(text);
  let remainder = 0;
  for (let i = 0; i < 16; i++)
    remainder = (remainder * 256 + ((state[i >> 2] >>> (8 * (i & 3))) & 0xff)) % 9999;
  return remainder;
}

/**
 * Deterministic percentage in [0, 100) for a list of ids (docs/contracts/engine.md §6).
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
