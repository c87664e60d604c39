import { AppConfig } from '../config';
import type { StartedResources } from '../startup';
import { ResolvedDatabase } from './data-source-options';
import { startEmbeddedPostgres } from './embedded-postgres';

export interface DatabaseRuntime extends ResolvedDatabase {
  /** Stops the embedded server, if one was started; a no-op for external databases. */
  stop(): Promise<void>;
}

/** The configured PostgreSQL servers, or an embedded one started now when none is configured. */
export async function resolveDatabase(
  config: AppConfig,
  log: (line: string) => void,
  started: StartedResources = { add: () => undefined },
): Promise<DatabaseRuntime> {
  const db = config.database;
  if (db.kind === 'external') {
    return { primary: db.primary, replicas: db.replicas, stop: async () => undefined };
  }
  log(
    'no database configured (DATABASE_URL / DJANGO_DB_HOST): using an embedded PostgreSQL, not meant for production',
  );
  const embedded = await startEmbeddedPostgres(db.dataDir, db.port, log, started);
  return { primary: embedded.target, replicas: [], stop: () => embedded.stop() };
}
