import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { AppConfig } from '../config';

/**
 * The options of the API's Fastify instance (src/app.factory.ts), also used by the admin panel's own instance
 * (src/admin/lazy-mount.ts) so that client addresses, trailing slashes and body limits behave the same there.
 */
export function fastifyOptions(config: AppConfig) {
  return {
    // Flagsmith's routes end in "/", SDKs call some without: answer both.
    routerOptions: { ignoreTrailingSlash: true },
    // X-Request-Id is honoured when sane and echoed by the HTTP pipeline; otherwise a UUID is generated.
    requestIdHeader: false as const,
    genReqId: requestId,
    // Client address (access log, admin IP allow-list) from X-Forwarded-For only behind these proxies.
    trustProxy: config.TRUSTED_PROXIES.length > 0 ? [...config.TRUSTED_PROXIES] : false,
    // Room for the largest segment condition value (SEGMENT_CONDITION_VALUE_LIMIT) plus the rest of a body.
    bodyLimit: Math.max(2_621_440, config.SEGMENT_CONDITION_VALUE_LIMIT * 2 + 1_048_576),
    logger: false,
  };
}

const REQUEST_ID = /^[\w.:@=+/-]{1,200}$/;

/** The caller's X-Request-Id when it is short and plain, else a new UUID. */
export function requestId(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

type FastifyFactory = (options: FastifyServerOptions) => FastifyInstance;
let factory: FastifyFactory | undefined;

/**
 * Fastify as Nest's adapter loads it: @nestjs/platform-fastify may pin its own copy, and the admin panel's instance
 * (and the benchmark's bare baseline) must be the same Fastify as the API's (same request/reply behaviour, same
 * error bodies, same costs).
 */
export function nestFastify(): FastifyFactory {
  if (!factory) {
    const load = createRequire(__filename);
    const adapterDir = dirname(load.resolve('@nestjs/platform-fastify'));
    factory = load(load.resolve('fastify', { paths: [adapterDir] })) as FastifyFactory;
  }
  return factory;
}
