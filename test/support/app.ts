import { Writable } from 'node:stream';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory';
import { AppConfig, loadConfig } from '../../src/config';
import { AppLogger, createRootLogger } from '../../src/logging/logger';
import { checkContract, recordExchanges } from './contract';
import { createTestDatabase } from './database';

export interface TestApp {
  readonly app: NestFastifyApplication;
  readonly config: AppConfig;
  /** Base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly databaseUrl: string;
  /** Log lines written by the app so far. */
  readonly logs: string[];
  close(): Promise<void>;
}

/** Settings every test app gets unless the test overrides them. */
const TEST_DEFAULTS: Record<string, string> = {
  DJANGO_SECRET_KEY: 'test-secret-key-that-is-long-enough-for-sessions-0123456789',
  ENABLE_TELEMETRY: 'false',
  // No mail server in tests: email tests choose their backend explicitly.
  EMAIL_BACKEND: 'none',
  LOG_LEVEL: 'WARNING',
  // AdminJS is ESM-only and cannot load under Jest: /admin is tested against spawned servers (test/admin-*.e2e-spec.ts).
  ADMIN_PANEL_ENABLED: 'false',
};

/**
 * Boots the real application in-process on 127.0.0.1 with a fresh database (unless DATABASE_URL is given)
 * and the given environment variables, exactly as main.ts would from the process environment.
 */
export interface StartOptions {
  /** Runs after the app is built and before it listens, e.g. to add a test-only route to the Fastify instance. */
  beforeListen?: (app: NestFastifyApplication) => void | Promise<void>;
}

export async function startTestApp(
  env: Record<string, string> = {},
  options: StartOptions = {},
): Promise<TestApp> {
  const databaseUrl = env.DATABASE_URL ?? (await createTestDatabase());
  const config = loadConfig({ ...TEST_DEFAULTS, DATABASE_URL: databaseUrl, ...env });
  if (config.database.kind !== 'external') throw new Error('test apps always use an external database');
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = new AppLogger(createRootLogger(config.LOG_LEVEL, config.LOG_FORMAT, sink));
  const app = await createApp(
    config,
    { primary: config.database.primary, replicas: config.database.replicas },
    logger,
  );
  const contract = recordExchanges(app);
  await options.beforeListen?.(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  if (!address || typeof address === 'string') throw new Error('server has no TCP address');
  return {
    app,
    config,
    url: `http://127.0.0.1:${address.port}`,
    databaseUrl,
    logs,
    close: async () => {
      try {
        checkContract(contract);
      } finally {
        await app.close();
      }
    },
  };
}
