import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Call, client, createOrganisation, PASSWORD, signUp, uniqueEmail } from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import { queryDatabase } from './support/database';

/** A GitHub account as the fake provider knows it. */
interface GithubAccount {
  id: number;
  name: string | null;
  emails: { email: string; primary: boolean; verified: boolean }[];
}
/** A Google account: the userinfo (v3) answer. */
type GoogleAccount = Record<string, unknown>;

interface Recorded {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * Fake GitHub and Google on 127.0.0.1: authorize (redirects straight back with a code for `nextAccount`), token,
 * user, user emails, userinfo. Codes are single use; access tokens map to accounts.
 */
class FakeProviders {
  private server!: Server;
  url = '';
  readonly requests: Recorded[] = [];
  /** Who "signs in" at the next authorize request, per provider. */
  nextGithub?: GithubAccount;
  nextGoogle?: GoogleAccount;
  private readonly githubCodes = new Map<string, GithubAccount>();
  private readonly githubTokens = new Map<string, GithubAccount>();
  private readonly googleCodes = new Map<string, GoogleAccount>();
  private readonly googleTokens = new Map<string, GoogleAccount>();

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => this.handle(req, res, body));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** A code GitHub would hand the frontend after the user approved (token-exchange endpoint). */
  githubCode(account: GithubAccount): string {
    const code = randomBytes(8).toString('hex');
    this.githubCodes.set(code, account);
    return code;
  }

  googleToken(account: GoogleAccount): string {
    const token = `ya29.${randomBytes(8).toString('hex')}`;
    this.googleTokens.set(token, account);
    return token;
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({ method: req.method ?? '', path: url.pathname, headers: req.headers, body });
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    const bearer = (req.headers.authorization ?? '').replace(/^(token|bearer)\s+/i, '');
    const form = new URLSearchParams(body);

    switch (`${req.method} ${url.pathname}`) {
      case 'GET /github/login/oauth/authorize':
      case 'GET /google/auth': {
        const github = url.pathname.startsWith('/github');
        const code = randomBytes(8).toString('hex');
        if (github) this.githubCodes.set(code, this.nextGithub!);
        else this.googleCodes.set(code, this.nextGoogle!);
        const back = new URL(url.searchParams.get('redirect_uri')!);
        back.searchParams.set('code', code);
        back.searchParams.set('state', url.searchParams.get('state') ?? '');
        res.writeHead(302, { location: back.toString() });
        return void res.end();
      }
      case 'POST /github/login/oauth/access_token': {
        const account = this.githubCodes.get(form.get('code') ?? '');
        if (form.get('client_id') !== 'gh-client' || form.get('client_secret') !== 'gh-secret')
          return json(200, { error: 'incorrect_client_credentials', error_description: 'bad client' });
        if (!account)
          return json(200, { error: 'bad_verification_code', error_description: 'The code is incorrect.' });
        this.githubCodes.delete(form.get('code')!);
        const token = `gho_${randomBytes(8).toString('hex')}`;
        this.githubTokens.set(token, account);
        return json(200, { access_token: token, token_type: 'bearer', scope: 'user:email' });
      }
      case 'GET /github/api/user': {
        const account = this.githubTokens.get(bearer);
        return account ? json(200, { id: account.id, login: 'someone', name: account.name }) : json(401, {});
      }
      case 'GET /github/api/user/emails': {
        const account = this.githubTokens.get(bearer);
        return account ? json(200, account.emails) : json(401, {});
      }
      case 'POST /google/token': {
        const account = this.googleCodes.get(form.get('code') ?? '');
        if (
          !account ||
          form.get('client_id') !== 'google-client' ||
          form.get('client_secret') !== 'google-secret'
        )
          return json(400, { error: 'invalid_grant' });
        this.googleCodes.delete(form.get('code')!);
        return json(200, { access_token: this.googleToken(account), expires_in: 3599, token_type: 'Bearer' });
      }
      case 'GET /google/userinfo': {
        const account = this.googleTokens.get(bearer || (url.searchParams.get('access_token') ?? ''));
        return account ? json(200, account) : json(401, { error: 'invalid_token' });
      }
      default:
        json(404, {});
    }
  }
}

const FRONTEND = 'https://app.example.test/oauth/complete';

