import { LoggingEmailService } from '../src/email/email.service';
import { Call, client, PASSWORD, signUp, uniqueEmail } from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import { queryDatabase } from './support/database';

describe('accounts', () => {
  let t: TestApp;
  let call: Call;
  beforeAll(async () => {
    t = await startTestApp({ AXES_FAILURE_LIMIT: '3' });
    call = client(t);
  });
  afterAll(async () => {
    await t.close();
  });

  describe('register', () => {
    it('register with valid details answers 201 with the user and a token that authenticates', async () => {
      const email = uniqueEmail();
      const res = await call('POST', '/api/v1/auth/users/', {
        body: {
          email,
          password: PASSWORD,
          first_name: 'Ann',
          last_name: 'Lee',
          marketing_consent_given: true,
        },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        email,
        first_name: 'Ann',
        last_name: 'Lee',
        is_active: true,
        sign_up_type: 'NO_INVITE',
        marketing_consent_given: true,
      });
      expect(res.body.key).toMatch(/^[0-9a-f]{40}$/);
      const me = await call('GET', '/api/v1/auth/users/me/', { auth: res.body.key });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ email, auth_type: 'EMAIL', is_superuser: false, id: res.body.id });
    });

    it('register with an existing email in another case answers 400 {"email": "Email already exists. Please log in."}', async () => {
      const { email } = await signUp(call);
      const res = await call('POST', '/api/v1/auth/users/', {
        body: { email: email.toUpperCase(), password: PASSWORD, first_name: 'A', last_name: 'B' },
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ email: 'Email already exists. Please log in.' });
    });

    it.each([
      [{ email: 'not-an-email', password: PASSWORD }, 'email'],
      [{ email: 12, password: PASSWORD }, 'email'],
      [{ email: uniqueEmail(), password: 'short' }, 'password'],
      [{ email: uniqueEmail(), password: ['x'] }, 'password'],
      [{ password: PASSWORD }, 'email'],
      [
        { email: uniqueEmail(), password: PASSWORD, marketing_consent_given: 'maybe' },
        'marketing_consent_given',
      ],
    ])('register with bad input %j answers 400 naming %s', async (body, field) => {
      const res = await call('POST', '/api/v1/auth/users/', { body });
      expect(res.status).toBe(400);
      expect(Array.isArray(res.body[field])).toBe(true);
    });

    it('register with a JSON array body answers 400, not 500', async () => {
      const res = await call('POST', '/api/v1/auth/users/', { body: [1, 2] });
      expect(res.status).toBe(400);
    });

    it('register asking for superuser when users already exist answers 400 and creates nobody', async () => {
      const email = uniqueEmail();
      const res = await call('POST', '/api/v1/auth/users/', {
        body: { email, password: PASSWORD, first_name: 'A', last_name: 'B', superuser: true },
      });
      expect(res.status).toBe(400);
      expect(res.body.superuser).toBeDefined();
      const login = await call('POST', '/api/v1/auth/login/', { body: { email, password: PASSWORD } });
      expect(login.status).toBe(400);
    });
  });

  describe('login and tokens', () => {
    it('login with the right password answers 200 {"key"} equal to the registration token', async () => {
      const { email, token } = await signUp(call);
      const res = await call('POST', '/api/v1/auth/login/', {
        body: { email: email.toUpperCase(), password: PASSWORD },
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ key: token });
    });

    it('login with a wrong password answers 400 with the DRF non-field message', async () => {
      const { email } = await signUp(call);
      const res = await call('POST', '/api/v1/auth/login/', {
        body: { email, password: 'wrong-password-1' },
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ non_field_errors: ['Unable to log in with provided credentials.'] });
    });

    it('me without credentials answers 401 and with an unknown token 401 "Invalid token."', async () => {
      expect((await call('GET', '/api/v1/auth/users/me/')).status).toBe(401);
      const bad = await call('GET', '/api/v1/auth/users/me/', { auth: 'f'.repeat(40) });
      expect(bad.status).toBe(401);
      expect(bad.body).toEqual({ detail: 'Invalid token.' });
    });

    it('logout deletes the token: it then answers 401', async () => {
      const { token } = await signUp(call);
      expect((await call('POST', '/api/v1/auth/logout/', { auth: token })).status).toBe(204);
      expect((await call('GET', '/api/v1/auth/users/me/', { auth: token })).status).toBe(401);
    });

    it('DELETE /auth/token/ deletes the token', async () => {
      const { token } = await signUp(call);
      expect((await call('DELETE', '/api/v1/auth/token/', { auth: token })).status).toBe(204);
      expect((await call('GET', '/api/v1/auth/users/me/', { auth: token })).status).toBe(401);
    });
  });

  describe('me', () => {
    it('PATCH me changes only the fields sent', async () => {
      const { token } = await signUp(call);
      const res = await call('PATCH', '/api/v1/auth/users/me/', { auth: token, body: { first_name: 'Zoe' } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ first_name: 'Zoe', last_name: 'Lee' });
    });

    it('PUT me with a wrong type answers 400 and changes nothing', async () => {
      const { token } = await signUp(call);
      const res = await call('PUT', '/api/v1/auth/users/me/', {
        auth: token,
        body: { first_name: 'X', last_name: 'Y', marketing_consent_given: { a: 1 } },
      });
      expect(res.status).toBe(400);
      expect(res.body.marketing_consent_given).toEqual(['Must be a valid boolean.']);
      expect((await call('GET', '/api/v1/auth/users/me/', { auth: token })).body.first_name).toBe('Ann');
    });

    it('DELETE me with the wrong current_password answers 400; with the right one 204 and the token dies', async () => {
      const { token } = await signUp(call);
      const wrong = await call('DELETE', '/api/v1/auth/users/me/', {
        auth: token,
        body: { current_password: 'nope' },
      });
      expect(wrong.status).toBe(400);
      const ok = await call('DELETE', '/api/v1/auth/users/me/', {
        auth: token,
        body: { current_password: PASSWORD },
      });
      expect(ok.status).toBe(204);
      expect((await call('GET', '/api/v1/auth/users/me/', { auth: token })).status).toBe(401);
    });
  });

  describe('passwords', () => {
    it('set_password with the right current password lets the new one log in and the old one not', async () => {
      const { email, token } = await signUp(call);
      const next = 'another-Secret-77';
      const res = await call('POST', '/api/v1/auth/users/set_password/', {
        auth: token,
        body: { current_password: PASSWORD, new_password: next, re_new_password: next },
      });
      expect(res.status).toBe(204);
      expect((await call('POST', '/api/v1/auth/login/', { body: { email, password: next } })).status).toBe(
        200,
      );
      expect(
        (await call('POST', '/api/v1/auth/login/', { body: { email, password: PASSWORD } })).status,
      ).toBe(400);
    });

    it('set_password with mismatching new passwords answers 400', async () => {
      const { token } = await signUp(call);
      const res = await call('POST', '/api/v1/auth/users/set_password/', {
        auth: token,
        body: { current_password: PASSWORD, new_password: 'abcdefgh-1', re_new_password: 'abcdefgh-2' },
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ non_field_errors: ["The two password fields didn't match."] });
    });

    it('reset_password emails a link whose uid/token set a new password once; a tampered token is refused', async () => {
      const { email } = await signUp(call);
      const outbox = t.app.get(LoggingEmailService).outbox;
      expect((await call('POST', '/api/v1/auth/users/reset_password/', { body: { email } })).status).toBe(
        204,
      );
      const message = outbox.filter((m) => m.to === email).pop();
      const [, uid, token] = /confirm\/([^/]+)\/([^/\s]+)/.exec(message!.text)!;
      const next = 'reset-Password-42';
      const tampered = await call('POST', '/api/v1/auth/users/reset_password_confirm/', {
        body: {
          uid,
          token: token.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')),
          new_password: next,
          re_new_password: next,
        },
      });
      expect(tampered.status).toBe(400);
      expect(tampered.body).toEqual({ token: ['Invalid token for given user.'] });
      const ok = await call('POST', '/api/v1/auth/users/reset_password_confirm/', {
        body: { uid, token, new_password: next, re_new_password: next },
      });
      expect(ok.status).toBe(204);
      expect((await call('POST', '/api/v1/auth/login/', { body: { email, password: next } })).status).toBe(
        200,
      );
      const reused = await call('POST', '/api/v1/auth/users/reset_password_confirm/', {
        body: { uid, token, new_password: 'third-Password-1', re_new_password: 'third-Password-1' },
      });
      expect(reused.status).toBe(400);
    });

    it('reset_password for an unknown email still answers 204 and sends nothing', async () => {
      const outbox = t.app.get(LoggingEmailService).outbox;
      const before = outbox.length;
      const res = await call('POST', '/api/v1/auth/users/reset_password/', {
        body: { email: uniqueEmail('ghost') },
      });
      expect(res.status).toBe(204);
      expect(outbox.length).toBe(before);
    });
  });

  describe('lockout (AXES_FAILURE_LIMIT=3)', () => {
    it('an account after 3 failed logins refuses even the right password with 403; a password reset unlocks it', async () => {
      const { email } = await signUp(call);
      const fails = [];
      for (let i = 0; i < 3; i++)
        fails.push(
          (await call('POST', '/api/v1/auth/login/', { body: { email, password: `wrong-${i}-xx` } })).status,
        );
      expect(fails).toEqual([400, 400, 403]);
      const locked = await call('POST', '/api/v1/auth/login/', { body: { email, password: PASSWORD } });
      expect(locked.status).toBe(403);
      expect(locked.body.detail).toMatch(/^Account locked: too many login attempts/);

      const outbox = t.app.get(LoggingEmailService).outbox;
      await call('POST', '/api/v1/auth/users/reset_password/', { body: { email } });
      const [, uid, token] = /confirm\/([^/]+)\/([^/\s]+)/.exec(
        outbox.filter((m) => m.to === email).pop()!.text,
      )!;
      const next = 'unlocked-Pass-9';
      await call('POST', '/api/v1/auth/users/reset_password_confirm/', {
        body: { uid, token, new_password: next, re_new_password: next },
      });
      expect((await call('POST', '/api/v1/auth/login/', { body: { email, password: next } })).status).toBe(
        200,
      );
    });

    it('with AXES_ONLY_USER_FAILURES=true failures against one account do not lock another from the same IP', async () => {
      const other = await signUp(call);
      const res = await call('POST', '/api/v1/auth/login/', {
        body: { email: other.email, password: PASSWORD },
      });
      expect(res.status).toBe(200);
    });
  });
});

