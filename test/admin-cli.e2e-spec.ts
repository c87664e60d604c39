/** `bootstrap` and `createsuperuser` (docs/contracts/admin-api.md §2) run as the built CLI, plus the JSON first-run endpoints in-process. */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { startTestApp } from './support/app';
import { createTestDatabase, queryDatabase } from './support/database';
import { REPO_ROOT, spawnServer } from './support/server-process';

const CLI_JS = resolve(REPO_ROOT, 'dist/src/cli.js');
const SECRET = 'admin-cli-e2e-secret-0123456789-0123456789';

async function cli(env: Record<string, string>, ...args: string[]) {
  const run = spawnServer(
    { DJANGO_SECRET_KEY: SECRET, LOG_LEVEL: 'WARNING', ...env },
    REPO_ROOT,
    CLI_JS,
    args,
  );
  const code = await run.exited;
  return { code, output: run.output() };
}

describe('cli bootstrap', () => {
  it('does nothing unless ALLOW_ADMIN_INITIATION_VIA_CLI=true', async () => {
    const databaseUrl = await createTestDatabase();
    const run = await cli({ DATABASE_URL: databaseUrl }, 'bootstrap');
    expect(run).toMatchObject({ code: 0 });
    expect(run.output).toMatch(/ALLOW_ADMIN_INITIATION_VIA_CLI/);
  });

  it('creates the superuser, organisation (superuser as ADMIN) and project, once; flags override the variables', async () => {
    const databaseUrl = await createTestDatabase();
    const env = {
      DATABASE_URL: databaseUrl,
      ALLOW_ADMIN_INITIATION_VIA_CLI: 'true',
      ADMIN_EMAIL: 'env-admin@example.com',
      ORGANISATION_NAME: 'Env Org',
      PROJECT_NAME: 'Env Project',
      FLAGSMITH_DOMAIN: 'flags.example.com',
    };
    const first = await cli(env, 'bootstrap', '--email', 'ops@example.com', '--organisation-name=Ops');
    expect(first.code).toBe(0);
    expect(first.output).toMatch(/created superuser ops@example.com/);
    expect(first.output).toMatch(/https:\/\/flags\.example\.com\/password-reset\/confirm\/\S+\/\S+/);
    const users = await queryDatabase<{ email: string; is_superuser: boolean; password: string }>(
      databaseUrl,
      'SELECT email, is_superuser, password FROM users',
    );
    expect(users).toEqual([
      { email: 'ops@example.com', is_superuser: true, password: expect.stringMatching(/^!/) },
    ]);
    expect(
      await queryDatabase(
        databaseUrl,
        `SELECT o.name AS organisation, m.role, p.name AS project FROM organisations o
           JOIN organisation_memberships m ON m.organisation_id = o.id JOIN projects p ON p.organisation_id = o.id`,
      ),
    ).toEqual([{ organisation: 'Ops', role: 'ADMIN', project: 'Env Project' }]);

    const second = await cli(env, 'bootstrap', '--email', 'ops@example.com', '--organisation-name=Ops');
    expect(second.code).toBe(0);
    expect(second.output).toMatch(/superuser: skipped/);
    expect(second.output).toMatch(/organisation: skipped/);
    expect(second.output).toMatch(/project: skipped/);
    const [{ n }] = await queryDatabase<{ n: number }>(
      databaseUrl,
      'SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM organisations) + (SELECT count(*) FROM projects) AS n',
    );
    expect(Number(n)).toBe(3);
  });
});

