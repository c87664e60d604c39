import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { installAdminRouteGuards } from './admin/admin-route-guards';
import { AppModule } from './app.module';
import { installPassportReplyShim } from './oauth/passport-fastify';
import { AppConfig } from './config';
import { ResolvedDatabase } from './database/data-source-options';
import { fastifyOptions } from './http/fastify-options';
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
  // Before app.init() registers the routes: the guards attach to the admin routes as they are added.
  installAdminRouteGuards(app, config);
  await installHttpPipeline(app, config, logger);
  installPassportReplyShim(app);
  installOpenApi(app);
  return app;
}
