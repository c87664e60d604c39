import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT, spawnServer } from './support/server-process';

/**
 * The built server (dist/src/main.js) with one bad variable: it must exit 1 quickly, printing exactly one
 * line on stderr that names the variable and what is allowed, and no stack trace.
 * Runs in an empty folder so that a developer's .env cannot change the outcome.
 */
async function startWith(env: Record<string, string>) {
  const cwd = mkdtempSync(join(tmpdir(), 'flagport-config-'));
  const started = Date.now();
  const server = spawnServer({ ENABLE_TELEMETRY: 'false', ...env }, cwd);
  let stderr = '';
  server.child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const code = await server.exited;
  rmSync(cwd, { recursive: true, force: true });
  return { code, stderr, output: server.output(), seconds: (Date.now() - started) / 1000 };
}

describe('startup with an invalid setting', () => {
  it.each<[string, Record<string, string>, RegExp]>([
    [
      'LOG_FORMAT=xml',
      { LOG_FORMAT: 'xml' },
      /^LOG_FORMAT: "xml" is not allowed; use one of: generic, json$/,
    ],
    [
      'SEGMENT_CONDITION_VALUE_LIMIT=-1',
      { SEGMENT_CONDITION_VALUE_LIMIT: '-1' },
      /^SEGMENT_CONDITION_VALUE_LIMIT: -1 is out of range: must be an integer from 0 to 2000000$/,
    ],
    [
      'SEGMENT_CONDITION_VALUE_LIMIT=2000001',
      { SEGMENT_CONDITION_VALUE_LIMIT: '2000001' },
      /^SEGMENT_CONDITION_VALUE_LIMIT: 2000001 is out of range: must be an integer from 0 to 2000000$/,
    ],
    [
      'a malformed DATABASE_URL',
      { DATABASE_URL: 'postgres//user:secret@host/db' },
      /^DATABASE_URL: is not a valid database URL; expected postgres:\/\/user:password@host:port\/db_name$/,
    ],
    [
      'a non-PostgreSQL DATABASE_URL',
      { DATABASE_URL: 'mysql://user:secret@host/db' },
      /^DATABASE_URL: unsupported scheme "mysql"; only PostgreSQL is supported/,
    ],
    ['PORT=abc', { PORT: 'abc' }, /^PORT: "abc" is not an integer from 0 to 65535$/],
    [
      'a bad cache backend',
      { ENVIRONMENT_CACHE_BACKEND: 'redis' },
      /^ENVIRONMENT_CACHE_BACKEND: "redis" is not allowed; use one of: memory, memcached, none, /,
    ],
    [
      'LOG_LEVEL=LOUD',
      { LOG_LEVEL: 'LOUD' },
      /^LOG_LEVEL: "LOUD" is not allowed; use one of: DEBUG, INFO, WARNING/,
    ],
  ])('%s → exit 1 and one stderr line naming the variable, no stack trace', async (_name, env, message) => {
    const result = await startWith(env);
    expect(result.code).toBe(1);
    const lines = result.stderr.split('\n').filter((l) => l.length > 0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^flagport: invalid configuration: /);
    expect(lines[0].replace('flagport: invalid configuration: ', '')).toMatch(message);
    expect(result.output).not.toMatch(/\n\s+at /);
    expect(result.output).not.toContain('secret');
    expect(result.seconds).toBeLessThan(10);
  });
});

describe('npm start (scripts/start.mjs) with an unreachable DATABASE_URL', () => {
  it('skips the build when dist/ is up to date, then exits 1 with one line naming DATABASE_URL and no stack trace', async () => {
    const server = spawnServer(
      { ENABLE_TELEMETRY: 'false', DATABASE_URL: 'postgres://user:secret@127.0.0.1:1/flags' },
      REPO_ROOT,
      resolve(REPO_ROOT, 'scripts/start.mjs'),
    );
    const code = await server.exited;
    const output = server.output();
    expect(code).toBe(1);
    // `npm test` builds right before the suites run, so dist/ is newer than every source.
    expect(output).toMatch(/^flagport: build: dist\/ is up to date, skipped/m);
    expect(output).toMatch(
      /CRITICAL \[Server\] cannot connect to PostgreSQL at 127\.0\.0\.1:1\/flags: connect ECONNREFUSED 127\.0\.0\.1:1; check DATABASE_URL$/m,
    );
    expect(output).not.toMatch(/\n\s+at /);
    expect(output).not.toMatch(/ExceptionHandler/);
    expect(output).not.toContain('secret');
  }, 60000);
});