describe('cli createsuperuser', () => {
  it('non-interactive with flags; refuses a duplicate email and a weak password', async () => {
    const databaseUrl = await createTestDatabase();
    const env = { DATABASE_URL: databaseUrl };
    const made = await cli(
      env,
      'createsuperuser',
      '--email',
      'Boss@Example.com',
      '--password',
      'a-long-passphrase-7',
    );
    expect(made).toMatchObject({ code: 0 });
    expect(made.output).toMatch(/Superuser created successfully: Boss@Example.com/);
    const again = await cli(env, 'createsuperuser', '--email', 'boss@example.com', '--no-input');
    expect(again.code).toBe(1);
    expect(again.output).toMatch(/already exists/);
    const weak = await cli(env, 'createsuperuser', '--email', 'x@example.com', '--password', '123');
    expect(weak.code).toBe(1);
    expect(weak.output).toMatch(/too short/);
    const resetOnly = await cli(env, 'createsuperuser', '--email', 'reset@example.com', '--no-input');
    expect(resetOnly.code).toBe(0);
    expect(resetOnly.output).toMatch(/password-reset\/confirm\//);

    // The password works for the API login.
    const t = await startTestApp({ DATABASE_URL: databaseUrl });
    try {
      const res = await fetch(`${t.url}/api/v1/auth/login/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'boss@example.com', password: 'a-long-passphrase-7' }),
      });
      expect(res.status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('asks for the email and (hidden, twice) the password on a terminal', async () => {
    const databaseUrl = await createTestDatabase();
    // `script` gives the CLI a pseudo-terminal; answers are typed once each prompt has appeared.
    const child = spawn('script', ['-qec', `${process.execPath} ${CLI_JS} createsuperuser`, '/dev/null'], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: '/root',
        DATABASE_URL: databaseUrl,
        DJANGO_SECRET_KEY: SECRET,
      },
    });
    let output = '';
    let seen = 0;
    const answers: [string, string][] = [
      ['Email: ', 'tty@example.com'],
      ['Password: ', 'typed-passphrase-9'],
      ['Password (again): ', 'typed-passphrase-9'],
    ];
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const next = answers[0];
      const at = next ? output.indexOf(next[0], seen) : -1;
      if (next && at !== -1) {
        seen = at + next[0].length;
        answers.shift();
        child.stdin.write(`${next[1]}\r`);
      }
    });
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect(output).toMatch(/Superuser created successfully: tty@example.com/);
    expect(output).not.toContain('typed-passphrase-9');
    expect(code).toBe(0);
  });
});

describe('cli unlock-user', () => {
  it('clears the failed logins of a locked account, which then logs in; without an email it is a usage error', async () => {
    const databaseUrl = await createTestDatabase();
    const t = await startTestApp({
      DATABASE_URL: databaseUrl,
      AXES_FAILURE_LIMIT: '2',
      AXES_COOLOFF_TIME: '0',
    });
    try {
      const login = (password: string) =>
        fetch(`${t.url}/api/v1/auth/login/`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'Locked@Example.com', password }),
        }).then((res) => res.status);
      const signUp = await fetch(`${t.url}/api/v1/auth/users/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'locked@example.com', password: 'correct-horse-battery-9' }),
      });
      expect(signUp.status).toBe(201);
      expect([await login('wrong-one-1'), await login('wrong-two-2')]).toEqual([400, 403]);
      expect(await login('correct-horse-battery-9')).toBe(403);

      const run = await cli({ DATABASE_URL: databaseUrl }, 'unlock-user', 'locked@example.com');
      expect(run.code).toBe(0);
      expect(run.output).toMatch(/Unlocked locked@example\.com: cleared failed logins from 1 address/);
      expect(await login('correct-horse-battery-9')).toBe(200);

      const again = await cli({ DATABASE_URL: databaseUrl }, 'unlock-user', '--email', 'locked@example.com');
      expect(again.code).toBe(0);
      expect(again.output).toMatch(/nothing to unlock/);
      expect((await cli({ DATABASE_URL: databaseUrl }, 'unlock-user')).code).toBe(2);
    } finally {
      await t.close();
    }
  });
});

