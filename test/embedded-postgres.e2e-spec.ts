import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { queryDatabase } from './support/database';
import { freePort } from './support/pg-cluster';
import { REPO_ROOT, ServerProcess, spawnServer } from './support/server-process';

/** Runs `node <root>/dist/src/cli.js …` to its end, from `root`. */
async function cli(env: Record<string, string>, root: string, ...args: string[]) {
  const run = spawnServer(env, root, resolve(root, 'dist/src/cli.js'), args);
  const code = await run.exited;
  return { code, output: run.output() };
}

/** `npm start` with no database configured: the server starts its own PostgreSQL and keeps the data. */
describe('embedded PostgreSQL default', () => {
  const parent = mkdtempSync(join(tmpdir(), 'flagport-embedded-'));
  // PostgreSQL runs as the `postgres` user when we are root: it must be able to reach the data directory.
  chmodSync(parent, 0o755);
  const dataDir = join(parent, 'postgres');
  let env: Record<string, string>;
  let pgUrl: string;

  beforeAll(async () => {
    const [port, pgPort] = [await freePort(), await freePort()];
    env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      EMBEDDED_POSTGRES_DATA_DIR: dataDir,
      EMBEDDED_POSTGRES_PORT: String(pgPort),
      ENABLE_TELEMETRY: 'false',
    };
    pgUrl = `postgres://postgres:postgres@127.0.0.1:${pgPort}/flagport`;
  });

  it('first start with no database configured creates it, migrates, and readiness answers 200', async () => {
    const server = spawnServer(env);
    try {
      await server.waitForOutput(/listening on/, 60000);
      expect(server.output()).toMatch(/embedded PostgreSQL created and started on 127\.0\.0\.1/);
      expect(server.output()).toMatch(/DJANGO_SECRET_KEY is not set/);
      const res = await fetch(`http://127.0.0.1:${env.PORT}/health/readiness/`);
      expect(res.status).toBe(200);
      await queryDatabase(pgUrl, `INSERT INTO sites (name, domain) VALUES ('kept', 'kept.example.com')`);
    } catch (err) {
      await server.stop('SIGKILL');
      throw err;
    }
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(server.output()).toMatch(/embedded PostgreSQL stopped/);
    await expect(queryDatabase(pgUrl, 'SELECT 1')).rejects.toThrow(); // really stopped
  });

  it('every CLI command beside the running server uses its embedded PostgreSQL; without a server the CLI starts its own', async () => {
    const server = spawnServer(env);
    try {
      await server.waitForOutput(/listening on/, 60000);
      const beside = [
        await cli(env, REPO_ROOT, 'createsuperuser', '--email', 'beside@example.com', '--no-input'),
        await cli({ ...env, ALLOW_ADMIN_INITIATION_VIA_CLI: 'true' }, REPO_ROOT, 'bootstrap'),
        await cli(env, REPO_ROOT, 'migrate'),
        await cli(env, REPO_ROOT, 'unlock-user', 'beside@example.com'),
      ];
      for (const run of beside) {
        expect(run).toEqual({
          code: 0,
          output: expect.stringMatching(/using the embedded PostgreSQL already running at 127\.0\.0\.1:/),
        });
      }
      expect(beside[0].output).toMatch(/Superuser created successfully: beside@example\.com/);
      expect(beside[2].output).toMatch(/no pending migrations/);
      expect((await fetch(`http://127.0.0.1:${env.PORT}/health/readiness/`)).status).toBe(200);
    } catch (err) {
      await server.stop('SIGKILL');
      throw err;
    }
    expect(await server.stop('SIGTERM')).toBe(0);

    const alone = await cli(env, REPO_ROOT, 'createsuperuser', '--email', 'alone@example.com', '--no-input');
    expect(alone.code).toBe(0);
    expect(alone.output).not.toMatch(/already running/);
    expect(alone.output).toMatch(
      /embedded PostgreSQL started on[\s\S]*Superuser created[\s\S]*embedded PostgreSQL stopped/,
    );
    await expect(queryDatabase(pgUrl, 'SELECT 1')).rejects.toThrow(); // the CLI stopped what it started
  }, 120000);

  it('restart reuses the data directory and keeps the data', async () => {
    const server = spawnServer(env);
    try {
      await server.waitForOutput(/listening on/, 60000);
      expect(server.output()).not.toMatch(/created and started/);
      const rows = await queryDatabase<{ domain: string }>(
        pgUrl,
        `SELECT domain FROM sites WHERE name = 'kept'`,
      );
      expect(rows).toEqual([{ domain: 'kept.example.com' }]);
      const users = await queryDatabase<{ email: string }>(pgUrl, 'SELECT email FROM users ORDER BY email');
      expect(users).toEqual([{ email: 'alone@example.com' }, { email: 'beside@example.com' }]);
      expect((await fetch(`http://127.0.0.1:${env.PORT}/health/readiness/`)).status).toBe(200);
    } catch (err) {
      await server.stop('SIGKILL');
      throw err;
    }
    expect(await server.stop('SIGTERM')).toBe(0);
  });
});

