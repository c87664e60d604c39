// Sentry must start before anything it instruments is loaded.
import './instrument';
import { createApp } from './app.factory';
import { DatabaseRuntime, resolveDatabase } from './database/resolve-database';
import { AppLogger, createRootLogger } from './logging/logger';
import { announceConfig, loadConfigOrExit } from './startup';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = new AppLogger(createRootLogger(config.LOG_LEVEL, config.LOG_FORMAT));
  announceConfig(config, logger);

  let db: DatabaseRuntime;
  try {
    db = await resolveDatabase(config, (line) => logger.notice(line, 'Database'));
  } catch (err) {
    logger.fatal(err instanceof Error ? err.message : String(err), 'Database');
    process.exit(1);
  }

  const app = await createApp(config, db, logger).catch(async (err: unknown) => {
    logger.fatal(`startup failed: ${err instanceof Error ? err.message : String(err)}`, 'Server');
    await db.stop();
    process.exit(1);
  });
  try {
    await app.listen({ port: config.PORT, host: config.HOST });
  } catch (err) {
    logger.fatal(
      `cannot listen on ${config.HOST}:${config.PORT} (PORT/HOST): ${err instanceof Error ? err.message : String(err)}`,
      'Server',
    );
    await app.close().catch(() => undefined);
    await db.stop();
    process.exit(1);
  }
  logger.notice(`listening on http://${config.HOST}:${config.PORT}`);

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.notice(`${signal} received: finishing in-flight requests, then stopping`);
    const force = setTimeout(() => {
      logger.error(
        `requests still running after ${config.SHUTDOWN_GRACE_SECONDS}s: exiting anyway`,
        'Server',
      );
      process.exit(1);
    }, config.SHUTDOWN_GRACE_SECONDS * 1000);
    force.unref();
    void app
      .close()
      .then(() => db.stop())
      .then(() => {
        logger.notice('stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error(`shutdown failed: ${String(err)}`, 'Server');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
