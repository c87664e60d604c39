import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { installAdminIpAllowlist } from './admin/ip-allowlist';
import { AppModule } from './app.module';
import { installPassportReplyShim } from './auth/oauth/passport-fastify';
import { AppConfig } from './config';
import { ResolvedDatabase } from './database/data-source-options';
import { installFastAsyncResourceBind } from './http/async-resource-bind';
import { installHttpPipeline } from './http/http-pipeline';
import { AppLogger } from './logging/logger';
import { installOpenApi } from './openapi/openapi';

/** Builds the whole application (not yet listening). Used by main.ts and by the end-to-end tests. */
export async function createApp(
  config: AppConfig,
  db: ResolvedDatabase,
  logger: AppLogger,
): Promise<NestFastifyApplication> {
  installFastAsyncResourceBind();
  const adapter = new FastifyAdapter(fastifyOptions(config));
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, db), adapter, {
    logger,
    abortOnError: false,
    // JSON and form bodies are parsed by the HTTP pipeline (DRF's empty-body and error semantics).
    bodyParser: false,
  });
  await installHttpPipeline(app, config, logger);
  installPassportReplyShim(app);
  installOpenApi(app);
  installAdminIpAllowlist(app, config.ALLOWED_ADMIN_IP_ADDRESSES);
  return app;
}

function fastifyOptions(config: AppConfig) {
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
function requestId(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}
