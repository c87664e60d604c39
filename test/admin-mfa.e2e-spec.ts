/**
 * The admin panel's password sign-in asks a superuser with two-factor authentication for a code, against the
 * built server (dist/, `npm run build` first): email and password → the code form (with the ephemeral token of
 * POST /api/v1/auth/login/), a wrong code → the form again, a replayed or wrong token → refused, the right code
 * → signed in. Headless Chromium (Debian's /usr/bin/chromium) shows the form; a screenshot goes to
 * test/artifacts/admin/.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { chromium } from 'playwright-core';
import { createTestDatabase } from './support/database';
import { freePort } from './support/pg-cluster';
import { REPO_ROOT, ServerProcess, spawnServer } from './support/server-process';

const ARTIFACTS = resolve(REPO_ROOT, 'test/artifacts/admin');
const EMAIL = 'root-mfa@example.com';
const PASSWORD = 'admin-mfa-pass-42';
const STEP_MS = 30_000;

jest.setTimeout(180_000);

const codeAt = (secret: string, at: number) =>
  new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({
    timestamp: at,
  });

describe('admin sign-in with two-factor authentication (built server)', () => {
  let server: ServerProcess;
  let base: string;
  let secret: string;

  async function api(method: string, path: string, token?: string, body?: unknown) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Token ${token}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    const json = text ? JSON.parse(text) : null;
    return { status: res.status, body: json };
  }

  /** POST /admin/login as the browser's form sends it (a trusted Origin: the panel's CSRF check). */
  const form = (fields: Record<string, string>) =>
    fetch(`${base}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
    });

  /** The login page's state as the server rendered it (window.__APP_STATE__.flagport). */
  async function pageState(res: Response) {
    const html = await res.text();
    const token = /"ephemeralToken":"([^"]+)"/.exec(html)?.[1];
    return { html, token, wrongCode: html.includes('"wrongCode":true') };
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const databaseUrl = await createTestDatabase();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = spawnServer({
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      DJANGO_SECRET_KEY: 'admin-mfa-e2e-secret-key-0123456789-abcdefghij',
      ENABLE_TELEMETRY: 'false',
      LOG_LEVEL: 'WARNING',
      ENABLE_ADMIN_ACCESS_USER_PASS: 'true',
    });
    await server.waitForOutput(/listening on/, 60_000);
    const signUp = await api('POST', '/api/v1/auth/users/', undefined, {
      email: EMAIL,
      password: PASSWORD,
      superuser: true,
    });
    expect(signUp.status).toBe(201);
    const token = signUp.body.key as string;
    secret = (await api('POST', '/api/v1/auth/app/activate/', token, {})).body.secret;
    // Confirmed with the previous step's code: the current step's code stays unused for the sign-in below.
    const confirmed = await api('POST', '/api/v1/auth/app/activate/confirm/', token, {
      code: codeAt(secret, Date.now() - STEP_MS),
    });
    expect(confirmed.status).toBe(200);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('the right password → the code form, not a session', async () => {
    const res = await form({ email: EMAIL, password: PASSWORD });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie') ?? '').not.toMatch(/flagport_admin=/);
    const state = await pageState(res);
    expect(state.token).toBeDefined();
    expect(state.wrongCode).toBe(false);
  });

  it('a wrong code → the form again with the error; a bad token → the sign-in error; the right code → /admin', async () => {
    const { token } = await pageState(await form({ email: EMAIL, password: PASSWORD }));
    const wrong = await pageState(await form({ ephemeral_token: token!, code: '000000' }));
    expect(wrong).toMatchObject({ token, wrongCode: true });
    const badToken = await form({ ephemeral_token: 'nope', code: codeAt(secret, Date.now()) });
    expect(badToken.status).toBe(200);
    expect(await badToken.text()).toContain('invalidCredentials');
    const done = await form({ ephemeral_token: token!, code: codeAt(secret, Date.now()) });
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('/admin');
    const cookie = /flagport_admin=[^;]+/.exec(done.headers.get('set-cookie') ?? '')?.[0];
    expect(cookie).toBeDefined();
    const list = await fetch(`${base}/admin/api/resources/Feature/actions/list`, {
      headers: { cookie: cookie! },
      redirect: 'manual',
    });
    expect(list.status).toBe(200);
    // The token is spent: presenting it again does not sign in.
    const replay = await form({ ephemeral_token: token!, code: codeAt(secret, Date.now() + STEP_MS) });
    expect(replay.status).toBe(200);
  });

  it('in the browser: the password form, then the code form', async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${base}/admin/login`);
      await page.fill('input[name=email]', EMAIL);
      await page.fill('input[name=password]', PASSWORD);
      await page.click('[data-testid=password-login]');
      await page.waitForSelector('[data-testid=second-factor]');
      expect(await page.isVisible('[data-testid=password-login]')).toBe(false);
      await page.screenshot({ path: join(ARTIFACTS, 'mfa-code-form.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
