import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SharedCache } from '../cache/shared-cache';
import type { UsageService } from '../usage/usage.service';
import type { CachedBody, EnvironmentSnapshot } from './environment-snapshot';
import { etagOf } from './environment-snapshot';
import type { EnvironmentSnapshots, ResolvedKey } from './environment-snapshots';
import type { IdentitiesService, IdentityResult } from './identities.service';
import { encodedOnce, gzipSdkResponse, varyOnEncoding } from './precompressed';
import { flagListBytes } from './remote-evaluation';
import {
  expectObject,
  identifierError,
  isObject,
  readBoolean,
  readIdentifier,
  readTrait,
  readTraits,
  SdkInputError,
  type TraitInput,
} from './sdk-input';

const MISSING_KEY = '{"detail":"Invalid or missing Environment key"}';
const UNKNOWN_KEY = '{"detail":"Invalid or missing Environment Key"}';
const STOPPED = '{"detail":"Organisation is disabled from serving flags."}';
const FEATURE_NOT_FOUND = '{"detail":"Given feature not found"}';
const MISSING_IDENTIFIER = '{"detail":"Missing identifier"}';
const TRAITS_NOT_STORED = '{"detail":"Organisation is not authorised to store traits."}';
const CLIENT_TRAITS = '{"non_field_errors":["Setting traits not allowed with client key."]}';
const INVALID_REQUEST = '{"detail":"Invalid request data"}';
const EXPECTED_OBJECT = '{"non_field_errors":["Expected a JSON object."]}';
const NOT_FOUND = '{"detail":"Not found."}';
const JSON_TYPE = 'application/json';

export interface SdkRouteDeps {
  readonly snapshots: EnvironmentSnapshots;
  readonly identities: IdentitiesService;
  readonly usage: UsageService;
  /** GET_FLAGS_ENDPOINT_CACHE_* / GET_IDENTITIES_ENDPOINT_CACHE_*: response caches (off unless configured). */
  readonly flagsResponses?: SharedCache;
  readonly identitiesResponses?: SharedCache;
  /** ENABLE_GZIP_COMPRESSION: the routes gzip their own responses, cached bodies once (precompressed.ts). */
  readonly gzip: boolean;
}

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> | undefined;

function sendJson(reply: FastifyReply, status: number, body: string | Buffer): FastifyReply {
  return reply.code(status).header('content-type', JSON_TYPE).send(body);
}

function environmentKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-environment-key'];
  const key = Array.isArray(header) ? header[0] : header;
  return key ? key : undefined;
}

