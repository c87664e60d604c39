import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SETTINGS } from '../src/config';
import { REPO_ROOT } from './support/server-process';

/** No Docker engine runs here, so the deployment files are checked statically against the app. */
describe('deployment files', () => {
  const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');

  it('docker-compose api service sets only environment variables the config module knows', () => {
    const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { environment?: Record<string, string>; build?: unknown }>;
    };
    const api = compose.services.api;
    expect(api.build).toBe('.');
    const names = Object.keys(api.environment ?? {});
    expect(names.length).toBeGreaterThan(3);
    expect(names.filter((name) => !(name in SETTINGS))).toEqual([]);
    expect(api.environment?.DATABASE_URL).toMatch(/^postgres:\/\/.+@postgres:5432\//);
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'memcached', 'postgres']);
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
