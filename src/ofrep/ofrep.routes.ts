import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TraitValue } from '../../libs/engine/src';
import type { EnvironmentSnapshot } from '../sdk/environment-snapshot';
import { etagOf } from '../sdk/environment-snapshot';
import { encodedOnce, gzipSdkResponse, varyOnEncoding } from '../sdk/precompressed';
import type { EnvironmentSnapshots, ResolvedKey } from '../sdk/environment-snapshots';
import { identifierError, MAX_TRAITS_PER_REQUEST, TRAIT_KEY_MAX_LENGTH } from '../sdk/sdk-input';
import type { KeyOrigin } from '../sdk/sdk.types';
import { evaluateFlags, type OfrepContext, type OfrepFlag } from './ofrep-evaluation';

export const OFREP_SINGLE_PATH = '/ofrep/v1/evaluate/flags/:key';
export const OFREP_BULK_PATH = '/ofrep/v1/evaluate/flags';

const JSON_TYPE = 'application/json';

/** OFREP error codes (open-feature/protocol `evaluationFailure.errorCode`). */
export type OfrepErrorCode =
  'PARSE_ERROR' | 'TARGETING_KEY_MISSING' | 'INVALID_CONTEXT' | 'GENERAL' | 'FLAG_NOT_FOUND';

class InvalidContext extends Error {}

/**
 * The environment key of an OFREP request: `X-API-Key`, else `Authorization: Bearer <key>`, else
 * `X-Environment-Key` (what Flagsmith SDKs send). Client keys and `ser.` keys are both accepted.
 */
export function ofrepKey(headers: FastifyRequest['headers']): string | undefined {
  const first = (value: string | string[] | undefined): string | undefined =>
    (Array.isArray(value) ? value[0] : value)?.trim() || undefined;
  const apiKey = first(headers['x-api-key']);
  if (apiKey) return apiKey;
  const authorization = first(headers.authorization);
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (match) return match[1];
  }
  return first(headers['x-environment-key']);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The evaluation context of a request body `{"context": {"targetingKey": "…", "<trait>": <value>, …}}`.
 * A missing body or context means "no identity". Attributes other than `targetingKey` become traits: strings,
 * finite numbers and booleans; null and structured values (objects, arrays) are left out, since Flagsmith traits
 * cannot hold them. Throws InvalidContext for what cannot be evaluated.
 */
export function readContext(body: unknown): OfrepContext {
  if (body === undefined || body === null) return { targetingKey: undefined, traits: {} };
  if (!isRecord(body)) throw new InvalidContext('The request body must be a JSON object.');
  const context = body.context;
  if (context === undefined || context === null) return { targetingKey: undefined, traits: {} };
  if (!isRecord(context)) throw new InvalidContext('"context" must be a JSON object.');

  let targetingKey: string | undefined;
  const rawKey = context.targetingKey;
  if (typeof rawKey === 'string') {
    if (rawKey !== '') {
      const problem = identifierError(rawKey);
      if (problem) throw new InvalidContext(`targetingKey: ${problem}`);
      targetingKey = rawKey;
    }
  } else if (rawKey !== undefined && rawKey !== null) {
    throw new InvalidContext('"targetingKey" must be a string.');
  }

  const traits: Record<string, TraitValue> = Object.create(null) as Record<string, TraitValue>;
  let count = 0;
  for (const [name, value] of Object.entries(context)) {
    if (name === 'targetingKey') continue;
    if (
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value))
    ) {
      if (name.length === 0 || name.length > TRAIT_KEY_MAX_LENGTH) {
        throw new InvalidContext(
          `Context attribute names must have 1 to ${TRAIT_KEY_MAX_LENGTH} characters.`,
        );
      }
      if (++count > MAX_TRAITS_PER_REQUEST) {
        throw new InvalidContext(`At most ${MAX_TRAITS_PER_REQUEST} context attributes are evaluated.`);
      }
      traits[name] = value;
    }
  }
  return { targetingKey, traits };
}

function errorBody(code: OfrepErrorCode, details: string, key?: string): string {
  return JSON.stringify(
    key === undefined
      ? { errorCode: code, errorDetails: details }
      : { key, errorCode: code, errorDetails: details },
  );
}

function send(reply: FastifyReply, status: number, body: string | Buffer): FastifyReply {
  return reply.code(status).header('content-type', JSON_TYPE).send(body);
}

/** Whether If-None-Match names this entity tag (or `*`). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

/** The HTTP status an error carries: Fastify's `statusCode`, or a Nest HttpException's (the JSON body parser). */
function statusOf(error: FastifyError): number {
  if (typeof error.statusCode === 'number') return error.statusCode;
  const nest = error as Partial<{ getStatus: () => unknown }>;
  const status = typeof nest.getStatus === 'function' ? nest.getStatus() : undefined;
  return typeof status === 'number' ? status : 500;
}

function detailOf(error: FastifyError): string {
  const nest = error as Partial<{ getResponse: () => unknown }>;
  const response = typeof nest.getResponse === 'function' ? nest.getResponse() : undefined;
  if (isRecord(response) && typeof response.detail === 'string') return response.detail;
  return error.message;
}

interface CachedBulk {
  readonly body: string;
  readonly etag: string;
}

/** The bulk answer without identity depends only on the snapshot and the kind of key: built once each. */
const environmentBulk = new WeakMap<EnvironmentSnapshot, Partial<Record<KeyOrigin, CachedBulk>>>();

