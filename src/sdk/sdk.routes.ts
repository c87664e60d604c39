import type { FastifyInstance } from 'fastify';
import type { SharedCache } from '../cache/shared-cache';
import { analyticsV1Handler, analyticsV2Handler } from './handlers/analytics.handler';
import {
  environmentDocumentHandler,
  flagsHandler,
  multivariateOptionsHandler,
} from './handlers/flags.handler';
import {
  deprecatedIdentityFlagsHandler,
  deprecatedIdentityHandler,
  getIdentityHandler,
  postIdentityHandler,
} from './handlers/identities.handler';
import type { IdentityOperations, SnapshotSource, UsageCounter } from './handlers/sdk-reply';
import { withKey } from './handlers/sdk-reply';
import { bulkTraitsHandler, incrementTraitHandler, postTraitHandler } from './handlers/traits.handler';
import { gzipSdkResponse } from './precompressed';

export interface SdkRouteDeps {
  readonly snapshots: SnapshotSource;
  readonly identities: IdentityOperations;
  readonly usage: UsageCounter;
  /** GET_FLAGS_ENDPOINT_CACHE_* / GET_IDENTITIES_ENDPOINT_CACHE_*: response caches (off unless configured). */
  readonly flagsResponses?: SharedCache;
  readonly identitiesResponses?: SharedCache;
  /** ENABLE_GZIP_COMPRESSION: the routes gzip their own responses, cached bodies once (precompressed.ts). */
  readonly gzip: boolean;
}

/**
 * The SDK endpoints (docs/contracts/sdk-api.md), as raw Fastify routes on Nest's instance: no Nest interceptors, pipes or
 * guards on the hot path (README.md, Performance). Each endpoint is a handler unit (handlers/*.handler.ts) behind the
 * key check (`withKey`); this file only registers them. Errors other than the ones the handlers answer reach the
 * global exception filter through Fastify's error handler.
 */
export function registerSdkRoutes(fastify: FastifyInstance, deps: SdkRouteDeps): void {
  const { snapshots, identities, usage, gzip } = deps;
  const handlers = {
    identities,
    usage,
    gzip,
    flagsResponses: deps.flagsResponses?.enabled ? deps.flagsResponses : undefined,
    identitiesResponses: deps.identitiesResponses?.enabled ? deps.identitiesResponses : undefined,
  };
  const anyKey = (handler: Parameters<typeof withKey>[2]) => withKey(snapshots, false, handler);

  // ENABLE_GZIP_COMPRESSION: these routes compress their own responses (precompressed.ts), not @fastify/compress.
  const options = gzip ? { compress: false as const, onSend: gzipSdkResponse } : {};
  fastify.get('/api/v1/flags/', options, anyKey(flagsHandler(handlers)));
  fastify.get('/api/v1/flags/:identifier', options, anyKey(deprecatedIdentityFlagsHandler(handlers)));
  fastify.get(
    '/api/v1/flags/:feature_id/multivariate-options/',
    options,
    anyKey(multivariateOptionsHandler(handlers)),
  );
  fastify.get('/api/v1/identities/:identifier/', options, anyKey(deprecatedIdentityHandler(handlers)));
  fastify.get(
    '/api/v1/environment-document/',
    options,
    withKey(snapshots, true, environmentDocumentHandler(handlers)),
  );
  fastify.get('/api/v1/identities/', options, anyKey(getIdentityHandler(handlers)));
  fastify.post('/api/v1/identities/', options, anyKey(postIdentityHandler(handlers)));
  fastify.post('/api/v1/traits/', options, anyKey(postTraitHandler(handlers)));
  fastify.put('/api/v1/traits/bulk/', options, anyKey(bulkTraitsHandler(handlers)));
  fastify.post('/api/v1/traits/increment-value/', options, anyKey(incrementTraitHandler(handlers)));
  fastify.post('/api/v1/analytics/flags/', options, anyKey(analyticsV1Handler(handlers)));
  fastify.post('/api/v2/analytics/flags/', options, anyKey(analyticsV2Handler(handlers)));
}
