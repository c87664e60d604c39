import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig } from '../config';
import { AppLogger } from '../logging/logger';

/** Hooks every request passes through: request ids, hosts, HTTPS, CORS, compression, errors, access log. */
export async function installHttpPipeline(
  _app: NestFastifyApplication,
  _config: AppConfig,
  _logger: AppLogger,
): Promise<void> {}