function bulkBody(snapshot: EnvironmentSnapshot, flags: readonly OfrepFlag[]): CachedBulk {
  const body = `{"flags":${JSON.stringify(flags)},"metadata":{"version":${JSON.stringify(snapshot.updatedAtHeader)}}}`;
  return { body, etag: etagOf(body) };
}

function bulkFor(snapshot: EnvironmentSnapshot, origin: KeyOrigin, context: OfrepContext): CachedBulk {
  if (context.targetingKey !== undefined) {
    return bulkBody(snapshot, evaluateFlags(snapshot, origin, context));
  }
  let perOrigin = environmentBulk.get(snapshot);
  if (perOrigin === undefined) environmentBulk.set(snapshot, (perOrigin = {}));
  let cached = perOrigin[origin];
  if (cached === undefined) {
    cached = bulkBody(snapshot, evaluateFlags(snapshot, origin, context));
    perOrigin[origin] = cached;
  }
  return cached;
}

/**
 * OFREP (docs/contracts/ofrep.md) as raw Fastify routes over the SDK snapshot cache: a request for a cached environment does
 * no I/O. Every failure is answered in OFREP's shape (an `errorCode`, plus `key` on the single-flag endpoint);
 * malformed bodies and unsupported content types are 400 INVALID_CONTEXT, never a 500.
 */
/** `gzip`: ENABLE_GZIP_COMPRESSION — the routes gzip their own responses, as the SDK routes do (precompressed.ts). */
export function registerOfrepRoutes(
  fastify: FastifyInstance,
  snapshots: EnvironmentSnapshots,
  gzip: boolean,
): void {
  type Answer = (resolved: ResolvedKey, request: FastifyRequest, reply: FastifyReply) => FastifyReply;

  /**
   * Authenticates, then answers with `then`; 401 for a missing or unknown key, 403 when the organisation stopped
   * serving flags. Synchronous (no promise) when the key's environment is cached. Resolves to undefined: the reply
   * is sent by then (returning it would make Fastify send it again).
   */
  const withKey =
    (then: Answer, single: boolean) =>
    (request: FastifyRequest, reply: FastifyReply): Promise<void> | undefined => {
      const flagKey = single ? (request.params as { key: string }).key : undefined;
      const key = ofrepKey(request.headers);
      if (key === undefined) {
        send(
          reply,
          401,
          errorBody(
            'GENERAL',
            'Missing environment key: send X-API-Key, Authorization: Bearer or X-Environment-Key.',
            flagKey,
          ),
        );
        return undefined;
      }
      const answer = (resolved: ResolvedKey | undefined): void => {
        if (resolved === undefined)
          send(reply, 401, errorBody('GENERAL', 'Invalid environment key.', flagKey));
        else if (resolved.snapshot.stopServingFlags) {
          send(reply, 403, errorBody('GENERAL', 'Organisation is disabled from serving flags.', flagKey));
        } else then(resolved, request, reply);
      };
      const hit = snapshots.lookup(key, Date.now());
      if (hit === undefined) return snapshots.resolve(key).then(answer);
      answer(hit);
      return undefined;
    };

  const errorHandler =
    (single: boolean) =>
    (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
      const flagKey = single ? (request.params as { key?: string } | undefined)?.key : undefined;
      const status = statusOf(error);
      if (status >= 400 && status < 500) {
        void send(reply, 400, errorBody('INVALID_CONTEXT', `Invalid request: ${detailOf(error)}`, flagKey));
        return;
      }
      request.log.error(error);
      void send(
        reply,
        500,
        single
          ? errorBody('GENERAL', 'Internal server error.', flagKey)
          : JSON.stringify({ errorCode: 'GENERAL', errorDetails: 'Internal server error.' }),
      );
    };

  const single: Answer = ({ snapshot, origin }, request, reply) => {
    const flagKey = (request.params as { key: string }).key;
    let context: OfrepContext;
    try {
      context = readContext(request.body);
    } catch (err) {
      if (!(err instanceof InvalidContext)) throw err;
      return send(reply, 400, errorBody('INVALID_CONTEXT', err.message, flagKey));
    }
    const flag = evaluateFlags(snapshot, origin, context).find((f) => f.key === flagKey);
    if (flag === undefined) {
      return send(reply, 404, errorBody('FLAG_NOT_FOUND', `Flag '${flagKey}' was not found`, flagKey));
    }
    return send(reply, 200, JSON.stringify(flag));
  };

  const bulk: Answer = ({ snapshot, origin }, request, reply) => {
    let context: OfrepContext;
    try {
      context = readContext(request.body);
    } catch (err) {
      if (!(err instanceof InvalidContext)) throw err;
      return send(reply, 400, errorBody('INVALID_CONTEXT', err.message));
    }
    const bulk = bulkFor(snapshot, origin, context);
    reply.header('etag', bulk.etag);
    if (gzip) varyOnEncoding(reply, bulk.body.length);
    if (matches(request.headers['if-none-match'], bulk.etag)) return reply.code(304).send();
    // Gzip lives as long as the answer: per snapshot for the cached environment answer (no targetingKey), this
    // response only for an identity's.
    return send(reply, 200, gzip ? encodedOnce(request, reply, bulk, bulk.body) : bulk.body);
  };

  const compression = gzip ? { compress: false as const, onSend: gzipSdkResponse } : {};
  fastify.route({
    ...compression,
    method: 'POST',
    url: OFREP_SINGLE_PATH,
    errorHandler: errorHandler(true),
    handler: withKey(single, true),
  });
  fastify.route({
    ...compression,
    method: 'POST',
    url: OFREP_BULK_PATH,
    errorHandler: errorHandler(false),
    handler: withKey(bulk, false),
  });
}
