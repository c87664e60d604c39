import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { UsageService } from '../../usage/usage.service';
import type { EnvironmentCache, ResolvedKey } from '../environment-cache';
import type { CachedBody, EnvironmentSnapshot } from '../environment-snapshot';
import { etagOf } from '../environment-snapshot';
import type { IdentitiesService, IdentityResult } from '../identities.service';
import { encodedOnce, varyOnEncoding } from '../precompressed';
import { flagListBytes } from '../remote-evaluation';
import { SdkInputError } from '../sdk-input';

/**
 * What the SDK handlers share: the answers they send, reply helpers, the key check and the response cache. The
 * handlers (one file per resource) take their dependencies explicitly and are registered by sdk.routes.ts.
 */

export const MISSING_KEY = '{"detail":"Invalid or missing Environment key"}';
export const UNKNOWN_KEY = '{"detail":"Invalid or missing Environment Key"}';
export const STOPPED = '{"detail":"Organisation is disabled from serving flags."}';
export const FEATURE_NOT_FOUND = '{"detail":"Given feature not found"}';
export const MISSING_IDENTIFIER = '{"detail":"Missing identifier"}';
export const TRAITS_NOT_STORED = '{"detail":"Organisation is not authorised to store traits."}';
export const CLIENT_TRAITS = '{"non_field_errors":["Setting traits not allowed with client key."]}';
export const INVALID_REQUEST = '{"detail":"Invalid request data"}';
export const EXPECTED_OBJECT = '{"non_field_errors":["Expected a JSON object."]}';
export const NOT_FOUND = '{"detail":"Not found."}';
const JSON_TYPE = 'application/json';

/** Where handlers find environments by key (EnvironmentSnapshots; an EnvironmentCache over fakes in tests). */
export type SnapshotSource = Pick<EnvironmentCache, 'lookup' | 'resolve'>;
/** The usage counters the handlers feed. */
export type UsageCounter = Pick<UsageService, 'countRequest' | 'countEvaluations'>;
/** Identity reads and trait writes. */
export type IdentityOperations = Pick<
  IdentitiesService,
  'get' | 'identify' | 'withSegments' | 'writeMany' | 'increment'
>;
/** A response cache (GET_*_ENDPOINT_CACHE, SharedCache): string values by key. */
export interface ResponseCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

/** A route handler as Fastify calls it. */
export type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> | undefined;

/** An SDK handler after the key check: the resolved key and the request time (epoch ms). */
export type KeyedHandler = (
  key: ResolvedKey,
  request: FastifyRequest,
  reply: FastifyReply,
  now: number,
) => Promise<FastifyReply> | FastifyReply;

export function sendJson(reply: FastifyReply, status: number, body: string | Buffer): FastifyReply {
  return reply.code(status).header('content-type', JSON_TYPE).send(body);
}

function environmentKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-environment-key'];
  const key = Array.isArray(header) ? header[0] : header;
  return key ? key : undefined;
}

/**
 * Authenticates by X-Environment-Key, then runs `then` with the resolved key; answers 403 itself. Synchronous on
 * a cache hit (no promise, no I/O). `serverOnly`: only `ser.` keys are accepted.
 */
export function withKey(snapshots: SnapshotSource, serverOnly: boolean, then: KeyedHandler): Handler {
  return (request, reply) => {
    const key = environmentKey(request);
    if (key === undefined || (serverOnly && !key.startsWith('ser.'))) {
      sendJson(reply, 403, MISSING_KEY);
      return undefined;
    }
    const now = Date.now();
    const hit = snapshots.lookup(key, now);
    if (hit !== undefined) {
      if (hit.snapshot.stopServingFlags) {
        sendJson(reply, 403, STOPPED);
        return undefined;
      }
      const out = then(hit, request, reply, now);
      return out instanceof Promise ? out : undefined;
    }
    return snapshots.resolve(key).then((resolved) => {
      if (resolved === undefined) return sendJson(reply, 403, UNKNOWN_KEY);
      if (resolved.snapshot.stopServingFlags) return sendJson(reply, 403, STOPPED);
      return then(resolved, request, reply, now);
    });
  };
}

