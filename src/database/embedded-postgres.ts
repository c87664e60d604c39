import { existsSync, readFileSync, readlinkSync, realpathSync, unlinkSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { Client } from 'pg';
import { PostgresTarget } from '../config';
import type { StartedResources } from '../startup';
import {
  effectiveDataDir,
  initialiseCluster,
  packagedBinaries,
  postgresRunAs,
  prepareDataDir,
  reachableBinaries,
  RunningServer,
  startServer,
} from './postgres-server';

export interface EmbeddedPostgresHandle {
  readonly target: PostgresTarget;
  stop(): Promise<void>;
}

const DATABASE = 'flagport';
const USER = 'postgres';
const PASSWORD = 'postgres';
const DATA_DIR_SETTING = 'EMBEDDED_POSTGRES_DATA_DIR';

function targetFor(port: number, note: string): PostgresTarget {
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`,
    label: `127.0.0.1:${port}/${DATABASE} (${note})`,
  };
}

/**
 * The embedded PostgreSQL another process (a running `npm start`) already serves from this data directory, for
 * the CLI to use instead of starting its own; undefined when none runs.
 */
export function runningEmbeddedPostgres(dataDir: string): PostgresTarget | undefined {
  const { dir } = effectiveDataDir(dataDir, postgresRunAs());
  let lines: string[];
  try {
    lines = readFileSync(resolve(dir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]); // postmaster.pid: pid, data directory, start time, port, …
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid) || !Number.isInteger(port)) return undefined;
  const holder = inspectProcess(pid);
  if (holder && !servesDirectory(holder, dir)) return undefined;
  return targetFor(port, `embedded, running, data in ${dir}`);
}

/**
 * Starts the PostgreSQL binaries of the `embedded-postgres` package, for installs with no database configured.
 * Data lives in `dataDir` and is kept across restarts. The server listens on 127.0.0.1 only.
 * As root, PostgreSQL runs as the `postgres` system user (created if missing); when that user cannot reach the
 * binaries or `dataDir` (a clone under mode-700 /root), both are moved to SHARED_ROOT, and the log says so.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  log: (line: string) => void,
  started: StartedResources,
): Promise<EmbeddedPostgresHandle> {
  const begun = Date.now();
  const user = postgresRunAs();
  const binaries = reachableBinaries(await packagedBinaries(), user, log);
  const { dir: databaseDir, moved } = effectiveDataDir(dataDir, user);
  if (moved) {
    log(
      `${DATA_DIR_SETTING}=${resolve(dataDir)} is inside a directory the "postgres" user (who runs PostgreSQL ` +
        `as root) cannot enter: the data lives in ${databaseDir} instead, owned by postgres and kept across ` +
        `restarts (set ${DATA_DIR_SETTING} outside private directories to choose the place)`,
    );
  }

  // Registered before anything runs: a signal mid-way lets the running step (initdb, start) finish, starts no
  // further step, and stops the server if it came up.
  let current: Promise<unknown> = Promise.resolve();
  let aborted = false;
  let server: RunningServer | undefined;
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      aborted = true;
      await current.catch(() => undefined);
      if (!server) return;
      await server.stop();
      server = undefined;
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
  prepareDataDir(databaseDir, user, DATA_DIR_SETTING);
  if (fresh) {
    const initStarted = Date.now();
    log(`initialising embedded PostgreSQL in ${databaseDir}${user ? ' (as the "postgres" user)' : ''}`);
    await next(() => initialiseCluster(binaries, databaseDir, user, { name: USER, password: PASSWORD }));
    log(`embedded PostgreSQL initialised in ${Date.now() - initStarted} ms`);
  }
  server = await next(() => startServer(binaries, databaseDir, port, user));

  await next(async () => {
    const client = new Client({ ...targetConnection(port), database: 'postgres' });
    await client.connect();
    try {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
      if (!exists.rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(DATABASE)}`);
    } finally {
      await client.end();
    }
  });

  log(
    `embedded PostgreSQL ${fresh ? 'created and ' : ''}started on 127.0.0.1:${port}, data in ${databaseDir} ` +
      `(${Date.now() - begun} ms)`,
  );
  return { target: targetFor(port, 'embedded'), stop };
}

function targetConnection(port: number) {
  return { host: '127.0.0.1', port, user: USER, password: PASSWORD };
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