function providerEnv(fake: FakeProviders): Record<string, string> {
  return {
    GITHUB_CLIENT_ID: 'gh-client',
    GITHUB_CLIENT_SECRET: 'gh-secret',
    GITHUB_OAUTH_BASE_URL: `${fake.url}/github/login/oauth`,
    GITHUB_API_BASE_URL: `${fake.url}/github/api`,
    GOOGLE_CLIENT_ID: 'google-client',
    GOOGLE_CLIENT_SECRET: 'google-secret',
    GOOGLE_OAUTH_AUTHORIZATION_URL: `${fake.url}/google/auth`,
    GOOGLE_OAUTH_TOKEN_URL: `${fake.url}/google/token`,
    GOOGLE_USERINFO_URL: `${fake.url}/google/userinfo`,
    OAUTH_REDIRECT_URL: FRONTEND,
  };
}

let nextId = 1000;
function githubAccount(
  email: string,
  options: { verified?: boolean; name?: string | null } = {},
): GithubAccount {
  return {
    id: ++nextId,
    name: options.name === undefined ? 'Grace Hopper' : options.name,
    emails: [
      { email: `other-${nextId}@example.com`, primary: false, verified: true },
      { email, primary: true, verified: options.verified ?? true },
    ],
  };
}
function googleAccount(email: string, verified = true): GoogleAccount {
  return {
    sub: String(++nextId),
    email,
    email_verified: verified,
    given_name: 'Ada',
    family_name: 'Lovelace',
    name: 'Ada Lovelace',
  };
}