describe('accounts with restrictive settings', () => {
  it('with AXES_ONLY_USER_FAILURES=false the IP is locked too: another account from it is refused', async () => {
    const t = await startTestApp({ AXES_FAILURE_LIMIT: '2', AXES_ONLY_USER_FAILURES: 'false' });
    try {
      const call = client(t);
      const victim = await signUp(call);
      for (const email of [uniqueEmail('nobody'), uniqueEmail('nobody')])
        await call('POST', '/api/v1/auth/login/', { body: { email, password: 'whatever-123' } });
      const res = await call('POST', '/api/v1/auth/login/', {
        body: { email: victim.email, password: PASSWORD },
      });
      expect(res.status).toBe(403);
    } finally {
      await t.close();
    }
  });

  it('with ALLOW_REGISTRATION_WITHOUT_INVITE=false sign-up without an invite answers 403 and with an invite link 201', async () => {
    const t = await startTestApp({ ALLOW_REGISTRATION_WITHOUT_INVITE: 'false' });
    try {
      const call = client(t);
      const refused = await call('POST', '/api/v1/auth/users/', {
        body: { email: uniqueEmail(), password: PASSWORD, first_name: 'A', last_name: 'B' },
      });
      expect(refused.status).toBe(403);
      // bootstrap an admin directly, then an invite link
      await queryDatabase(
        t.databaseUrl,
        `INSERT INTO organisations (uuid, name) VALUES (gen_random_uuid(), 'Org')`,
      );
      await queryDatabase(
        t.databaseUrl,
        `INSERT INTO organisation_invite_links (hash, role, organisation_id) SELECT 'linkhash123', 'USER', max(id) FROM organisations`,
      );
      const ok = await call('POST', '/api/v1/auth/users/', {
        body: {
          email: uniqueEmail(),
          password: PASSWORD,
          first_name: 'A',
          last_name: 'B',
          invite_hash: 'linkhash123',
          sign_up_type: 'INVITE_LINK',
        },
      });
      expect(ok.status).toBe(201);
      const orgs = await call('GET', '/api/v1/organisations/', { auth: ok.body.key });
      expect(orgs.body.results.map((o: { name: string }) => o.name)).toEqual(['Org']);
    } finally {
      await t.close();
    }
  });

  it('with PREVENT_SIGNUP=true sign-up without an invite answers 403', async () => {
    const t = await startTestApp({ PREVENT_SIGNUP: 'true' });
    try {
      const res = await client(t)('POST', '/api/v1/auth/users/', {
        body: { email: uniqueEmail(), password: PASSWORD, first_name: 'A', last_name: 'B' },
      });
      expect(res.status).toBe(403);
    } finally {
      await t.close();
    }
  });

  it('with USER_CREATE_PERMISSIONS=IsAdminUser anonymous sign-up answers 401', async () => {
    const t = await startTestApp({ USER_CREATE_PERMISSIONS: 'rest_framework.permissions.IsAdminUser' });
    try {
      const res = await client(t)('POST', '/api/v1/auth/users/', {
        body: { email: uniqueEmail(), password: PASSWORD, first_name: 'A', last_name: 'B' },
      });
      expect(res.status).toBe(401);
    } finally {
      await t.close();
    }
  });
});