/** The PID a data directory's postmaster.pid names, if the file exists. */
function postmasterPid(dataDir: string): number | undefined {
  const file = join(dataDir, 'postmaster.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined;
}

/** Running (an exited process that its new parent, init, has not reaped yet is a zombie: not running). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

async function waitUntil(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves with the exit code, or fails if the process is still running after `timeoutMs`. */
function exitWithin(server: ServerProcess, timeoutMs: number): Promise<number | null> {
  return Promise.race([
    server.exited,
    new Promise<never>((_, fail) =>
      setTimeout(
        () => fail(new Error(`still running after ${timeoutMs} ms:\n${server.output()}`)),
        timeoutMs,
      ),
    ),
  ]);
}

const STARTED = /embedded PostgreSQL (created and )?started on/;

/**
 * Signals and crashes between "embedded PostgreSQL started" and "listening" (issue 13, item 5): the PostgreSQL
 * the process started must not outlive it, and whatever an earlier run left behind must not stop the next start.
 */
describe('embedded PostgreSQL across signals and crashes during startup', () => {
  const parent = mkdtempSync(join(tmpdir(), 'flagport-embedded-signals-'));
  chmodSync(parent, 0o755);
  const dataDir = join(parent, 'postgres');
  let env: Record<string, string>;
  let pgUrl: string;
  const servers: ServerProcess[] = [];
  const start = () => {
    const server = spawnServer(env);
    servers.push(server);
    return server;
  };

  /** A normal start and SIGTERM stop: the next run can use the data directory. */
  /** Starts the server, then SIGKILLs node and its postmaster: postmaster.pid is left naming a dead PID. */
  async function killBothLeavingLockFile(): Promise<number> {
    const crashed = start();
    await crashed.waitForOutput(STARTED, 60000);
    const pid = postmasterPid(dataDir)!;
    await crashed.stop('SIGKILL');
    process.kill(pid, 'SIGKILL');
    await waitUntil('the killed postmaster is gone', () => !alive(pid), 10000);
    return pid;
  }

  async function startsAndStops(): Promise<ServerProcess> {
    const server = start();
    await server.waitForOutput(/listening on/, 60000);
    expect((await fetch(`http://127.0.0.1:${env.PORT}/health/readiness/`)).status).toBe(200);
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(postmasterPid(dataDir)).toBeUndefined();
    return server;
  }

  beforeAll(async () => {
    const [port, pgPort] = [await freePort(), await freePort()];
    env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      EMBEDDED_POSTGRES_DATA_DIR: dataDir,
      EMBEDDED_POSTGRES_PORT: String(pgPort),
      ENABLE_TELEMETRY: 'false',
      DJANGO_SECRET_KEY: 'x'.repeat(60),
    };
    pgUrl = `postgres://postgres:postgres@127.0.0.1:${pgPort}/flagport`;
  });

  afterAll(async () => {
    for (const server of servers) await server.stop('SIGKILL');
    // A failed test must not leave its PostgreSQL running.
    const pid = postmasterPid(dataDir);
    if (pid && alive(pid)) process.kill(pid, 'SIGQUIT');
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s right after "embedded PostgreSQL started": exits 0 before listening, its PostgreSQL is stopped, the next start succeeds',
    async (signal) => {
      const server = start();
      await server.waitForOutput(STARTED, 60000);
      const pid = postmasterPid(dataDir);
      expect(pid && alive(pid)).toBeTruthy();
      server.child.kill(signal);
      // Bound: stopping PostgreSQL (fast shutdown) takes well under a second; 20 s leaves room for a loaded machine.
      const code = await exitWithin(server, 20000);
      expect(server.output()).not.toMatch(/listening on/); // the signal did land during startup
      expect([code, server.output()]).toEqual([
        0,
        expect.stringMatching(new RegExp(`${signal} received during startup: stopping embedded PostgreSQL`)),
      ]);
      expect(server.output()).toMatch(/embedded PostgreSQL stopped/);
      expect(alive(pid!)).toBe(false);
      expect(postmasterPid(dataDir)).toBeUndefined();
      await expect(queryDatabase(pgUrl, 'SELECT 1')).rejects.toThrow();

      await startsAndStops();
    },
    120000,
  );

  it('a startup step failing after PostgreSQL started (PORT taken): exits 1 and its PostgreSQL is stopped', async () => {
    const squatter = createServer();
    await new Promise<void>((done) => squatter.listen(Number(env.PORT), '127.0.0.1', done));
    try {
      const server = start();
      const code = await exitWithin(server, 60000);
      expect([code, server.output()]).toEqual([1, expect.stringMatching(/cannot listen on 127\.0\.0\.1/)]);
      expect(server.output()).toMatch(STARTED);
      expect(server.output()).toMatch(/embedded PostgreSQL stopped/);
      expect(postmasterPid(dataDir)).toBeUndefined();
      await expect(queryDatabase(pgUrl, 'SELECT 1')).rejects.toThrow();
    } finally {
      await new Promise((done) => squatter.close(done));
    }
  }, 120000);

  it('node killed (SIGKILL) after its PostgreSQL started: the next start stops the PostgreSQL left running and starts', async () => {
    const crashed = start();
    await crashed.waitForOutput(STARTED, 60000);
    expect(await crashed.stop('SIGKILL')).toBeNull();
    const leftover = postmasterPid(dataDir)!;
    expect(alive(leftover)).toBe(true); // what the crash leaves: a PostgreSQL nobody will stop
    expect(await queryDatabase(pgUrl, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);

    const next = await startsAndStops();
    expect(next.output()).toMatch(
      new RegExp(
        `embedded PostgreSQL \\(PID ${leftover}\\) left running in ${dataDir} by an earlier run: stopping it`,
      ),
    );
    expect(alive(leftover)).toBe(false);
  }, 120000);

  it('node and its PostgreSQL both killed (SIGKILL), postmaster.pid left behind: the next start succeeds', async () => {
    const pid = await killBothLeavingLockFile();
    expect(postmasterPid(dataDir)).toBe(pid); // stale lock file

    await startsAndStops();
  }, 120000);

  it('postmaster.pid naming a live process that is not PostgreSQL (PID reused): the next start replaces it and succeeds', async () => {
    await killBothLeavingLockFile();
    // After a reboot or in a new container the PID is often someone else's: here a sleep, run as PostgreSQL's own
    // user (as root, PostgreSQL runs as "postgres"), so that PostgreSQL sees it as alive and refuses the lock file.
    const asPostgres =
      process.getuid?.() === 0
        ? {
            uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
            gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
          }
        : {};
    const other = spawn('sleep', ['60'], { stdio: 'ignore', ...asPostgres });
    try {
      const file = join(dataDir, 'postmaster.pid');
      const lines = readFileSync(file, 'utf8').split('\n');
      lines[0] = String(other.pid);
      writeFileSync(file, lines.join('\n'));

      const next = await startsAndStops();
      expect(next.output()).toMatch(/stale postmaster\.pid/);
      expect(alive(other.pid!)).toBe(true); // not ours: left alone
    } finally {
      other.kill();
    }
  }, 120000);
});

const SHARED_ROOT = '/var/lib/flagport/embedded-postgres';
const asRoot = process.getuid?.() === 0;

/**
 * Issue 19: as root, a clone inside a mode-700 directory (/root/x): PostgreSQL runs as the "postgres" user, who cannot
 * enter the clone, so neither the packaged binaries nor ./.data/postgres are usable by it.
 */
(asRoot ? describe : describe.skip)(
  'embedded PostgreSQL as root in a clone inside a mode-700 directory (skipped unless root: only root runs PostgreSQL as another user)',
  () => {
    const privateDir = mkdtempSync(join(tmpdir(), 'flagport-private-'));
    const clone = join(privateDir, 'flagport');
    let env: Record<string, string>;
    let pgUrl: string;
    let relocated: string | undefined;

    beforeAll(async () => {
      chmodSync(privateDir, 0o700);
      mkdirSync(clone);
      // Hard links: a clone with its own node_modules and dist, as `npm ci && npm run build` leave them.
      execFileSync('cp', [
        '-al',
        ...['node_modules', 'dist', 'package.json'].map((f) => join(REPO_ROOT, f)),
        clone,
      ]);
      const [port, pgPort] = [await freePort(), await freePort()];
      env = {
        PORT: String(port),
        HOST: '127.0.0.1',
        EMBEDDED_POSTGRES_PORT: String(pgPort),
        ENABLE_TELEMETRY: 'false',
        DJANGO_SECRET_KEY: 'y'.repeat(60),
      };
      pgUrl = `postgres://postgres:postgres@127.0.0.1:${pgPort}/flagport`;
    }, 120000);

    afterAll(() => {
      rmSync(privateDir, { recursive: true, force: true });
      if (relocated?.startsWith(`${SHARED_ROOT}/data-`)) rmSync(relocated, { recursive: true, force: true });
    });

    it('npm start from the clone (no settings) reaches readiness with binaries and data where postgres can reach them, the CLI works beside it, a restart keeps the data', async () => {
      const start = () => spawnServer(env, clone, join(clone, 'dist/src/main.js'));
      const first = start();
      try {
        await first.waitForOutput(/listening on/, 90000);
        const moved = new RegExp(
          `EMBEDDED_POSTGRES_DATA_DIR=${clone}/\\.data/postgres is inside a directory the "postgres" user .* cannot enter: ` +
            `the data lives in (${SHARED_ROOT}/data-[0-9a-f]+) instead`,
        ).exec(first.output());
        expect(moved).not.toBeNull();
        relocated = moved![1];
        expect(first.output()).not.toMatch(/EACCES|\n\s+at /); // no spawn error, no stack trace
        expect((await fetch(`http://127.0.0.1:${env.PORT}/health/readiness/`)).status).toBe(200);
        // The postmaster runs as postgres, from binaries outside the private directory, on data it owns.
        const pid = postmasterPid(relocated)!;
        expect(readlinkSync(`/proc/${pid}/exe`)).toMatch(
          new RegExp(`^${SHARED_ROOT}/postgresql-[^/]+/bin/postgres$`),
        );
        const owner = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)![1];
        expect(owner).toBe(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());

        const created = await cli(
          env,
          clone,
          'createsuperuser',
          '--email',
          'private@example.com',
          '--no-input',
        );
        expect(created).toEqual({
          code: 0,
          output: expect.stringMatching(
            /already running[\s\S]*Superuser created successfully: private@example\.com/,
          ),
        });
      } catch (err) {
        await first.stop('SIGKILL');
        throw err;
      }
      expect(await first.stop('SIGTERM')).toBe(0);

      const second = start();
      try {
        await second.waitForOutput(/listening on/, 90000);
        expect(second.output()).not.toMatch(/created and started|copied the PostgreSQL binaries/);
        expect(await queryDatabase(pgUrl, 'SELECT email FROM users')).toEqual([
          { email: 'private@example.com' },
        ]);
      } catch (err) {
        await second.stop('SIGKILL');
        throw err;
      }
      expect(await second.stop('SIGTERM')).toBe(0);
    }, 240000);
  },
);