/** GET without following redirects. */
async function get(url: string): Promise<{ status: number; location: string; body: string }> {
  const res = await fetch(url, { redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location') ?? '', body: await res.text() };
}

/** Runs a whole redirect flow: login → fake authorize → callback; returns the callback answer. */
async function redirectFlow(t: TestApp, provider: 'github' | 'google', query = '') {
  const login = await get(`${t.url}/api/v1/auth/oauth/${provider}/login/${query}`);
  expect(login.status).toBe(302);
  const authorize = await get(login.location);
  expect(authorize.status).toBe(302);
  const callbackUrl = authorize.location;
  return { login, callbackUrl, callback: await get(callbackUrl) };
}

describe('OAuth (fake GitHub and Google on 127.0.0.1)', () => {
  const fake = new FakeProviders();
  let t: TestApp;
  let call: Call;
  beforeAll(async () => {
    await fake.start();
    t = await startTestApp(providerEnv(fake));
    call = client(t);
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
  });

  describe('POST /api/v1/auth/oauth/github/ (Flagsmith token exchange)', () => {
    it('a new user: the code is exchanged with the client credentials, /user and /user/emails read, the token works and me shows GITHUB', async () => {
      const email = uniqueEmail('gh');
      const account = githubAccount(email);
      const res = await call('POST', '/api/v1/auth/oauth/github/', {
        body: { access_token: fake.githubCode(account) },
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ key: expect.stringMatching(/^[0-9a-f]{40}$/), is_new_user: true });
      const tokenRequest = fake.requests.filter((r) => r.path === '/github/login/oauth/access_token').pop()!;
      expect(tokenRequest.method).toBe('POST');
      expect(Object.fromEntries(new URLSearchParams(tokenRequest.body))).toMatchObject({
        client_id: 'gh-client',
        client_secret: 'gh-secret',
      });
      const emailsRequest = fake.requests.filter((r) => r.path === '/github/api/user/emails').pop()!;
      expect(emailsRequest.headers.authorization).toMatch(/^token gho_/);
      expect(emailsRequest.headers['user-agent']).toBeTruthy();

      const me = await call('GET', '/api/v1/auth/users/me/', { auth: res.body.key });
      expect(me.body).toMatchObject({
        email: email.toLowerCase(),
        first_name: 'Grace',
        last_name: 'Hopper',
        auth_type: 'GITHUB',
        sign_up_type: 'NO_INVITE',
      });
      const [row] = await queryDatabase<{ github_user_id: string }>(
        t.databaseUrl,
        'SELECT github_user_id FROM users WHERE id = $1',
        [me.body.id],
      );
      expect(row.github_user_id).toBe(String(account.id));

      // Logging in again finds the same account and token.
      const again = await call('POST', '/api/v1/auth/oauth/github/', {
        body: { access_token: fake.githubCode(account) },
      });
      expect(again.body).toEqual({ key: res.body.key, is_new_user: false });
    });

    it('an existing email/password user is linked by verified email (any case): same account, auth type GITHUB, password still works', async () => {
      const existing = await signUp(call, uniqueEmail('linked'));
      const res = await call('POST', '/api/v1/auth/oauth/github/', {
        body: { access_token: fake.githubCode(githubAccount(existing.email.toUpperCase())) },
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ key: existing.token, is_new_user: false });
      const me = await call('GET', '/api/v1/auth/users/me/', { auth: res.body.key });
      expect(me.body).toMatchObject({ id: existing.id, auth_type: 'GITHUB', first_name: 'Ann' });
      const login = await call('POST', '/api/v1/auth/login/', {
        body: { email: existing.email, password: PASSWORD },
      });
      expect(login.status).toBe(200);
    });

    it('a GitHub account whose primary email is unverified is refused (502, no user created)', async () => {
      const email = uniqueEmail('unverified');
      const res = await call('POST', '/api/v1/auth/oauth/github/', {
        body: { access_token: fake.githubCode(githubAccount(email, { verified: false })) },
      });
      expect(res.status).toBe(502);
      expect(res.body).toEqual({
        message: 'An error occurred authenticating with GITHUB',
        detail: 'Your GitHub account has no verified primary email address.',
      });
      const rows = await queryDatabase(t.databaseUrl, 'SELECT id FROM users WHERE lower(email) = lower($1)', [
        email,
      ]);
      expect(rows).toEqual([]);
    });

    it('a code GitHub refuses answers 502 with Flagsmith’s message', async () => {
      const res = await call('POST', '/api/v1/auth/oauth/github/', { body: { access_token: 'not-a-code' } });
      expect(res.status).toBe(502);
      expect(res.body).toEqual({ message: 'An error occurred authenticating with GITHUB' });
    });

    it("with an email invite's hash for another email the sign-up answers 400, creates no user and joins nothing", async () => {
      const admin = await signUp(call);
      const org = await createOrganisation(call, admin.token, 'Bound');
      const created = await call('POST', `/api/v1/organisations/${org.id}/invites/`, {
        auth: admin.token,
        body: { email: uniqueEmail('invited'), role: 'ADMIN' },
      });
      expect(created.status).toBe(201);
      const [{ hash }] = await queryDatabase<{ hash: string }>(
        t.databaseUrl,
        'SELECT hash FROM organisation_invites WHERE id = $1',
        [created.body.id],
      );
      const thief = uniqueEmail('oauththief');
      const res = await call('POST', '/api/v1/auth/oauth/github/', {
        body: {
          access_token: fake.githubCode(githubAccount(thief)),
          invite_hash: hash,
          sign_up_type: 'INVITE_EMAIL',
        },
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ detail: 'Registered email does not match invited email' });
      expect(
        await queryDatabase(t.databaseUrl, 'SELECT id FROM users WHERE lower(email) = lower($1)', [thief]),
      ).toEqual([]);
      const users = await call('GET', `/api/v1/organisations/${org.id}/users/`, { auth: admin.token });
      expect(users.body.map((u: { id: number }) => u.id)).toEqual([admin.id]);
    });

    it('a missing access_token is a 400 field error', async () => {
      const res = await call('POST', '/api/v1/auth/oauth/github/', { body: {} });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ access_token: ['This field is required.'] });
    });
  });

  describe('POST /api/v1/auth/oauth/google/ (Flagsmith token exchange)', () => {
    it('a new user from Google userinfo (Bearer token), then the same user again; me shows GOOGLE', async () => {
      const email = uniqueEmail('google');
      const account = googleAccount(email);
      const res = await call('POST', '/api/v1/auth/oauth/google/', {
        body: { access_token: fake.googleToken(account) },
      });
      expect(res.status).toBe(200);
      expect(res.body.is_new_user).toBe(true);
      const userinfo = fake.requests.filter((r) => r.path === '/google/userinfo').pop()!;
      expect(userinfo.headers.authorization).toMatch(/^Bearer ya29\./);
      const me = await call('GET', '/api/v1/auth/users/me/', { auth: res.body.key });
      expect(me.body).toMatchObject({ first_name: 'Ada', last_name: 'Lovelace', auth_type: 'GOOGLE' });
      const again = await call('POST', '/api/v1/auth/oauth/google/', {
        body: { access_token: fake.googleToken(account) },
      });
      expect(again.body).toEqual({ key: res.body.key, is_new_user: false });
    });

    it('a Google user with an unverified email is refused; an invalid token answers 502 GOOGLE', async () => {
      const unverified = await call('POST', '/api/v1/auth/oauth/google/', {
        body: { access_token: fake.googleToken(googleAccount(uniqueEmail('gu'), false)) },
      });
      expect(unverified.status).toBe(502);
      expect(unverified.body.detail).toBe('Your Google account email address is not verified.');
      const invalid = await call('POST', '/api/v1/auth/oauth/google/', { body: { access_token: 'expired' } });
      expect(invalid.status).toBe(502);
      expect(invalid.body).toEqual({ message: 'An error occurred authenticating with GOOGLE' });
    });

    it('a GitHub user signing in with Google keeps one account, now GOOGLE (Google wins, as in Flagsmith)', async () => {
      const email = uniqueEmail('both');
      const gh = await call('POST', '/api/v1/auth/oauth/github/', {
        body: { access_token: fake.githubCode(githubAccount(email)) },
      });
      const google = await call('POST', '/api/v1/auth/oauth/google/', {
        body: { access_token: fake.googleToken(googleAccount(email)) },
      });
      expect(google.body).toEqual({ key: gh.body.key, is_new_user: false });
      const me = await call('GET', '/api/v1/auth/users/me/', { auth: gh.body.key });
      expect(me.body.auth_type).toBe('GOOGLE');
    });
  });

  describe('redirect flows through the Passport strategies', () => {
    it('GitHub: login redirects with a signed state, the callback redirects to the frontend with a one-time code, exchanged once for the token', async () => {
      const email = uniqueEmail('flow');
      fake.nextGithub = githubAccount(email, { name: 'Linus Torvalds' });
      const { login, callbackUrl, callback } = await redirectFlow(t, 'github');

      const authorize = new URL(login.location);
      expect(`${authorize.origin}${authorize.pathname}`).toBe(`${fake.url}/github/login/oauth/authorize`);
      expect(authorize.searchParams.get('client_id')).toBe('gh-client');
      expect(authorize.searchParams.get('response_type')).toBe('code'); // built by passport-oauth2
      expect(authorize.searchParams.get('scope')).toBe('user:email');
      expect(authorize.searchParams.get('redirect_uri')).toBe(`${t.url}/api/v1/auth/oauth/github/callback/`);
      expect(authorize.searchParams.get('state')).toMatch(/^[\w-]+\.[\w-]+$/);

      expect(callback.status).toBe(302);
      const target = new URL(callback.location);
      expect(`${target.origin}${target.pathname}`).toBe(FRONTEND);
      const code = target.searchParams.get('code')!;
      expect(code).toMatch(/^[\w-]{40,}$/);
      expect(callback.location).not.toMatch(/[0-9a-f]{40}/); // the API token never travels in a URL

      const exchanged = await call('POST', '/api/v1/auth/oauth/exchange/', { body: { code } });
      expect(exchanged.status).toBe(200);
      expect(exchanged.body).toEqual({ key: expect.stringMatching(/^[0-9a-f]{40}$/), is_new_user: true });
      const me = await call('GET', '/api/v1/auth/users/me/', { auth: exchanged.body.key });
      expect(me.body).toMatchObject({ email: email.toLowerCase(), auth_type: 'GITHUB', first_name: 'Linus' });

      const twice = await call('POST', '/api/v1/auth/oauth/exchange/', { body: { code } });
      expect(twice.status).toBe(400);
      expect(twice.body).toEqual({ code: ['Invalid, expired or already used code.'] });

      // The same callback again (state replayed) is refused before the provider is asked anything.
      const tokenCalls = fake.requests.length;
      const replay = await get(callbackUrl);
      expect(replay.status).toBe(400);
      expect(JSON.parse(replay.body)).toEqual({ detail: 'This OAuth state has already been used.' });
      expect(fake.requests.length).toBe(tokenCalls);
    });

    it('a forged, tampered, foreign-provider or missing state is refused with 400', async () => {
      fake.nextGithub = githubAccount(uniqueEmail('forged'));
      const login = await get(`${t.url}/api/v1/auth/oauth/github/login/`);
      const state = new URL(login.location).searchParams.get('state')!;
      const [body, signature] = state.split('.');
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      const forgedBody = Buffer.from(JSON.stringify({ ...payload, inviteHash: 'x' })).toString('base64url');
      const callback = `${t.url}/api/v1/auth/oauth/github/callback/?code=abc&state=`;
      for (const bad of [
        `${forgedBody}.${signature}`,
        `${body}.${signature.slice(0, -2)}AA`,
        'garbage',
        '',
      ]) {
        const res = await get(callback + encodeURIComponent(bad));
        expect(res.status).toBe(400);
        expect(JSON.parse(res.body)).toEqual({ detail: 'Invalid or expired OAuth state.' });
      }
      // A GitHub state at the Google callback
      const google = await get(`${t.url}/api/v1/auth/oauth/google/callback/?code=abc&state=${state}`);
      expect(google.status).toBe(400);
      // The untouched state still works once.
      const ok = await get(
        `${fake.url}/github/login/oauth/authorize?${new URL(login.location).searchParams}`,
      );
      expect((await get(ok.location)).status).toBe(302);
    });

    it('Google: login → consent → callback → exchange; links to the existing account by email', async () => {
      const existing = await signUp(call, uniqueEmail('gflow'));
      fake.nextGoogle = googleAccount(existing.email);
      const { login, callback } = await redirectFlow(t, 'google');
      const authorize = new URL(login.location);
      expect(authorize.searchParams.get('scope')).toBe('openid email profile');
      expect(authorize.searchParams.get('client_id')).toBe('google-client');
      const code = new URL(callback.location).searchParams.get('code')!;
      const exchanged = await call('POST', '/api/v1/auth/oauth/exchange/', { body: { code } });
      expect(exchanged.body).toEqual({ key: existing.token, is_new_user: false });
      const tokenRequest = fake.requests.filter((r) => r.path === '/google/token').pop()!;
      expect(Object.fromEntries(new URLSearchParams(tokenRequest.body))).toMatchObject({
        grant_type: 'authorization_code',
        redirect_uri: `${t.url}/api/v1/auth/oauth/google/callback/`,
      });
    });

    it('an unverified email or a user who cancels comes back to the frontend with an error and no code', async () => {
      fake.nextGithub = githubAccount(uniqueEmail('flowunverified'), { verified: false });
      const { callback } = await redirectFlow(t, 'github');
      const target = new URL(callback.location);
      expect(target.searchParams.get('code')).toBeNull();
      expect(target.searchParams.get('error')).toBe('provider_error');
      expect(target.searchParams.get('error_description')).toBe(
        'Your GitHub account has no verified primary email address.',
      );

      const login = await get(`${t.url}/api/v1/auth/oauth/github/login/`);
      const state = new URL(login.location).searchParams.get('state')!;
      const denied = await get(
        `${t.url}/api/v1/auth/oauth/github/callback/?error=access_denied&error_description=denied&state=${state}`,
      );
      expect(denied.status).toBe(302);
      expect(new URL(denied.location).searchParams.get('error')).toBe('access_denied');
    });

    it('the exchange refuses unknown codes', async () => {
      const res = await call('POST', '/api/v1/auth/oauth/exchange/', { body: { code: 'nope' } });
      expect(res.status).toBe(400);
    });
  });

  describe('ALLOW_REGISTRATION_WITHOUT_INVITE=false', () => {
    let invite: TestApp;
    let icall: Call;
    let adminToken: string;
    let orgId: number;
    beforeAll(async () => {
      invite = await startTestApp({ ...providerEnv(fake), ALLOW_REGISTRATION_WITHOUT_INVITE: 'false' });
      icall = client(invite);
      // The first admin: an invite link created in the database, then an organisation of their own.
      await queryDatabase(
        invite.databaseUrl,
        `INSERT INTO organisations (uuid, name) VALUES (gen_random_uuid(), 'Seed')`,
      );
      await queryDatabase(
        invite.databaseUrl,
        `INSERT INTO organisation_invite_links (hash, role, organisation_id) SELECT 'seedlink', 'ADMIN', max(id) FROM organisations`,
      );
      adminToken = (await signUp(icall, uniqueEmail('admin'), { invite_hash: 'seedlink' })).token;
      orgId = (await createOrganisation(icall, adminToken, 'Invited Org')).id;
    });
    afterAll(async () => {
      await invite.close();
    });

    it('a new OAuth user without an invite is refused with 403 (token exchange and redirect flow)', async () => {
      const res = await icall('POST', '/api/v1/auth/oauth/github/', {
        body: { access_token: fake.githubCode(githubAccount(uniqueEmail('noinvite'))) },
      });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({
        detail: 'User registration without an invite is disabled for this installation.',
      });

      fake.nextGoogle = googleAccount(uniqueEmail('noinviteflow'));
      const { callback } = await redirectFlow(invite, 'google');
      const target = new URL(callback.location);
      expect(target.searchParams.get('error')).toBe('login_refused');
      expect(target.searchParams.get('code')).toBeNull();
    });

    it('with an email invite hash the OAuth sign-up is accepted and joins the organisation with the invite role', async () => {
      const email = uniqueEmail('invited');
      const created = await icall('POST', `/api/v1/organisations/${orgId}/invites/`, {
        auth: adminToken,
        body: { email, role: 'ADMIN' },
      });
      expect(created.status).toBe(201);
      const [{ hash }] = await queryDatabase<{ hash: string }>(
        invite.databaseUrl,
        'SELECT hash FROM organisation_invites WHERE id = $1',
        [created.body.id],
      );
      const res = await icall('POST', '/api/v1/auth/oauth/github/', {
        body: {
          access_token: fake.githubCode(githubAccount(email)),
          invite_hash: hash,
          sign_up_type: 'INVITE_EMAIL',
        },
      });
      expect(res.status).toBe(200);
      expect(res.body.is_new_user).toBe(true);
      const orgs = await icall('GET', '/api/v1/organisations/', { auth: res.body.key });
      expect(orgs.body.results.map((o: { id: number }) => o.id)).toEqual([orgId]);
      const me = await icall('GET', '/api/v1/auth/users/me/', { auth: res.body.key });
      expect(me.body.sign_up_type).toBe('INVITE_EMAIL');
    });

    it('with an invite link the redirect flow carries the hash through the signed state and joins the organisation', async () => {
      const link = await icall('POST', `/api/v1/organisations/${orgId}/invite-links/`, {
        auth: adminToken,
        body: { role: 'USER' },
      });
      expect(link.status).toBe(201);
      fake.nextGithub = githubAccount(uniqueEmail('linkflow'));
      const { callback } = await redirectFlow(
        invite,
        'github',
        `?invite_hash=${link.body.hash}&sign_up_type=INVITE_LINK`,
      );
      const code = new URL(callback.location).searchParams.get('code')!;
      const exchanged = await icall('POST', '/api/v1/auth/oauth/exchange/', { body: { code } });
      expect(exchanged.body.is_new_user).toBe(true);
      const orgs = await icall('GET', '/api/v1/organisations/', { auth: exchanged.body.key });
      expect(orgs.body.results.map((o: { id: number }) => o.id)).toEqual([orgId]);
    });
  });

  it('providers down: the token exchange answers 502 and the redirect flow returns a provider error to the frontend', async () => {
    const down = new FakeProviders();
    await down.start();
    const env = providerEnv(down);
    await down.stop(); // nothing listens there any more
    const d = await startTestApp(env);
    try {
      const dcall = client(d);
      const gh = await dcall('POST', '/api/v1/auth/oauth/github/', { body: { access_token: 'code' } });
      expect(gh.status).toBe(502);
      expect(gh.body).toEqual({ message: 'An error occurred authenticating with GITHUB' });
      const google = await dcall('POST', '/api/v1/auth/oauth/google/', { body: { access_token: 'token' } });
      expect(google.status).toBe(502);
      expect(google.body).toEqual({ message: 'An error occurred authenticating with GOOGLE' });

      const login = await get(`${d.url}/api/v1/auth/oauth/github/login/`);
      const state = new URL(login.location).searchParams.get('state')!;
      const callback = await get(`${d.url}/api/v1/auth/oauth/github/callback/?code=abc&state=${state}`);
      expect(callback.status).toBe(302);
      expect(new URL(callback.location).searchParams.get('error')).toBe('provider_error');
      expect(d.logs.some((line) => line.includes('An error occurred authenticating with GITHUB'))).toBe(true);
    } finally {
      await d.close();
    }
  });

  it('without provider settings the endpoints answer 400 saying OAuth is not configured', async () => {
    const bare = await startTestApp({});
    try {
      const bcall = client(bare);
      const gh = await bcall('POST', '/api/v1/auth/oauth/github/', { body: { access_token: 'x' } });
      expect(gh.status).toBe(400);
      expect(gh.body.detail).toMatch(/GitHub OAuth is not configured.*GITHUB_CLIENT_ID/);
      for (const provider of ['github', 'google']) {
        const login = await get(`${bare.url}/api/v1/auth/oauth/${provider}/login/`);
        expect(login.status).toBe(400);
        expect(JSON.parse(login.body).detail).toMatch(/OAuth is not configured/);
      }
    } finally {
      await bare.close();
    }
  });
});
