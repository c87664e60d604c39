import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase } from './support/database';
import { freePort } from './support/pg-cluster';
import { REPO_ROOT, ServerProcess, spawnCommand } from './support/server-process';

const SECTION_TITLE = '## Quick start: from `npm start` to a flag';
/** The address the README uses; the test's server listens on a free port instead. */
const README_ORIGIN = 'http://localhost:8000';

interface CodeBlock {
  readonly lang: string;
  readonly text: string;
}

/** A script block's file name: its first line, `// name.mjs`. */
function scriptName(block: CodeBlock): string {
  const name = /^\/\/ (\S+\.mjs)\n/.exec(block.text)?.[1];
  if (!name)
    throw new Error(`a js block of the quick start does not start with "// <name>.mjs":\n${block.text}`);
  return name;
}

/** The fenced code blocks of the README's quick start, in order. */
function quickStartBlocks(): CodeBlock[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n${SECTION_TITLE}\n`);
  if (start < 0) throw new Error(`README.md has no "${SECTION_TITLE}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], text: m[2] }));
}

/**
 * The README's quick start, run as written (test/quickstart.e2e-spec.ts is named there): `npm start`, the CLI's
 * createsuperuser, the /admin sign-in it describes, then the curl commands and the flagsmith-nodejs script as one
 * shell session. Only the server's address (a free port) and its database (a test database instead of the
 * embedded PostgreSQL, which test/embedded-postgres.e2e-spec.ts covers) differ.
 */
describe('README quick start', () => {
  const blocks = quickStartBlocks();
  const workDir = join(REPO_ROOT, 'test/artifacts/quickstart');
  let origin: string;
  let env: Record<string, string>;
  let server: ServerProcess | undefined;
  let serverEnded = false;

  const localise = (text: string) => text.split(README_ORIGIN).join(origin);
  const shell = async (script: string) => {
    const run = spawnCommand('bash', ['-euo', 'pipefail', '-c', localise(script)], env, workDir);
    const code = await run.exited;
    return { code, output: run.output() };
  };

  beforeAll(async () => {
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    env = {
      DATABASE_URL: await createTestDatabase('flagport_quickstart'),
      PORT: String(port),
      HOST: '127.0.0.1',
      DJANGO_SECRET_KEY: 'quickstart-e2e-secret-0123456789-0123456789',
      ENABLE_TELEMETRY: 'false',
      EMAIL_BACKEND: 'none',
      LOG_LEVEL: 'INFO',
    };
    rmSync(workDir, { recursive: true, force: true });
    mkdirSync(workDir, { recursive: true });
  });
  afterAll(async () => {
    // Whatever a failed test left running: nothing outlives the suite.
    if (server && !serverEnded) await server.stop('SIGKILL');
  });

  it('the section is: npm start, createsuperuser, the API session, then the SDK scripts and their runs', () => {
    expect(blocks.map((b) => b.lang)).toEqual(['bash', 'bash', 'bash', 'bash', 'js', 'bash', 'js', 'bash']);
    expect(blocks[0].text.trim()).toBe('npm start');
    expect(blocks[1].text).toMatch(/^npm run cli -- createsuperuser /);
    expect(blocks.filter((b) => b.lang === 'js').map(scriptName)).toEqual(['flags.mjs', 'browser-flags.mjs']);
    expect(blocks[5].text.trim()).toBe('node flags.mjs');
    expect(blocks[7].text.trim()).toBe('node browser-flags.mjs');
  });

  it('step 1: npm start → the server listens and / names /admin/', async () => {
    server = spawnCommand('bash', ['-euo', 'pipefail', '-c', blocks[0].text], env, workDir, {
      processGroup: true,
    });
    await server.waitForOutput(/listening on/, 240_000);
    const root = (await (await fetch(`${origin}/`)).json()) as { links: { admin: string } };
    expect(root.links.admin).toBe('/admin/');
  }, 250_000);

  it('step 2: createsuperuser beside the running server → exit 0', async () => {
    const run = await shell(blocks[1].text);
    expect(run).toMatchObject({ code: 0 });
    expect(run.output).toMatch(/admin@example\.com/);
  }, 60_000);

  it('step 3: /admin password sign-in with that superuser, no setting changed → the panel', async () => {
    const [, email, password] = /--email (\S+) --password '([^']+)'/.exec(blocks[1].text) ?? [];
    const login = await fetch(`${origin}/admin/login`);
    expect(login.status).toBe(200);
    expect(await login.text()).toMatch(/"password":true/);
    const signIn = await fetch(`${origin}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
      body: new URLSearchParams({ email, password }).toString(),
    });
    expect(signIn.status).toBe(302);
    const cookie = signIn.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const panel = await fetch(`${origin}/admin/`, { headers: { cookie }, redirect: 'manual' });
    expect(panel.status).toBe(200);
  }, 60_000);

  it('steps 4–8: the curl session, then both SDK scripts → the flag through curl, flagsmith-nodejs and flagsmith', async () => {
    for (const script of blocks.filter((b) => b.lang === 'js'))
      writeFileSync(join(workDir, scriptName(script)), localise(script.text));
    const commands = blocks.slice(2).filter((b) => b.lang === 'bash');
    const run = await shell(commands.map((b) => b.text).join('\n'));
    expect(run).toMatchObject({ code: 0 });
    expect(run.output).toMatch(/^feature created: HTTP 201$/m);
    expect(run.output).toMatch(/environment key: \w{22}\b/);
    const flagsJson = /^\[.*\]$/m.exec(run.output)?.[0];
    expect(JSON.parse(flagsJson ?? 'null')).toEqual([
      expect.objectContaining({
        enabled: true,
        feature_state_value: 'blue',
        feature: expect.objectContaining({ name: 'new_checkout' }),
      }),
    ]);
    // One line from flags.mjs (flagsmith-nodejs), one from browser-flags.mjs (flagsmith).
    expect(run.output.match(/^new_checkout: true blue$/gm)).toHaveLength(2);
  }, 60_000);

  it('Ctrl-C in the npm start terminal (SIGINT to its process group) → the server stops and every process ends', async () => {
    const hung = setTimeout(() => void server?.stop('SIGKILL'), 20_000);
    await server?.stop('SIGINT');
    clearTimeout(hung);
    expect(server?.output()).toMatch(/SIGINT received[\s\S]*\[Server\] stopped/);
    serverEnded = true;
  }, 30_000);
});