/** Whether the request's validators match (If-None-Match wins over If-Modified-Since, as RFC 9110 says). */
export function notModified(
  request: FastifyRequest,
  etag: string,
  updatedAtSeconds: number | undefined,
): boolean {
  const inm = request.headers['if-none-match'];
  if (inm !== undefined) {
    if (inm === etag || inm === '*') return true;
    return inm.split(',').some((tag) => {
      const t = tag.trim();
      return t === etag || t === `W/${etag}`;
    });
  }
  const ims = request.headers['if-modified-since'];
  if (ims !== undefined && updatedAtSeconds !== undefined) {
    const since = Date.parse(ims);
    return !Number.isNaN(since) && updatedAtSeconds <= Math.floor(since / 1000);
  }
  return false;
}

/**
 * Sends a pre-serialised body (or 304). `gzip` (ENABLE_GZIP_COMPRESSION): a large body goes out as its gzip bytes,
 * compressed once per snapshot, to clients that accept gzip (see precompressed.ts).
 */
export function sendCached(
  request: FastifyRequest,
  reply: FastifyReply,
  body: CachedBody,
  updatedAtSeconds: number | undefined,
  gzip: boolean,
): FastifyReply {
  reply.headers(body.headers);
  if (gzip) varyOnEncoding(reply, body.body.length);
  if (notModified(request, body.etag, updatedAtSeconds)) return reply.code(304).send();
  return reply.code(200).send(gzip ? encodedOnce(request, reply, body, body.body) : body.body);
}

export function identityBody(snapshot: EnvironmentSnapshot, result: IdentityResult): Buffer {
  const traits = snapshot.hideSensitiveData ? '' : result.traitsJson;
  return flagListBytes(
    `{"identifier":${JSON.stringify(result.identifier)},"flags":`,
    result.flags,
    `,"traits":[${traits}]}`,
  );
}

export function queryString(request: FastifyRequest, name: string): string | undefined {
  const query = request.query as Record<string, string | string[] | undefined> | undefined;
  const value = query?.[name];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

export function inputError(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof SdkInputError) return sendJson(reply, 400, JSON.stringify(err.body));
  throw err;
}

/**
 * Key of a cached response (GET_*_ENDPOINT_CACHE): what upstream's cache_page keys by — the full URL and the
 * header it varies on (X-Environment-Key) — plus the environment version, so that a change of the environment
 * is never answered from the cache (trait changes are, until the TTL, as upstream).
 */
function responseKey(snapshot: EnvironmentSnapshot, key: string, url: string): string {
  return createHash('sha1')
    .update(`${snapshot.environmentId}\n${snapshot.version}\n${key}\n${url}`)
    .digest('hex');
}

/** A cached response value: `<etag>\n<body>`. */
function splitCached(value: string): { etag: string; body: string } | undefined {
  const newline = value.indexOf('\n');
  return newline < 0 ? undefined : { etag: value.slice(0, newline), body: value.slice(newline + 1) };
}

/** Answers from a response cache, or runs `answer` and caches its 200 body (with its ETag). */
export async function throughCache(
  cache: ResponseCache,
  resolved: ResolvedKey,
  request: FastifyRequest,
  reply: FastifyReply,
  headers: Readonly<Record<string, string>>,
  answer: () => Promise<{ status: number; body: string | Buffer; etag?: string }>,
): Promise<FastifyReply> {
  const cacheKey = responseKey(resolved.snapshot, resolved.key, request.url);
  const hit = splitCached((await cache.get(cacheKey)) ?? '');
  let status = 200;
  let body: string | Buffer;
  let etag: string | undefined;
  if (hit) {
    ({ body, etag } = hit);
  } else {
    ({ status, body, etag } = await answer());
    if (status === 200) {
      etag ??= etagOf(body);
      await cache.set(cacheKey, `${etag}\n${body.toString()}`);
    }
  }
  reply.headers(headers);
  if (etag !== undefined) {
    reply.header('etag', etag);
    if (status === 200 && notModified(request, etag, undefined)) return reply.code(304).send();
  }
  return sendJson(reply, status, body);
}
