import { AppConfig } from '../config';
import type { StartedResources } from '../startup';
import { ResolvedDatabase } from './data-source-options';
import { runningEmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres';

export interface DatabaseRuntime extends ResolvedDatabase {
  /** Stops the embedded server, if one was started; a no-op for external databases. */
  stop(): Promise<void>;
}

/**
 * The configured PostgreSQL servers, or an embedded one started now when none is configured. With `shareRunning`
 * (the CLI), an embedded PostgreSQL that a running server already serves from the same data directory is used as
 * it is, and left running.
 */
export async function resolveDatabase(
  config: AppConfig,
  log: (line: string) => void,
  started: StartedResources = { add: () => undefined },
  options: { readonly shareRunning?: boolean } = {},
): Promise<DatabaseRuntime> {
  const db = config.database;
  if (db.kind === 'external') {
    return { primary: db.primary, replicas: db.replicas, stop: async () => undefined };
  }
  const running = options.shareRunning ? runningEmbeddedPostgres(db.dataDir) : undefined;
  if (running) {
    log(`using the embedded PostgreSQL already running at ${running.label}`);
    return { primary: running, replicas: [], stop: async () => undefined };
  }
  log(
    'no database configured (DATABASE_URL / DJANGO_DB_HOST): using an embedded PostgreSQL, not meant for production',
  );
  const embedded = await startEmbeddedPostgres(db.dataDir, db.port, log, started);
  return { primary: embedded.target, replicas: [], stop: () => embedded.stop() };
}
