/**
 * MD5 for the percentage hashing of remote evaluation (spec/engine.md §6): the same value as the engine's
 * `hashedPercentage([a, b])` (md5 of the UTF-8 text, as a 128-bit integer mod 9999, / 9998 × 100), computed in
 * JavaScript. For the short inputs hashed here (`"<feature state key>,<identity key>"`) this is several times
 * faster than `crypto.createHash`, whose per-call setup dominates; an identity request hashes once per
 * multivariate feature. Unit-tested against node:crypto (md5.spec.ts).
 */

let buf = new Uint8Array(256);

/** UTF-8 bytes of `text` into `buf` (lone surrogates as U+FFFD, like Buffer.from); returns the byte count. */
function utf8(text: string): number {
  const length = text.length;
  if (buf.length < length * 3 + 72) buf = new Uint8Array(length * 3 + 72);
  let n = 0;
  for (let i = 0; i < length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      buf[n++] = c;
    } else if (c < 0x800) {
      buf[n++] = 0xc0 | (c >> 6);
      buf[n++] = 0x80 | (c & 63);
    } else if (c >= 0xd800 && c < 0xdc00 && i + 1 < length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      const cp = 0x10000 + ((c - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
      buf[n++] = 0xf0 | (cp >> 18);
      buf[n++] = 0x80 | ((cp >> 12) & 63);
      buf[n++] = 0x80 | ((cp >> 6) & 63);
      buf[n++] = 0x80 | (cp & 63);
    } else {
      if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
      buf[n++] = 0xe0 | (c >> 12);
      buf[n++] = 0x80 | ((c >> 6) & 63);
      buf[n++] = 0x80 | (c & 63);
    }
  }
  return n;
}

function mod9999(r: number, w: number): number {
  r = (r * 256 + (w & 255)) % 9999;
  r = (r * 256 + ((w >>> 8) & 255)) % 9999;
  r = (r * 256 + ((w >>> 16) & 255)) % 9999;
  return (r * 256 + (w >>> 24)) % 9999;
}

/** The MD5 digest of `text` (UTF-8) read as a big-endian 128-bit integer, modulo 9999. */
export function md5Mod9999(text: string): number {
  const n = utf8(text);
  const total = (((n + 8) >> 6) + 1) << 6;
  buf[n] = 0x80;
  for (let i = n + 1; i < total; i++) buf[i] = 0;
  const bits = n * 8;
  buf[total - 8] = bits & 255;
  buf[total - 7] = (bits >>> 8) & 255;
  buf[total - 6] = (bits >>> 16) & 255;
  buf[total - 5] = (bits >>> 24) & 255;
  const high = Math.floor(n / 0x20000000);
  buf[total - 4] = high & 255;
  buf[total - 3] = (high >>> 8) & 255;
  let a0 = 0x67452301 | 0;
  let b0 = 0xefcdab89 | 0;
  let c0 = 0x98badcfe | 0;
  let d0 = 0x10325476 | 0;
  for (let o = 0; o < total; o += 64) {
    const w0 = buf[o + 0] | (buf[o + 1] << 8) | (buf[o + 2] << 16) | (buf[o + 3] << 24);
    const w1 = buf[o + 4] | (buf[o + 5] << 8) | (buf[o + 6] << 16) | (buf[o + 7] << 24);
    const w2 = buf[o + 8] | (buf[o + 9] << 8) | (buf[o + 10] << 16) | (buf[o + 11] << 24);
    const w3 = buf[o + 12] | (buf[o + 13] << 8) | (buf[o + 14] << 16) | (buf[o + 15] << 24);
    const w4 = buf[o + 16] | (buf[o + 17] << 8) | (buf[o + 18] << 16) | (buf[o + 19] << 24);
    const w5 = buf[o + 20] | (buf[o + 21] << 8) | (buf[o + 22] << 16) | (buf[o + 23] << 24);
    const w6 = buf[o + 24] | (buf[o + 25] << 8) | (buf[o + 26] << 16) | (buf[o + 27] << 24);
    const w7 = buf[o + 28] | (buf[o + 29] << 8) | (buf[o + 30] << 16) | (buf[o + 31] << 24);
    const w8 = buf[o + 32] | (buf[o + 33] << 8) | (buf[o + 34] << 16) | (buf[o + 35] << 24);
    const w9 = buf[o + 36] | (buf[o + 37] << 8) | (buf[o + 38] << 16) | (buf[o + 39] << 24);
    const w10 = buf[o + 40] | (buf[o + 41] << 8) | (buf[o + 42] << 16) | (buf[o + 43] << 24);
    const w11 = buf[o + 44] | (buf[o + 45] << 8) | (buf[o + 46] << 16) | (buf[o + 47] << 24);
    const w12 = buf[o + 48] | (buf[o + 49] << 8) | (buf[o + 50] << 16) | (buf[o + 51] << 24);
    const w13 = buf[o + 52] | (buf[o + 53] << 8) | (buf[o + 54] << 16) | (buf[o + 55] << 24);
    const w14 = buf[o + 56] | (buf[o + 57] << 8) | (buf[o + 58] << 16) | (buf[o + 59] << 24);
    const w15 = buf[o + 60] | (buf[o + 61] << 8) | (buf[o + 62] << 16) | (buf[o + 63] << 24);
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    let x = 0;
    x = (a + ((b & c) | (~b & d)) + -680876936 + w0) | 0;
    a = (b + ((x << 7) | (x >>> 25))) | 0;
    x = (d + ((a & b) | (~a & c)) + -389564586 + w1) | 0;
    d = (a + ((x << 12) | (x >>> 20))) | 0;
    x = (c + ((d & a) | (~d & b)) + 606105819 + w2) | 0;
    c = (d + ((x << 17) | (x >>> 15))) | 0;
    x = (b + ((c & d) | (~c & a)) + -1044525330 + w3) | 0;
    b = (c + ((x << 22) | (x >>> 10))) | 0;
    x = (a + ((b & c) | (~b & d)) + -176418897 + w4) | 0;
    a = (b + ((x << 7) | (x >>> 25))) | 0;
    x = (d + ((a & b) | (~a & c)) + 1200080426 + w5) | 0;
    d = (a + ((x << 12) | (x >>> 20))) | 0;
    x = (c + ((d & a) | (~d & b)) + -1473231341 + w6) | 0;
    c = (d + ((x << 17) | (x >>> 15))) | 0;
    x = (b + ((c & d) | (~c & a)) + -45705983 + w7) | 0;
    b = (c + ((x << 22) | (x >>> 10))) | 0;
    x = (a + ((b & c) | (~b & d)) + 1770035416 + w8) | 0;
    a = (b + ((x << 7) | (x >>> 25))) | 0;
    x = (d + ((a & b) | (~a & c)) + -1958414417 + w9) | 0;
    d = (a + ((x << 12) | (x >>> 20))) | 0;
    x = (c + ((d & a) | (~d & b)) + -42063 + w10) | 0;
    c = (d + ((x << 17) | (x >>> 15))) | 0;
    x = (b + ((c & d) | (~c & a)) + -1990404162 + w11) | 0;
    b = (c + ((x << 22) | (x >>> 10))) | 0;
    x = (a + ((b & c) | (~b & d)) + 1804603682 + w12) | 0;
    a = (b + ((x << 7) | (x >>> 25))) | 0;
    x = (d + ((a & b) | (~a & c)) + -40341101 + w13) | 0;
    d = (a + ((x << 12) | (x >>> 20))) | 0;
    x = (c + ((d & a) | (~d & b)) + -1502002290 + w14) | 0;
    c = (d + ((x << 17) | (x >>> 15))) | 0;
    x = (b + ((c & d) | (~c & a)) + 1236535329 + w15) | 0;
    b = (c + ((x << 22) | (x >>> 10))) | 0;
    x = (a + ((d & b) | (~d & c)) + -165796510 + w1) | 0;
    a = (b + ((x << 5) | (x >>> 27))) | 0;
    x = (d + ((c & a) | (~c & b)) + -1069501632 + w6) | 0;
    d = (a + ((x << 9) | (x >>> 23))) | 0;
    x = (c + ((b & d) | (~b & a)) + 643717713 + w11) | 0;
    c = (d + ((x << 14) | (x >>> 18))) | 0;
    x = (b + ((a & c) | (~a & d)) + -373897302 + w0) | 0;
    b = (c + ((x << 20) | (x >>> 12))) | 0;
    x = (a + ((d & b) | (~d & c)) + -701558691 + w5) | 0;
    a = (b + ((x << 5) | (x >>> 27))) | 0;
    x = (d + ((c & a) | (~c & b)) + 38016083 + w10) | 0;
    d = (a + ((x << 9) | (x >>> 23))) | 0;
    x = (c + ((b & d) | (~b & a)) + -660478335 + w15) | 0;
    c = (d + ((x << 14) | (x >>> 18))) | 0;
    x = (b + ((a & c) | (~a & d)) + -405537848 + w4) | 0;
    b = (c + ((x << 20) | (x >>> 12))) | 0;
    x = (a + ((d & b) | (~d & c)) + 568446438 + w9) | 0;
    a = (b + ((x << 5) | (x >>> 27))) | 0;
    x = (d + ((c & a) | (~c & b)) + -1019803690 + w14) | 0;
    d = (a + ((x << 9) | (x >>> 23))) | 0;
    x = (c + ((b & d) | (~b & a)) + -187363961 + w3) | 0;
    c = (d + ((x << 14) | (x >>> 18))) | 0;
    x = (b + ((a & c) | (~a & d)) + 1163531501 + w8) | 0;
    b = (c + ((x << 20) | (x >>> 12))) | 0;
    x = (a + ((d & b) | (~d & c)) + -1444681467 + w13) | 0;
    a = (b + ((x << 5) | (x >>> 27))) | 0;
    x = (d + ((c & a) | (~c & b)) + -51403784 + w2) | 0;
    d = (a + ((x << 9) | (x >>> 23))) | 0;
    x = (c + ((b & d) | (~b & a)) + 1735328473 + w7) | 0;
    c = (d + ((x << 14) | (x >>> 18))) | 0;
    x = (b + ((a & c) | (~a & d)) + -1926607734 + w12) | 0;
    b = (c + ((x << 20) | (x >>> 12))) | 0;
    x = (a + (b ^ c ^ d) + -378558 + w5) | 0;
    a = (b + ((x << 4) | (x >>> 28))) | 0;
    x = (d + (a ^ b ^ c) + -2022574463 + w8) | 0;
    d = (a + ((x << 11) | (x >>> 21))) | 0;
    x = (c + (d ^ a ^ b) + 1839030562 + w11) | 0;
    c = (d + ((x << 16) | (x >>> 16))) | 0;
    x = (b + (c ^ d ^ a) + -35309556 + w14) | 0;
    b = (c + ((x << 23) | (x >>> 9))) | 0;
    x = (a + (b ^ c ^ d) + -1530992060 + w1) | 0;
    a = (b + ((x << 4) | (x >>> 28))) | 0;
    x = (d + (a ^ b ^ c) + 1272893353 + w4) | 0;
    d = (a + ((x << 11) | (x >>> 21))) | 0;
    x = (c + (d ^ a ^ b) + -155497632 + w7) | 0;
    c = (d + ((x << 16) | (x >>> 16))) | 0;
    x = (b + (c ^ d ^ a) + -1094730640 + w10) | 0;
    b = (c + ((x << 23) | (x >>> 9))) | 0;
    x = (a + (b ^ c ^ d) + 681279174 + w13) | 0;
    a = (b + ((x << 4) | (x >>> 28))) | 0;
    x = (d + (a ^ b ^ c) + -358537222 + w0) | 0;
    d = (a + ((x << 11) | (x >>> 21))) | 0;
    x = (c + (d ^ a ^ b) + -722521979 + w3) | 0;
    c = (d + ((x << 16) | (x >>> 16))) | 0;
    x = (b + (c ^ d ^ a) + 76029189 + w6) | 0;
    b = (c + ((x << 23) | (x >>> 9))) | 0;
    x = (a + (b ^ c ^ d) + -640364487 + w9) | 0;
    a = (b + ((x << 4) | (x >>> 28))) | 0;
    x = (d + (a ^ b ^ c) + -421815835 + w12) | 0;
    d = (a + ((x << 11) | (x >>> 21))) | 0;
    x = (c + (d ^ a ^ b) + 530742520 + w15) | 0;
    c = (d + ((x << 16) | (x >>> 16))) | 0;
    x = (b + (c ^ d ^ a) + -995338651 + w2) | 0;
    b = (c + ((x << 23) | (x >>> 9))) | 0;
    x = (a + (c ^ (b | ~d)) + -198630844 + w0) | 0;
    a = (b + ((x << 6) | (x >>> 26))) | 0;
    x = (d + (b ^ (a | ~c)) + 1126891415 + w7) | 0;
    d = (a + ((x << 10) | (x >>> 22))) | 0;
    x = (c + (a ^ (d | ~b)) + -1416354905 + w14) | 0;
    c = (d + ((x << 15) | (x >>> 17))) | 0;
    x = (b + (d ^ (c | ~a)) + -57434055 + w5) | 0;
    b = (c + ((x << 21) | (x >>> 11))) | 0;
    x = (a + (c ^ (b | ~d)) + 1700485571 + w12) | 0;
    a = (b + ((x << 6) | (x >>> 26))) | 0;
    x = (d + (b ^ (a | ~c)) + -1894986606 + w3) | 0;
    d = (a + ((x << 10) | (x >>> 22))) | 0;
    x = (c + (a ^ (d | ~b)) + -1051523 + w10) | 0;
    c = (d + ((x << 15) | (x >>> 17))) | 0;
    x = (b + (d ^ (c | ~a)) + -2054922799 + w1) | 0;
    b = (c + ((x << 21) | (x >>> 11))) | 0;
    x = (a + (c ^ (b | ~d)) + 1873313359 + w8) | 0;
    a = (b + ((x << 6) | (x >>> 26))) | 0;
    x = (d + (b ^ (a | ~c)) + -30611744 + w15) | 0;
    d = (a + ((x << 10) | (x >>> 22))) | 0;
    x = (c + (a ^ (d | ~b)) + -1560198380 + w6) | 0;
    c = (d + ((x << 15) | (x >>> 17))) | 0;
    x = (b + (d ^ (c | ~a)) + 1309151649 + w13) | 0;
    b = (c + ((x << 21) | (x >>> 11))) | 0;
    x = (a + (c ^ (b | ~d)) + -145523070 + w4) | 0;
    a = (b + ((x << 6) | (x >>> 26))) | 0;
    x = (d + (b ^ (a | ~c)) + -1120210379 + w11) | 0;
    d = (a + ((x << 10) | (x >>> 22))) | 0;
    x = (c + (a ^ (d | ~b)) + 718787259 + w2) | 0;
    c = (d + ((x << 15) | (x >>> 17))) | 0;
    x = (b + (d ^ (c | ~a)) + -343485551 + w9) | 0;
    b = (c + ((x << 21) | (x >>> 11))) | 0;
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  return mod9999(mod9999(mod9999(mod9999(0, a0), b0), c0), d0);
}

/**
 * `hashedPercentage([first, second])` of the engine: a percentage in [0, 100) for `"<first>,<second>"`; a result
 * of exactly 100 is re-hashed with the ids repeated.
 */
export function percentageOf(first: string, second: string): number {
  const joined = `${first},${second}`;
  let input = joined;
  for (;;) {
    const value = (md5Mod9999(input) / 9998) * 100;
    if (value !== 100) return value;
    input += `,${joined}`;
  }
}
