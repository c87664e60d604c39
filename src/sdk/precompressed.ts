import { gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GZIP_THRESHOLD_BYTES } from '../http/http-pipeline';

/**
 * Gzip for the SDK endpoints when ENABLE_GZIP_COMPRESSION is on. @fastify/compress pipes every response through a
 * zlib stream: ~400 µs of CPU for a 14 kB `/flags/` body (which costs ~35 µs to serve uncompressed), ~430 µs more
 * for an identity response. Here the pre-serialised bodies (`/flags/`, the environment document), which only change
 * with the environment, are compressed once, on first use, and kept for as long as their snapshot (a WeakMap entry
 * dies with the body); other SDK bodies (identities, traits; tens of kB at most) are gzipped synchronously in the
 * routes' onSend hook (~40 µs for 14 kB), and @fastify/compress is turned off on these routes.
 */

const compressed = new WeakMap<object, Buffer>();

/**
 * With gzip on: adds `Accept-Encoding` to the reply's Vary when a body of this size would be compressed for a client
 * that accepts gzip (304s too: they describe the same response).
 */
export function varyOnEncoding(reply: FastifyReply, size: number): void {
  if (size < GZIP_THRESHOLD_BYTES) return;
  const vary = reply.getHeader('vary');
  const text = Array.isArray(vary) ? vary.join(', ') : vary === undefined ? '' : String(vary);
  if (!/accept-encoding/i.test(text))
    void reply.header('vary', text ? `${text}, Accept-Encoding` : 'Accept-Encoding');
}

/**
 * With gzip on, the payload for a body that only changes with `owner` (a cached body, a cached identity evaluation):
 * for a client that accepts gzip, the body's gzip bytes — compressed on first use and kept as long as `owner` — with
 * Content-Encoding set; otherwise the body itself.
 */
export function encodedOnce(
  request: FastifyRequest,
  reply: FastifyReply,
  owner: object,
  body: Buffer | string,
): Buffer | string {
  if (body.length < GZIP_THRESHOLD_BYTES || !acceptsGzip(request.headers['accept-encoding'])) return body;
  let bytes = compressed.get(owner);
  if (bytes === undefined) {
    bytes = gzipSync(body);
    compressed.set(owner, bytes);
  }
  void reply.header('content-encoding', 'gzip');
  return bytes;
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

type OnSendDone = (err: Error | null, payload?: unknown) => void;

/**
 * onSend hook of the SDK routes: a body of at least 1 kB says `Vary: Accept-Encoding`, and is gzipped when the client
 * accepts gzip (unless it already is: bodies sent through `encodedOnce`).
 */
export function gzipSdkResponse(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done: OnSendDone,
): void {
  // A string's length in characters stands in for its size in bytes (JSON bodies are mostly ASCII).
  if (!(typeof payload === 'string' || Buffer.isBuffer(payload)) || payload.length < GZIP_THRESHOLD_BYTES) {
    done(null, payload);
    return;
  }
  varyOnEncoding(reply, payload.length);
  if (reply.getHeader('content-encoding') !== undefined || !acceptsGzip(request.headers['accept-encoding'])) {
    done(null, payload);
    return;
  }
  void reply.header('content-encoding', 'gzip');
  done(null, gzipSync(payload));
}
