import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { AppConfig } from './config';
import { ResolvedDatabase } from './database/data-source-options';
import { installHttpPipeline } from './http/http-pipeline';
import { AppLogger } from './logging/logger';

/** Builds the whole application (not yet listening). Used by main.ts and by the end-to-end tests. */
export async function createApp(
  config: AppConfig,
  db: ResolvedDatabase,
  logger: AppLogger,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter(fastifyOptions(config));
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, db), adapter, {
    logger,
    abortOnError: false,
  });
  await installHttpPipeline(app, config, logger);
  return app;
}

function fastifyOptions(config: AppConfig) {
  return {
    // Flagsmith's routes end in "/", SDKs call some without: answer both.
    routerOptions: { ignoreTrailingSlash: true },
    requestIdHeader: 'x-request-id',
    // Room for the largest segment condition value (SEGMENT_CONDITION_VALUE_LIMIT) plus the rest of a body.
    bodyLimit: Math.max(2_621_440, config.SEGMENT_CONDITION_VALUE_LIMIT * 2 + 1_048_576),
    logger: false,
  };
}
