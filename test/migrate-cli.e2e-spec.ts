import { resolve } from 'node:path';
import { startTestApp } from './support/app';
import { createTestDatabase, queryDatabase } from './support/database';
import { REPO_ROOT, spawnServer } from './support/server-process';

const CLI_JS = resolve(REPO_ROOT, 'dist/src/cli.js');

describe('migrations as a separate step', () => {
  it('app with RUN_MIGRATIONS_ON_START=false on an empty database: readiness answers 503 naming pending migrations', async () => {
    const t = await startTestApp({ RUN_MIGRATIONS_ON_START: 'false' });
    try {
      const res = await fetch(`${t.url}/health/readiness/`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: Record<string, { message?: string }> };
      expect(Object.keys(body.error)).toEqual(['migrations']);
      expect(body.error.migrations.message).toMatch(/pending/);
    } finally {
      await t.close();
    }
  });

  it('`cli migrate` applies every migration and exits 0; a second run applies nothing', async () => {
    const databaseUrl = await createTestDatabase();
    const env = { DATABASE_URL: databaseUrl, DJANGO_SECRET_KEY: 'x'.repeat(50) };
    const first = spawnServer(env, REPO_ROOT, CLI_JS, ['migrate']);
    expect(await first.exited).toBe(0);
    expect(first.output()).toMatch(/applied: /);
    const rows = await queryDatabase<{ count: string }>(
      databaseUrl,
      'SELECT count(*) FROM typeorm_migrations',
    );
    expect(Number(rows[0].count)).toBeGreaterThan(0);

    const second = spawnServer(env, REPO_ROOT, CLI_JS, ['migrate']);
    expect(await second.exited).toBe(0);
    expect(second.output()).toMatch(/no pending migrations/);

    const t = await startTestApp({ DATABASE_URL: databaseUrl, RUN_MIGRATIONS_ON_START: 'false' });
    try {
      expect((await fetch(`${t.url}/health/readiness/`)).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('`cli` with an unknown command exits 2 with usage', async () => {
    const run = spawnServer({}, REPO_ROOT, CLI_JS, ['frobnicate']);
    expect(await run.exited).toBe(2);
    expect(run.output()).toMatch(/unknown command "frobnicate"[\s\S]*usage/);
  });
});
