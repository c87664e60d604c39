// Sentry must start before anything it instruments is loaded.
import './instrument';
import { createApp } from './app.factory';
import { resolveDatabase } from './database/resolve-database';
import { AppLogger, createRootLogger } from './logging/logger';
import { announceConfig, errorText, loadConfigOrExit, ProcessLifecycle } from './startup';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = new AppLogger(createRootLogger(config.LOG_LEVEL, config.LOG_FORMAT));
  // Before anything is started: a signal or failure from here on stops what was started.
  const lifecycle = new ProcessLifecycle(logger, config.SHUTDOWN_GRACE_SECONDS);
  lifecycle.installHandlers();
  announceConfig(config, logger);

  const db = await lifecycle.step(
    resolveDatabase(config, (line) => logger.notice(line, 'Database'), lifecycle),
    'Database',
    errorText,
  );
  const app = await lifecycle.step(
    createApp(config, db, logger),
    'Server',
    (err) => `startup failed: ${errorText(err)}`,
  );
  lifecycle.add('the HTTP server', () => app.close());
  await lifecycle.step(
    app.listen({ port: config.PORT, host: config.HOST }),
    'Server',
    (err) => `cannot listen on ${config.HOST}:${config.PORT} (PORT/HOST): ${errorText(err)}`,
  );
  lifecycle.markListening();
  logger.notice(`listening on http://${config.HOST}:${config.PORT}`);
}

void main();
