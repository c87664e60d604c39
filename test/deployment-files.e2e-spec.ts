import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SETTINGS } from '../src/config';
import { createTestDatabase, queryDatabase } from './support/database';
import { freePort } from './support/pg-cluster';
import { REPO_ROOT, spawnCommand } from './support/server-process';

interface ComposeService {
  image?: string;
  ports?: string[];
  environment?: Record<string, string>;
  build?: unknown;
  command?: string[];
}

function composeFile(): { services: Record<string, ComposeService> } {
  return parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, ComposeService>;
  };
}

/** No Docker engine runs here, so the deployment files are checked statically against the app. */
describe('deployment files', () => {
  const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');

  it('docker-compose api service sets only environment variables the config module knows', () => {
    const compose = composeFile();
    const api = compose.services.api;
    expect(api.build).toBe('.');
    const names = Object.keys(api.environment ?? {});
    expect(names.length).toBeGreaterThan(3);
    expect(names.filter((name) => !(name in SETTINGS))).toEqual([]);
    expect(api.environment?.DATABASE_URL).toMatch(/^postgres:\/\/.+@postgres:5432\//);
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'dashboard', 'memcached', 'postgres']);
  });

  it("docker-compose dashboard is Flagsmith's pinned image, calling the api service where the browser reaches it", () => {
    const { api, dashboard } = composeFile().services;
    expect(dashboard.image).toMatch(/^flagsmith\/flagsmith-frontend:\d+\.\d+\.\d+$/);
    const apiPort = (api.ports ?? [])[0]?.split(':')[0];
    expect(apiPort).toMatch(/^\d+$/);
    expect(dashboard.environment?.FLAGSMITH_API_URL).toBe(`http://localhost:${apiPort}/api/v1/`);
    expect(dashboard.ports).toEqual(['8080:8080']);
  });

  it('docker-compose api service runs bootstrap, with its variables set, then execs the server', () => {
    const api = composeFile().services.api;
    expect(api.command).toEqual(['sh', '-c', 'node dist/src/cli.js bootstrap && exec node dist/src/main.js']);
    expect(api.environment).toMatchObject({
      ALLOW_ADMIN_INITIATION_VIA_CLI: 'true',
      ADMIN_EMAIL: expect.stringContaining('@'),
      ORGANISATION_NAME: expect.any(String),
      PROJECT_NAME: expect.any(String),
    });
  });

  /**
   * The api service's command and environment as compose would run them (no Docker here: run in the repo, whose
   * dist/ is the image's), with only the addresses of the other services replaced: twice, as two `docker compose up`.
   */
  it('docker-compose api command run twice → one superuser, organisation and project, and the server listens', async () => {
    const api = composeFile().services.api;
    const databaseUrl = await createTestDatabase('flagport_compose');
    const env: Record<string, string> = { ...api.environment };
    delete env.ENVIRONMENT_CACHE_BACKEND; // memcached:11211 does not resolve here
    delete env.ENVIRONMENT_CACHE_LOCATION;
    const [shell, ...shellArgs] = api.command ?? [];
    const up = async () => {
      const port = await freePort();
      const run = spawnCommand(shell, shellArgs, {
        ...env,
        DATABASE_URL: databaseUrl,
        PORT: String(port),
        HOST: '127.0.0.1',
      });
      await run.waitForOutput(/listening on/, 60_000);
      expect((await fetch(`http://127.0.0.1:${port}/health/readiness/`)).status).toBe(200);
      return run;
    };
    const first = await up();
    expect(first.output()).toMatch(/bootstrap: created superuser admin@example\.com/);
    expect(await first.stop()).toBe(0); // SIGTERM reaches the server itself (exec), which stops cleanly
    const second = await up();
    expect(second.output()).toMatch(/bootstrap: superuser: skipped/);
    expect(await second.stop()).toBe(0);
    const [counts] = await queryDatabase<{ users: string; organisations: string; projects: string }>(
      databaseUrl,
      `SELECT (SELECT count(*) FROM users WHERE email = 'admin@example.com' AND is_superuser) AS users,
              (SELECT count(*) FROM organisations WHERE name = 'Default Organisation') AS organisations,
              (SELECT count(*) FROM projects WHERE name = 'Default Project') AS projects`,
    );
    expect(counts).toEqual({ users: '1', organisations: '1', projects: '1' });
  });

  it('Dockerfile runtime stage runs as a non-root user', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/^USER (?!root\b)\w+/m);
  });

  it('Dockerfile HEALTHCHECK probes the liveness route the app serves', () => {
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*\/health\/liveness\//);
  });

  it('Dockerfile environment sets only variables the config module knows', () => {
    const envLines = dockerfile.match(/^ENV .+$/gm) ?? [];
    const names = envLines.flatMap((line) => [...line.matchAll(/(\w+)=/g)].map((m) => m[1]));
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => name !== 'NODE_ENV' && !(name in SETTINGS))).toEqual([]);
  });
});
