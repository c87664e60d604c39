import { gzipSync } from 'node:zlib';
import type { CachedBody } from './environment-snapshot';

/**
 * Gzip for the SDK's pre-serialised responses (`/flags/`, the environment document) when ENABLE_GZIP_COMPRESSION
 * is on. @fastify/compress gzips every response as it is sent: for a 14 kB `/flags/` body that is ~400 µs of CPU per
 * request instead of ~35 µs. These bodies only change with the environment, so each is compressed once, on first
 * use, and kept for as long as its snapshot (a WeakMap entry dies with the body).
 */

/** Bodies smaller than this are sent as they are (as http-pipeline's GZIP_THRESHOLD_BYTES). */
const THRESHOLD_BYTES = 1024;

const compressed = new WeakMap<CachedBody, Buffer>();

/** The gzip bytes of a cached body (compressed on first use). */
export function gzipOf(body: CachedBody): Buffer {
  let bytes = compressed.get(body);
  if (bytes === undefined) {
    bytes = gzipSync(body.body);
    compressed.set(body, bytes);
  }
  return bytes;
}

/** Whether a body is large enough to be worth compressing. */
export function worthCompressing(body: CachedBody): boolean {
  return body.body.length >= THRESHOLD_BYTES;
}

const acceptCache = new Map<string, boolean>();
const ACCEPT_CACHE_LIMIT = 256;

/**
 * Whether an Accept-Encoding header accepts gzip (RFC 9110 §12.5.3): `gzip` or `x-gzip` with a non-zero weight, or
 * `*` with a non-zero weight when gzip is not listed. A handful of distinct headers is seen in practice: answers are
 * remembered.
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined || header === '') return false;
  const known = acceptCache.get(header);
  if (known !== undefined) return known;
  const answer = parseAcceptsGzip(header);
  if (acceptCache.size >= ACCEPT_CACHE_LIMIT) acceptCache.clear();
  acceptCache.set(header, answer);
  return answer;
}

function parseAcceptsGzip(header: string): boolean {
  let gzip: number | undefined;
  let any: number | undefined;
  for (const item of header.split(',')) {
    const [token, ...parameters] = item.split(';');
    const coding = token.trim().toLowerCase();
    let weight = 1;
    for (const parameter of parameters) {
      const [name, value] = parameter.split('=');
      if (name.trim().toLowerCase() === 'q') {
        const q = Number(value?.trim());
        weight = Number.isFinite(q) ? q : 0;
      }
    }
    if (coding === 'gzip' || coding === 'x-gzip') gzip = Math.max(gzip ?? 0, weight);
    else if (coding === '*') any = weight;
  }
  if (gzip !== undefined) return gzip > 0;
  return any !== undefined && any > 0;
}
