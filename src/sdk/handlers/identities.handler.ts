import type { FastifyReply, FastifyRequest } from 'fastify';
import { etagOf, type EnvironmentSnapshot } from '../environment-snapshot';
import type { IdentityResult } from '../identities.service';
import { encodedOnce, varyOnEncoding } from '../precompressed';
import { flagListBytes } from '../remote-evaluation';
import {
  expectObject,
  identifierError,
  readBoolean,
  readIdentifier,
  readTraits,
  type TraitInput,
} from '../sdk-input';
import {
  FEATURE_NOT_FOUND,
  identityBody,
  type IdentityOperations,
  inputError,
  type KeyedHandler,
  MISSING_IDENTIFIER,
  notModified,
  queryString,
  type ResponseCache,
  sendJson,
  throughCache,
  type UsageCounter,
} from './sdk-reply';

export interface IdentitiesDeps {
  readonly identities: IdentityOperations;
  readonly usage: UsageCounter;
  /** GET_IDENTITIES_ENDPOINT_CACHE_* when enabled. */
  readonly identitiesResponses?: ResponseCache;
  /** ENABLE_GZIP_COMPRESSION. */
  readonly gzip: boolean;
}

/** An identity's evaluation (or one flag of it, `feature`), with an ETag when `conditional`. */
function identityReply(
  request: FastifyRequest,
  reply: FastifyReply,
  snapshot: EnvironmentSnapshot,
  result: IdentityResult,
  feature: string | undefined,
  conditional: boolean,
  gzip: boolean,
): FastifyReply {
  reply.headers(snapshot.identityHeaders);
  let body: Buffer;
  let etag: string | undefined;
  if (feature !== undefined) {
    const flag = snapshot.flagOf(result.flags, feature);
    if (flag === undefined) return sendJson(reply, 404, FEATURE_NOT_FOUND);
    body = flag;
    if (conditional) etag = etagOf(body);
  } else {
    body = identityBody(snapshot, result);
    if (conditional) {
      if (result.rendered) etag = result.rendered.etag ??= etagOf(body);
      else etag = etagOf(body);
    }
  }
  if (gzip) varyOnEncoding(reply, body.length);
  if (etag !== undefined) {
    reply.header('etag', etag);
    if (notModified(request, etag, undefined)) return reply.code(304).send();
  }
  // A cached identity's evaluation only changes with it: its gzip bytes are kept beside it.
  const owner = feature === undefined ? result.rendered : undefined;
  return reply.code(200).send(gzip && owner ? encodedOnce(request, reply, owner, body) : body);
}

/** GET /api/v1/identities/?identifier= (spec §2): get-or-create (or transient), evaluated with stored traits. */
export function getIdentityHandler({
  identities,
  usage,
  identitiesResponses,
  gzip,
}: IdentitiesDeps): KeyedHandler {
  return async (resolved, request, reply, now) => {
    const { snapshot, origin } = resolved;
    usage.countRequest(snapshot.environmentId, 'identities', now);
    const identifier = queryString(request, 'identifier');
    if (!identifier) return sendJson(reply, 200, MISSING_IDENTIFIER);
    const problem = identifierError(identifier);
    if (problem) return sendJson(reply, 400, JSON.stringify({ identifier: [problem] }));
    const transient = !!queryString(request, 'transient');
    const feature = queryString(request, 'feature');
    if (identitiesResponses) {
      return throughCache(
        identitiesResponses,
        resolved,
        request,
        reply,
        snapshot.identityHeaders,
        async () => {
          const result = await identities.get(snapshot, origin, identifier, transient);
          if (feature === undefined) return { status: 200, body: identityBody(snapshot, result) };
          const flag = snapshot.flagOf(result.flags, feature);
          return flag === undefined ? { status: 404, body: FEATURE_NOT_FOUND } : { status: 200, body: flag };
        },
      );
    }
    const result = await identities.get(snapshot, origin, identifier, transient);
    return identityReply(request, reply, snapshot, result, feature, true, gzip);
  };
}

/** POST /api/v1/identities/ (spec §3): identify with traits; 200, not 201. */
export function postIdentityHandler({ identities, usage, gzip }: IdentitiesDeps): KeyedHandler {
  return async ({ snapshot, origin }, request, reply, now) => {
    usage.countRequest(snapshot.environmentId, 'identities', now);
    let identifier: string | undefined;
    let traits: TraitInput[];
    let transient: boolean;
    try {
      const body = expectObject(request.body);
      identifier = readIdentifier(body.identifier);
      traits = readTraits(body.traits);
      transient = readBoolean(body.transient, 'transient');
    } catch (err) {
      return inputError(reply, err);
    }
    const result = await identities.identify(snapshot, origin, identifier, traits, transient);
    return identityReply(request, reply, snapshot, result, undefined, false, gzip);
  };
}

/** Deprecated GET /api/v1/flags/<identifier> (spec §1): the identity's flags as a list. */
export function deprecatedIdentityFlagsHandler({ identities, usage }: IdentitiesDeps): KeyedHandler {
  return async ({ snapshot, origin }, request, reply, now) => {
    usage.countRequest(snapshot.environmentId, 'flags', now);
    const identifier = (request.params as { identifier?: string }).identifier ?? '';
    const problem = identifierError(identifier);
    if (problem) return sendJson(reply, 400, JSON.stringify({ identifier: [problem] }));
    const result = await identities.get(snapshot, origin, identifier, false);
    reply.headers(snapshot.identityHeaders);
    const feature = queryString(request, 'feature');
    if (feature !== undefined) {
      const flag = snapshot.flagOf(result.flags, feature, true);
      return flag === undefined ? sendJson(reply, 404, FEATURE_NOT_FOUND) : sendJson(reply, 200, flag);
    }
    return sendJson(reply, 200, flagListBytes('', result.flags, ''));
  };
}

/** Deprecated GET /api/v1/identities/<identifier>/ (spec §2): flags, traits and segments. */
export function deprecatedIdentityHandler({ identities, usage }: IdentitiesDeps): KeyedHandler {
  return async ({ snapshot, origin }, request, reply, now) => {
    usage.countRequest(snapshot.environmentId, 'identities', now);
    const identifier = (request.params as { identifier?: string }).identifier ?? '';
    const problem = identifierError(identifier);
    if (problem) return sendJson(reply, 400, JSON.stringify({ identifier: [problem] }));
    const result = await identities.withSegments(snapshot, origin, identifier);
    const segments = result.segments.map((s) => `{"id":${s.id},"name":${JSON.stringify(s.name)}}`);
    reply.headers(snapshot.identityHeaders);
    const traits = snapshot.hideSensitiveData ? '' : result.traitsJson;
    return sendJson(
      reply,
      200,
      flagListBytes('{"flags":', result.flags, `,"traits":[${traits}],"segments":[${segments.join(',')}]}`),
    );
  };
}
