import { createApp } from './app.factory';
import type { AppConfig } from './config';
import { resolveDatabase } from './database/resolve-database';
import { JobWorker } from './jobs/job-worker.service';
import { AppLogger, createRootLogger } from './logging/logger';
import { announceConfig, errorText, loadConfigOrExit, ProcessLifecycle } from './startup';

/** When this module was loaded: after `npm start`'s build, before anything of the server. */
const LOADED_AT = Date.now();

/**
 * `api`: the server (`node dist/src/main.js`), which runs queued jobs itself unless TASK_RUN_METHOD=TASK_PROCESSOR.
 * `task-processor` (`node dist/src/cli.js task-processor`): the same application, whatever TASK_RUN_METHOD says
 * running the job worker; it also listens on PORT so that health probes and /metrics reach it, as Flagsmith's
 * task-processor containers do.
 */
export type ProcessRole = 'api' | 'task-processor';

/** Starts the process; returns once it listens (a failed step exits the process). */
export async function serve(role: ProcessRole): Promise<void> {
  const config = loadConfigOrExit();
  const logger = new AppLogger(createRootLogger(config.LOG_LEVEL, config.LOG_FORMAT));
  // Before anything is started: a signal or failure from here on stops what was started.
  const lifecycle = new ProcessLifecycle(logger, config.SHUTDOWN_GRACE_SECONDS);
  lifecycle.installHandlers();
  announceConfig(config, logger);

  const db = await lifecycle.step(
    // A task processor beside `npm start` uses the embedded PostgreSQL the server runs.
    resolveDatabase(config, (line) => logger.notice(line, 'Database'), lifecycle, {
      shareRunning: role === 'task-processor',
    }),
    'Database',
    errorText,
  );
  const app = await lifecycle.step(createApp(config, db, logger), 'Server', (err) =>
    describeStartupFailure(err, config, db.primary.label),
  );
  lifecycle.add('the HTTP server', () => app.close());
  await lifecycle.step(app.listen({ port: config.PORT, host: config.HOST }), 'Server', (err) =>
    (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
      ? `cannot listen on ${config.HOST}:${config.PORT}: the port is in use; stop what uses it or set PORT to a free port`
      : `cannot listen on ${config.HOST}:${config.PORT} (PORT/HOST): ${errorText(err)}`,
  );
  lifecycle.markListening();
  if (role === 'task-processor') {
    app.get(JobWorker).start();
    logger.notice(
      `task processor: running queued jobs, ${config.TASK_PROCESSOR_NUM_THREADS} at a time`,
      'JobWorker',
    );
  } else if (config.TASK_RUN_METHOD === 'TASK_PROCESSOR') {
    logger.notice(
      'TASK_RUN_METHOD=TASK_PROCESSOR: this server runs no queued jobs; `node dist/src/cli.js task-processor` does',
      'JobWorker',
    );
  }
  logger.notice(
    `listening on http://${config.HOST}:${config.PORT} (started in ${Date.now() - LOADED_AT} ms)`,
  );
}

/** PostgreSQL/network error codes that mean the database cannot be reached or refuses us. */
const CONNECTION_FAILURES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH']);
const CONNECTION_REFUSALS = new Set(['28P01', '28000', '3D000']); // bad password, no such role, no such database

/** One line; a database that cannot be reached names the setting it comes from. */
function describeStartupFailure(err: unknown, config: AppConfig, label: string): string {
  const raw = (err as { code?: unknown }).code;
  const code = typeof raw === 'string' ? raw : '';
  if (CONNECTION_FAILURES.has(code) || CONNECTION_REFUSALS.has(code)) {
    const setting =
      config.database.kind === 'external'
        ? config.database.primarySetting
        : 'the embedded PostgreSQL (EMBEDDED_POSTGRES_DATA_DIR/EMBEDDED_POSTGRES_PORT)';
    return `cannot connect to PostgreSQL at ${label}: ${errorText(err)}; check ${setting}`;
  }
  return `startup failed: ${errorText(err)}`;
}