describe('first-run endpoints (JSON)', () => {
  it('config/init creates the superuser and site once, FLAGSMITH_DOMAIN wins; users/init is refused afterwards', async () => {
    const t = await startTestApp({ FLAGSMITH_DOMAIN: 'app.example.org' });
    try {
      const post = (body: unknown) =>
        fetch(`${t.url}/api/v1/users/config/init/`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const bad = await post({ email: 'nope', site_name: '', site_domain: 'x' });
      expect(bad.status).toBe(400);
      expect(Object.keys((await bad.json()) as object).sort()).toEqual(['email', 'site_name']);
      const ok = await post({
        email: 'first@example.com',
        site_name: 'Flags',
        site_domain: 'ignored.example.com',
      });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({
        message: 'INSTALLATION CONFIGURED SUCCESSFULLY',
        passwordResetUrl: expect.stringMatching(
          /^https:\/\/app\.example\.org\/password-reset\/confirm\/\S+\/\S+$/,
        ),
      });
      expect(await queryDatabase(t.databaseUrl, 'SELECT name, domain FROM sites')).toEqual([
        { name: 'Flags', domain: 'app.example.org' },
      ]);
      const refused = await fetch(`${t.url}/api/v1/users/config/init/?format=json`);
      expect(refused.status).toBe(404);
      expect(await refused.json()).toEqual({
        detail: 'CAN NOT INIT CONFIGURATION. USER(S) ALREADY EXIST IN SYSTEM.',
      });
      const init = await fetch(`${t.url}/api/v1/users/init/`);
      expect(init.status).toBe(400);
      expect(await init.json()).toEqual({
        adminUserCreated: false,
        message: 'FAILED TO INIT ADMIN USER. USER(S) ALREADY EXIST IN SYSTEM.',
      });
    } finally {
      await t.close();
    }
  });

  it('users/init creates the ADMIN_EMAIL superuser on an empty install', async () => {
    const t = await startTestApp({ ADMIN_EMAIL: 'boot@example.com' });
    try {
      const res = await fetch(`${t.url}/api/v1/users/init/`);
      expect(res.status).toBe(201);
      expect(await res.json()).toEqual({ adminUserCreated: true, passwordResetUrl: expect.any(String) });
      expect(await queryDatabase(t.databaseUrl, 'SELECT email, is_superuser FROM users')).toEqual([
        { email: 'boot@example.com', is_superuser: true },
      ]);
    } finally {
      await t.close();
    }
  });
});

describe('first-run form (HTML)', () => {
  it('a browser gets the form, its errors as the form again, then the confirmation page; refused afterwards', async () => {
    const t = await startTestApp();
    try {
      const html = { accept: 'text/html,application/xhtml+xml' };
      const form = await fetch(`${t.url}/api/v1/users/config/init/`, { headers: html });
      expect(form.status).toBe(200);
      expect(form.headers.get('content-type')).toContain('text/html');
      expect(await form.text()).toContain('<form method="post" action="/api/v1/users/config/init/">');
      const post = (fields: Record<string, string>) =>
        fetch(`${t.url}/api/v1/users/config/init/`, {
          method: 'POST',
          headers: { ...html, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(fields).toString(),
        });
      const bad = await post({
        username: 'root',
        email: 'nope',
        password: '',
        site_name: 'Flags',
        site_domain: '',
      });
      expect(bad.status).toBe(400);
      expect(bad.headers.get('content-type')).toContain('text/html');
      const badPage = await bad.text();
      expect(badPage).toContain('Enter a valid email address.');
      expect(badPage).toContain('value="nope"');
      const ok = await post({
        username: 'root',
        email: 'form@example.com',
        password: '',
        site_name: 'Flags',
        site_domain: 'flags.example.com',
      });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('id="init-done"');
      const again = await fetch(`${t.url}/api/v1/users/config/init/`, { headers: html });
      expect(again.status).toBe(404);
      expect(await again.text()).toContain('id="init-refused"');
      expect(await queryDatabase(t.databaseUrl, 'SELECT email, first_name FROM users')).toEqual([
        { email: 'form@example.com', first_name: 'root' },
      ]);
    } finally {
      await t.close();
    }
  });
});