/** Whether the request's validators match (If-None-Match wins over If-Modified-Since, as RFC 9110 says). */
function notModified(request: FastifyRequest, etag: string, updatedAtSeconds: number | undefined): boolean {
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
function sendCached(
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

function identityBody(snapshot: EnvironmentSnapshot, result: IdentityResult): Buffer {
  const traits = snapshot.hideSensitiveData ? '' : result.traitsJson;
  return flagListBytes(
    `{"identifier":${JSON.stringify(result.identifier)},"flags":`,
    result.flags,
    `,"traits":[${traits}]}`,
  );
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

function queryString(request: FastifyRequest, name: string): string | undefined {
  const query = request.query as Record<string, string | string[] | undefined> | undefined;
  const value = query?.[name];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

function inputError(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof SdkInputError) return sendJson(reply, 400, JSON.stringify(err.body));
  throw err;
}

/**
 * The SDK endpoints (docs/contracts/sdk-api.md), as raw Fastify routes on Nest's instance: no Nest interceptors, pipes or
 * guards on the hot path (README.md, Performance). A cached `/flags/` answer does no I/O and no serialisation: it sends
 * bytes prepared when the environment was loaded. Errors other than the ones answered here reach the global
 * exception filter through Fastify's error handler.
 */
export function registerSdkRoutes(fastify: FastifyInstance, deps: SdkRouteDeps): void {
  const { snapshots, identities, usage, gzip } = deps;
  const flagsResponses = deps.flagsResponses?.enabled ? deps.flagsResponses : undefined;
  const identitiesResponses = deps.identitiesResponses?.enabled ? deps.identitiesResponses : undefined;

  /** Answers from a response cache, or runs `answer` and caches its 200 body (with its ETag). */
  const throughCache = async (
    cache: SharedCache,
    resolved: ResolvedKey,
    request: FastifyRequest,
    reply: FastifyReply,
    headers: Readonly<Record<string, string>>,
    answer: () => Promise<{ status: number; body: string | Buffer; etag?: string }>,
  ): Promise<FastifyReply> => {
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
  };

  /** Authenticates, then runs `then` with the resolved key; answers 403 itself. Sync on a cache hit. */
  const withKey =
    (
      serverOnly: boolean,
      then: (
        key: ResolvedKey,
        request: FastifyRequest,
        reply: FastifyReply,
        now: number,
      ) => Promise<FastifyReply> | FastifyReply,
    ): Handler =>
    (request, reply) => {
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

  // ---- GET /api/v1/flags/ (§1)
  const flags = withKey(false, (resolved, request, reply, now) => {
    const { snapshot, origin } = resolved;
    usage.countRequest(snapshot.environmentId, 'flags', now);
    const variant = snapshot.flags[origin];
    const feature = queryString(request, 'feature');
    const one = feature === undefined ? variant.all : variant.byName.get(feature);
    if (flagsResponses) {
      return throughCache(flagsResponses, resolved, request, reply, variant.all.headers, () =>
        Promise.resolve(
          one === undefined
            ? { status: 404, body: FEATURE_NOT_FOUND }
            : { status: 200, body: one.body, etag: one.etag },
        ),
      );
    }
    if (one === undefined) return sendJson(reply, 404, FEATURE_NOT_FOUND);
    return sendCached(request, reply, one, snapshot.updatedAtSeconds, gzip);
  });

  // ---- GET /api/v1/environment-document/ (§5): server-side keys only
  const environmentDocument = withKey(true, ({ snapshot }, request, reply, now) => {
    usage.countRequest(snapshot.environmentId, 'environment_document', now);
    return sendCached(request, reply, snapshot.documentBody, snapshot.updatedAtSeconds, gzip);
  });

  const identityReply = (
    request: FastifyRequest,
    reply: FastifyReply,
    snapshot: EnvironmentSnapshot,
    result: IdentityResult,
    feature: string | undefined,
    conditional: boolean,
  ): FastifyReply => {
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
  };

  // ---- GET /api/v1/identities/?identifier= (§2)
  const getIdentity = withKey(false, async (resolved, request, reply, now) => {
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
    return identityReply(request, reply, snapshot, result, feature, true);
  });

  // ---- Deprecated GET /api/v1/flags/<identifier> (§1): the identity's flags as a list
  const deprecatedIdentityFlags = withKey(false, async ({ snapshot, origin }, request, reply, now) => {
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
  });

  // ---- Deprecated GET /api/v1/identities/<identifier>/ (§2): flags, traits and segments
  const deprecatedIdentity = withKey(false, async ({ snapshot, origin }, request, reply, now) => {
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
  });

  // ---- GET /api/v1/flags/{feature_id}/multivariate-options/ (§7)
  const multivariateOptions = withKey(false, ({ snapshot, origin }, request, reply, now) => {
    usage.countRequest(snapshot.environmentId, 'flags', now);
    const featureId = Number((request.params as { feature_id?: string }).feature_id);
    const state = snapshot.document.feature_states.find((fs) => fs.feature.id === featureId);
    if (state === undefined || (origin === 'CLIENT' && snapshot.isServerKeyOnly(featureId)))
      return sendJson(reply, 404, NOT_FOUND);
    const options = state.multivariate_feature_state_values.map((mv) => ({
      value: mv.multivariate_feature_option.value,
    }));
    return sendJson(reply, 200, JSON.stringify({ control_value: state.feature_state_value, options }));
  });

  // ---- POST /api/v1/identities/ (§3): 200, not 201
  const postIdentity = withKey(false, async ({ snapshot, origin }, request, reply, now) => {
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
    return identityReply(request, reply, snapshot, result, undefined, false);
  });

  /** §4 checks shared by the traits endpoints; returns a reply when refused. */
  const traitsRefused = (key: ResolvedKey, reply: FastifyReply): FastifyReply | undefined => {
    if (!key.snapshot.persistTraitData) return sendJson(reply, 403, TRAITS_NOT_STORED);
    return undefined;
  };
  const clientTraitsRefused = (key: ResolvedKey): boolean =>
    key.origin === 'CLIENT' && !key.snapshot.allowClientTraits;

  /** One `{identity: {identifier}, trait_key, trait_value}` item. */
  const readTraitItem = (item: unknown): { identifier: string; trait: TraitInput } => {
    if (!isObject(item))
      throw new SdkInputError({ non_field_errors: ['Invalid data. Expected a dictionary.'] });
    const errors: Record<string, unknown> = {};
    let identifier: string | undefined;
    if (!isObject(item.identity)) {
      errors.identity =
        item.identity === undefined
          ? ['This field is required.']
          : { non_field_errors: ['Invalid data. Expected a dictionary.'] };
    } else {
      try {
        identifier = readIdentifier(item.identity.identifier);
        if (identifier === undefined) errors.identity = { identifier: ['This field is required.'] };
      } catch (err) {
        if (!(err instanceof SdkInputError)) throw err;
        errors.identity = err.body;
      }
    }
    const trait = readTrait(item, false);
    if (!trait.ok) Object.assign(errors, trait.errors);
    if (Object.keys(errors).length > 0 || !trait.ok || identifier === undefined)
      throw new SdkInputError(errors);
    return { identifier, trait: trait.trait };
  };

  const echo = (identifier: string, trait: TraitInput): Record<string, unknown> => ({
    identity: { identifier },
    trait_key: trait.key,
    trait_value: trait.value,
  });

  // ---- POST /api/v1/traits/ (§4)
  const postTrait = withKey(false, async (key, request, reply, now) => {
    usage.countRequest(key.snapshot.environmentId, 'traits', now);
    const refused = traitsRefused(key, reply);
    if (refused) return refused;
    let item: { identifier: string; trait: TraitInput };
    try {
      item = readTraitItem(request.body);
    } catch (err) {
      return inputError(reply, err);
    }
    if (clientTraitsRefused(key)) return sendJson(reply, 400, CLIENT_TRAITS);
    await identities.writeMany(key.snapshot.environmentId, new Map([[item.identifier, [item.trait]]]));
    return sendJson(reply, 200, JSON.stringify(echo(item.identifier, item.trait)));
  });

  // ---- PUT /api/v1/traits/bulk/ (§4)
  const bulkTraits = withKey(false, async (key, request, reply, now) => {
    usage.countRequest(key.snapshot.environmentId, 'traits', now);
    const refused = traitsRefused(key, reply);
    if (refused) return refused;
    if (!Array.isArray(request.body)) return sendJson(reply, 400, INVALID_REQUEST);
    const items: { identifier: string; trait: TraitInput }[] = [];
    const errors: unknown[] = [];
    let failed = false;
    for (const raw of request.body as unknown[]) {
      try {
        items.push(readTraitItem(raw));
        errors.push({});
      } catch (err) {
        if (!(err instanceof SdkInputError)) throw err;
        failed = true;
        errors.push(err.body);
      }
    }
    if (failed) return sendJson(reply, 400, JSON.stringify(errors));
    if (clientTraitsRefused(key)) return sendJson(reply, 400, CLIENT_TRAITS);
    const byIdentity = new Map<string, TraitInput[]>();
    for (const { identifier, trait } of items) {
      const list = byIdentity.get(identifier);
      if (list) list.push(trait);
      else byIdentity.set(identifier, [trait]);
    }
    await identities.writeMany(key.snapshot.environmentId, byIdentity);
    const echoed = items.filter((i) => i.trait.value !== null).map((i) => echo(i.identifier, i.trait));
    return sendJson(reply, 200, JSON.stringify(echoed));
  });

  // ---- POST /api/v1/traits/increment-value/ (§4)
  const incrementTrait = withKey(false, async (key, request, reply, now) => {
    usage.countRequest(key.snapshot.environmentId, 'traits', now);
    const refused = traitsRefused(key, reply);
    if (refused) return refused;
    let identifier: string | undefined;
    let traitKey: string;
    let by: number;
    try {
      const body = expectObject(request.body);
      const errors: Record<string, string[]> = {};
      identifier = readIdentifier(body.identifier);
      if (identifier === undefined) errors.identifier = ['This field is required.'];
      const probe = readTrait({ trait_key: body.trait_key, trait_value: 0 }, false);
      if (!probe.ok) Object.assign(errors, probe.errors);
      if (typeof body.increment_by !== 'number' || !Number.isSafeInteger(body.increment_by)) {
        errors.increment_by = ['A valid integer is required.'];
      }
      if (Object.keys(errors).length > 0 || !probe.ok) throw new SdkInputError(errors);
      traitKey = probe.trait.key;
      by = body.increment_by as number;
    } catch (err) {
      return inputError(reply, err);
    }
    if (clientTraitsRefused(key)) return sendJson(reply, 400, CLIENT_TRAITS);
    const id = identifier as string;
    const value = await identities.increment(key.snapshot.environmentId, id, traitKey, by);
    if (value === undefined) {
      return sendJson(reply, 400, JSON.stringify({ trait_value: ['Trait value is not an integer.'] }));
    }
    return sendJson(reply, 200, JSON.stringify({ trait_key: traitKey, trait_value: value, identifier: id }));
  });

  // ---- POST /api/v1/analytics/flags/ (§6): 200, empty body
  const analyticsV1 = withKey(false, ({ snapshot }, request, reply, now) => {
    if (!isObject(request.body)) return sendJson(reply, 400, EXPECTED_OBJECT);
    usage.countEvaluations(snapshot.environmentId, request.body, snapshot.featureNames, now);
    return reply.code(200).send();
  });

  // ---- POST /api/v2/analytics/flags/ (§6): 204
  const analyticsV2 = withKey(false, ({ snapshot }, request, reply, now) => {
    const body = request.body;
    if (!isObject(body) || !Array.isArray(body.evaluations)) {
      return sendJson(reply, 400, JSON.stringify({ evaluations: ['This field is required.'] }));
    }
    const counts: Record<string, number> = Object.create(null) as Record<string, number>;
    for (const e of body.evaluations as unknown[]) {
      if (!isObject(e) || typeof e.feature_name !== 'string') continue;
      const n = typeof e.count === 'number' && Number.isSafeInteger(e.count) ? e.count : 1;
      counts[e.feature_name] = (counts[e.feature_name] ?? 0) + n;
    }
    usage.countEvaluations(snapshot.environmentId, counts, snapshot.featureNames, now);
    return reply.code(204).send();
  });

  // ENABLE_GZIP_COMPRESSION: these routes compress their own responses (precompressed.ts), not @fastify/compress.
  const options = gzip ? { compress: false as const, onSend: gzipSdkResponse } : {};
  fastify.get('/api/v1/flags/', options, flags);
  fastify.get('/api/v1/flags/:identifier', options, deprecatedIdentityFlags);
  fastify.get('/api/v1/flags/:feature_id/multivariate-options/', options, multivariateOptions);
  fastify.get('/api/v1/identities/:identifier/', options, deprecatedIdentity);
  fastify.get('/api/v1/environment-document/', options, environmentDocument);
  fastify.get('/api/v1/identities/', options, getIdentity);
  fastify.post('/api/v1/identities/', options, postIdentity);
  fastify.post('/api/v1/traits/', options, postTrait);
  fastify.put('/api/v1/traits/bulk/', options, bulkTraits);
  fastify.post('/api/v1/traits/increment-value/', options, incrementTrait);
  fastify.post('/api/v1/analytics/flags/', options, analyticsV1);
  fastify.post('/api/v2/analytics/flags/', options, analyticsV2);
}
