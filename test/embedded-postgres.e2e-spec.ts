import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryDatabase } from './support/database';
import { freePort } from './support/pg-cluster';
import { spawnServer } from './support/server-process';

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
      expect((await fetch(`http://127.0.0.1:${env.PORT}/health/readiness/`)).status).toBe(200);
    } catch (err) {
      await server.stop('SIGKILL');
      throw err;
    }
    expect(await server.stop('SIGTERM')).toBe(0);
  });
});
