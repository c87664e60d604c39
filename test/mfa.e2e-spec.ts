/**
 * Issue 15 item 1: two-factor authentication with an authenticator app, over HTTP with Flagsmith's routes and
 * bodies (custom_auth/mfa). Codes are computed here with the TOTP library the server uses, on the server's
 * clock: the test moves that clock (src/common/clock.ts) instead of waiting for the next 30-second step.
 */
import { Secret, TOTP } from 'otpauth';
import type { Clock } from '../src/common/clock';
import { CLOCK } from '../src/common/clock';
import { PASSWORD, signUp, uniqueEmail, client } from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import { queryDatabase } from './support/database';

const STEP_MS = 30_000;
let ipCounter = 0;
/** A client address of its own per test (login/code is throttled 5/min per IP, as Flagsmith's mfa_code). */
const freshIp = () => `198.51.100.${++ipCounter}`;

interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies
  body: any;
}

describe('two-factor authentication (app / TOTP)', () => {
  let t: TestApp;
  let now: number;
  const codeAt = (secret: string, at = now) =>
    new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({
      timestamp: at,
    });
  const nextStep = () => void (now += STEP_MS);

  beforeAll(async () => {
    t = await startTestApp({ TRUSTED_PROXIES: '127.0.0.1', AXES_FAILURE_LIMIT: '10' });
    // One second into a step, so a code computed here is the server's code for the whole request.
    now = Math.floor(Date.now() / STEP_MS) * STEP_MS + 1000;
    t.app.get<Clock>(CLOCK, { strict: false }).now = () => now;
  });
  afterAll(() => t.close());

  async function post(
    path: string,
    body: unknown,
    options: { auth?: string; ip?: string } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.auth) headers.authorization = `Token ${options.auth}`;
    if (options.ip) headers['x-forwarded-for'] = options.ip;
    const res = await fetch(`${t.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
  const get = (path: string, auth?: string) => client(t)('GET', path, { auth });
  const activeMethods = (token: string) => get('/api/v1/auth/mfa/user-active-methods/', token);
  const login = (email: string, ip = freshIp()) =>
    post('/api/v1/auth/login/', { email, password: PASSWORD }, { ip });
  const loginCode = (ephemeral_token: string, code: string, ip = freshIp()) =>
    post('/api/v1/auth/login/code/', { ephemeral_token, code }, { ip });
  interface MethodRow {
    name: string;
    secret: string;
    is_active: boolean;
    is_primary: boolean;
    backup_codes: string;
  }
  const methodRow = async (userId: number): Promise<MethodRow | undefined> =>
    (
      await queryDatabase<MethodRow>(t.databaseUrl, `SELECT * FROM mfa_methods WHERE user_id = $1`, [userId])
    )[0];

  /** A user with the app method active: its secret and backup codes. */
  async function enrolled() {
    const user = await signUp(client(t), uniqueEmail('mfa'));
    const activation = await post('/api/v1/auth/app/activate/', {}, { auth: user.token });
    expect(activation.status).toBe(200);
    const secret = activation.body.secret as string;
    const confirmCode = codeAt(secret);
    const confirmed = await post(
      '/api/v1/auth/app/activate/confirm/',
      { code: confirmCode },
      { auth: user.token },
    );
    expect(confirmed.status).toBe(200);
    nextStep();
    return { ...user, secret, confirmCode, backupCodes: confirmed.body.backup_codes as string[] };
  }

  it('a new user has no active methods ([]); without credentials → 401', async () => {
    const user = await signUp(client(t));
    expect(await activeMethods(user.token)).toEqual({ status: 200, body: [] });
    expect((await activeMethods('')).status).toBe(401);
  });

  it('activate → 200 {qr_link, secret}, pending (not listed); again → the same secret; "sms" → 404', async () => {
    const user = await signUp(client(t), uniqueEmail('activate'));
    const res = await post('/api/v1/auth/app/activate/', {}, { auth: user.token });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['qr_link', 'secret']);
    expect(res.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(res.body.qr_link).toBe(
      `otpauth://totp/Flagsmith:${encodeURIComponent(user.email)}?issuer=Flagsmith&secret=${res.body.secret}&algorithm=SHA1&digits=6&period=30`,
    );
    expect((await activeMethods(user.token)).body).toEqual([]);
    expect((await post('/api/v1/auth/app/activate/', {}, { auth: user.token })).body).toEqual(res.body);
    expect((await post('/api/v1/auth/sms/activate/', {}, { auth: user.token })).status).toBe(404);
    const row = (await methodRow(user.id))!;
    expect(row).toMatchObject({ name: 'app', is_active: false, is_primary: false });
    expect(row.secret).toMatch(/^aes256gcm:/);
    expect(row.secret).not.toContain(res.body.secret);
  });

  it('confirm without activate → 400 {"code": ["Requested MFA method does not exist."]}, nothing written', async () => {
    const user = await signUp(client(t));
    const res = await post('/api/v1/auth/app/activate/confirm/', { code: '123456' }, { auth: user.token });
    expect(res).toEqual({ status: 400, body: { code: ['Requested MFA method does not exist.'] } });
    expect(await methodRow(user.id)).toBeUndefined();
  });

  it('confirm with a wrong code, or none → 400 on code, still inactive', async () => {
    const user = await signUp(client(t));
    const { body } = await post('/api/v1/auth/app/activate/', {}, { auth: user.token });
    const wrong = String((Number(codeAt(body.secret)) + 1) % 1_000_000).padStart(6, '0');
    expect(await post('/api/v1/auth/app/activate/confirm/', { code: wrong }, { auth: user.token })).toEqual({
      status: 400,
      body: { code: ['Code invalid or expired.'] },
    });
    expect(await post('/api/v1/auth/app/activate/confirm/', {}, { auth: user.token })).toEqual({
      status: 400,
      body: { code: ['This field is required.'] },
    });
    expect(await methodRow(user.id)).toMatchObject({ is_active: false, backup_codes: '' });
  });

  it('confirm → 5 backup codes, listed as primary, stored hashed; activating twice → 400, secret not shown', async () => {
    const user = await enrolled();
    expect(user.backupCodes).toHaveLength(5);
    for (const code of user.backupCodes) expect(code).toMatch(/^[A-Za-z0-9]{10}$/);
    expect(await activeMethods(user.token)).toEqual({
      status: 200,
      body: [{ name: 'app', is_primary: true }],
    });
    expect(await post('/api/v1/auth/app/activate/', {}, { auth: user.token })).toEqual({
      status: 400,
      body: { error: 'MFA method already active.' },
    });
    expect(
      await post('/api/v1/auth/app/activate/confirm/', { code: codeAt(user.secret) }, { auth: user.token }),
    ).toEqual({ status: 400, body: { code: ['MFA method already active.'] } });
    const row = (await methodRow(user.id))!;
    for (const code of user.backupCodes) expect(row.backup_codes).not.toContain(code);
    expect(row.backup_codes.split(',')).toHaveLength(5);
    const audit = await queryDatabase(
      t.databaseUrl,
      `SELECT log, author_id FROM audit_logs WHERE log LIKE $1`,
      [`%${user.email}`],
    );
    expect(audit).toEqual([
      { log: `Two-factor authentication (app) enabled for user: ${user.email}`, author_id: user.id },
    ]);
  });

  it('login → {ephemeral_token, method}; login/code with a fresh code → the token; the same token again → 401', async () => {
    const user = await enrolled();
    const first = await login(user.email);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ ephemeral_token: expect.any(String), method: 'app' });
    const done = await loginCode(first.body.ephemeral_token, codeAt(user.secret));
    expect(done.status).toBe(200);
    expect(Object.keys(done.body)).toEqual(['key']);
    expect((await get('/api/v1/auth/users/me/', done.body.key)).body.email).toBe(user.email);
    nextStep();
    expect(await loginCode(first.body.ephemeral_token, codeAt(user.secret))).toEqual({
      status: 401,
      body: { error: 'Invalid or expired token.' },
    });
  });

  it('a replayed code (the one that confirmed, or one already used to log in) → 401, a later step works', async () => {
    const user = await enrolled();
    const { body } = await login(user.email);
    expect(await loginCode(body.ephemeral_token, user.confirmCode)).toEqual({
      status: 401,
      body: { error: 'Invalid or expired code.' },
    });
    const used = codeAt(user.secret);
    expect((await loginCode(body.ephemeral_token, used)).status).toBe(200);
    const again = await login(user.email);
    expect(await loginCode(again.body.ephemeral_token, used)).toEqual({
      status: 401,
      body: { error: 'Invalid or expired code.' },
    });
    nextStep();
    expect((await loginCode(again.body.ephemeral_token, codeAt(user.secret))).status).toBe(200);
  });

  it('an ephemeral token 15 minutes old → 401 "Invalid or expired token." (with a right code)', async () => {
    const user = await enrolled();
    const { body } = await login(user.email);
    now += 15 * 60_000;
    expect(await loginCode(body.ephemeral_token, codeAt(user.secret))).toEqual({
      status: 401,
      body: { error: 'Invalid or expired token.' },
    });
    expect(await loginCode('not-a-token', codeAt(user.secret))).toEqual({
      status: 401,
      body: { error: 'Invalid or expired token.' },
    });
  });

  it('a backup code logs in once; used again → 401; other codes still work', async () => {
    const user = await enrolled();
    const first = await login(user.email);
    expect((await loginCode(first.body.ephemeral_token, user.backupCodes[0])).status).toBe(200);
    expect((await methodRow(user.id))!.backup_codes.split(',')).toHaveLength(4);
    const second = await login(user.email);
    expect(await loginCode(second.body.ephemeral_token, user.backupCodes[0])).toEqual({
      status: 401,
      body: { error: 'Invalid or expired code.' },
    });
    expect((await loginCode(second.body.ephemeral_token, user.backupCodes[1])).status).toBe(200);
  });

  it('a wrong code is a failed login for the lockout (login_failures), and bodies are checked (400)', async () => {
    const user = await enrolled();
    const { body } = await login(user.email);
    expect((await loginCode(body.ephemeral_token, '000000')).status).toBe(401);
    const failures = await queryDatabase(
      t.databaseUrl,
      `SELECT failures_since_start FROM login_failures WHERE username = $1`,
      [user.email.toLowerCase()],
    );
    expect(failures).toEqual([{ failures_since_start: 1 }]);
    expect(await post('/api/v1/auth/login/code/', {}, { ip: freshIp() })).toEqual({
      status: 400,
      body: { ephemeral_token: ['This field is required.'], code: ['This field is required.'] },
    });
  });

  it('login/code is throttled per client IP: the sixth request in a minute → 429', async () => {
    const ip = freshIp();
    for (let i = 0; i < 5; i++) expect((await loginCode('x', '000000', ip)).status).toBe(401);
    expect((await loginCode('x', '000000', ip)).status).toBe(429);
  });

  it('deactivate: a wrong code → 400, still active; no body (the dashboard) → 204, login gives a token again', async () => {
    const user = await enrolled();
    expect(await post('/api/v1/auth/app/deactivate/', { code: '000000' }, { auth: user.token })).toEqual({
      status: 400,
      body: { error: 'Invalid or expired code.' },
    });
    expect((await activeMethods(user.token)).body).toEqual([{ name: 'app', is_primary: true }]);
    expect(await post('/api/v1/auth/app/deactivate/', {}, { auth: user.token })).toEqual({
      status: 204,
      body: null,
    });
    expect((await activeMethods(user.token)).body).toEqual([]);
    expect(await methodRow(user.id)).toMatchObject({ is_active: false, is_primary: false, backup_codes: '' });
    const res = await login(user.email);
    expect(Object.keys(res.body)).toEqual(['key']);
    expect(await post('/api/v1/auth/app/deactivate/', {}, { auth: user.token })).toEqual({
      status: 400,
      body: { error: '2FA is not enabled.' },
    });
    expect(await post('/api/v1/auth/sms/deactivate/', {}, { auth: user.token })).toEqual({
      status: 400,
      body: { error: 'Requested MFA method does not exist.' },
    });
    const audit = await queryDatabase(
      t.databaseUrl,
      `SELECT log FROM audit_logs WHERE log LIKE $1 ORDER BY id`,
      [`%${user.email}`],
    );
    expect(audit.map((a) => a.log)).toEqual([
      `Two-factor authentication (app) enabled for user: ${user.email}`,
      `Two-factor authentication (app) disabled for user: ${user.email}`,
    ]);
  });

  it('deactivate with a valid code (TOTP of a new step) → 204', async () => {
    const user = await enrolled();
    expect(
      await post('/api/v1/auth/app/deactivate/', { code: codeAt(user.secret) }, { auth: user.token }),
    ).toEqual({ status: 204, body: null });
  });
});
