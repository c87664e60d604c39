import type { DataSource } from 'typeorm';
import { InMemoryLoginFailures } from '../auth/login-failures.memory';
import { LoginLockoutService } from '../auth/login-lockout.service';
import { hashPassword } from '../auth/passwords';
import type { Principal } from '../auth/principal';
import { systemClock } from '../common/clock';
import { FakeUnitOfWork } from '../common/unit-of-work.fake';
import { InMemoryMfa } from '../users/mfa/mfa.memory';
import { MfaService } from '../users/mfa/mfa.service';
import { codeAt, STEP_SECONDS } from '../users/mfa/totp';
import { User } from '../users/user.entity';
import { AdminAuthService, passwordSignInEnabled, readCookie, sameSecret } from './admin-auth.service';
import { maskSecret } from './entity-resource';
import { AppConfig } from '../config';

function service(secret = 'a-secret-key') {
  const config = { secretKey: secret, ENABLE_ADMIN_ACCESS_USER_PASS: false } as unknown as AppConfig;
  return new AdminAuthService(undefined as never, config, undefined as never, undefined as never);
}

/** The password sign-in over one superuser (a DataSource answering only what AdminAuthService asks). */
async function passwordPanel() {
  const config = {
    secretKey: 'k'.repeat(50),
    secretKeyGenerated: false,
    ENABLE_ADMIN_ACCESS_USER_PASS: true,
    AXES_FAILURE_LIMIT: 5,
    AXES_COOLOFF_TIME: 0,
    AXES_ONLY_USER_FAILURES: true,
  } as unknown as AppConfig;
  const user = Object.assign(new User(), {
    id: 1,
    email: 'root@example.com',
    password: await hashPassword('right-password-1'),
    isActive: true,
    isSuperuser: true,
  });
  const dataSource = {
    getRepository: () => ({
      createQueryBuilder: () => ({ where: () => ({ getOne: () => Promise.resolve(user) }) }),
      update: () => Promise.resolve(),
    }),
  } as unknown as DataSource;
  const lockout = new LoginLockoutService(new InMemoryLoginFailures(), config);
  const rows = new InMemoryMfa();
  rows.users.set(user.id, user);
  const mfa = new MfaService(
    rows.asRepository(),
    new FakeUnitOfWork().asUnitOfWork(),
    config,
    systemClock(),
    lockout,
  );
  const auth = new AdminAuthService(dataSource, config, lockout, mfa);
  const enrol = async () => {
    const { secret } = await mfa.activate(user, 'app');
    const principal = { kind: 'user', user, tokenKey: '' } as Principal;
    // Confirmed with the previous step's code, so that the current step's code is still unused.
    await mfa.confirm(principal, user, 'app', codeAt(secret, Date.now() - STEP_SECONDS * 1000));
    return secret;
  };
  return { auth, enrol };
}

describe('admin password sign-in', () => {
  it('a superuser without two-factor authentication → signed in with the password alone', async () => {
    const { auth } = await passwordPanel();
    expect(await auth.passwordSignIn('root@example.com', 'right-password-1', 'ip')).toEqual({
      kind: 'signed_in',
      user: { id: '1', email: 'root@example.com', title: 'root@example.com' },
    });
    expect(await auth.passwordSignIn('root@example.com', 'wrong', 'ip')).toEqual({ kind: 'refused' });
  });

  it('a two-factor superuser → asked for a code; a wrong one asks again; the right one signs in', async () => {
    const { auth, enrol } = await passwordPanel();
    const secret = await enrol();
    const first = await auth.passwordSignIn('root@example.com', 'right-password-1', 'ip');
    expect(first).toEqual({ kind: 'second_factor', ephemeralToken: expect.any(String), wrongCode: false });
    const token = first.kind === 'second_factor' ? first.ephemeralToken : '';
    expect(await auth.codeSignIn(token, '000000', 'ip')).toEqual({
      kind: 'second_factor',
      ephemeralToken: token,
      wrongCode: true,
    });
    expect(await auth.codeSignIn(token, ` ${codeAt(secret, Date.now())} `, 'ip')).toMatchObject({
      kind: 'signed_in',
    });
    expect(await auth.codeSignIn(token, codeAt(secret, Date.now()), 'ip')).toEqual({ kind: 'refused' });
    expect(await auth.codeSignIn(undefined, '123456', 'ip')).toEqual({ kind: 'refused' });
  });
});

describe('admin SSO tickets', () => {
  it('carry the user id once, only with the state cookie they were issued for', () => {
    const auth = service();
    const ticket = auth.issueTicket(42, 'state-1');
    expect(auth.redeemTicket(ticket, 'state-2')).toBeUndefined();
    expect(auth.redeemTicket(ticket, 'state-1')).toBe(42);
    expect(auth.redeemTicket(ticket, 'state-1')).toBeUndefined(); // single use
  });

  it('are refused when tampered with, expired or signed with another key', () => {
    const auth = service();
    const ticket = auth.issueTicket(42, 's');
    const [id, exp, digest, mac] = ticket.split('.');
    expect(auth.redeemTicket(`43.${exp}.${digest}.${mac}`, 's')).toBeUndefined();
    expect(auth.redeemTicket(service('other').issueTicket(42, 's'), 's')).toBeUndefined();
    expect(auth.redeemTicket(`${id}.${exp}.${digest}`, 's')).toBeUndefined();
    jest.useFakeTimers({ now: Date.now() + 61_000 });
    try {
      expect(auth.redeemTicket(ticket, 's')).toBeUndefined();
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('admin helpers', () => {
  it('reads one cookie and compares secrets', () => {
    expect(readCookie('a=1; flagport_admin_oauth_state=xyz%3D; b=2', 'flagport_admin_oauth_state')).toBe(
      'xyz=',
    );
    expect(readCookie(undefined, 'a')).toBeUndefined();
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abd')).toBe(false);
    expect(sameSecret(undefined, 'abc')).toBe(false);
  });

  it('masks keys', () => {
    expect(maskSecret('ser.AbCdEfGhIjKlMnOpQrStUv')).toBe('ser.AbCd…');
    expect(maskSecret('2xwYCLHDdyAv7mMp7LHu6S')).toBe('2xwY…');
    expect(maskSecret(null)).toBeNull();
  });
});

describe('passwordSignInEnabled', () => {
  const google = { OAUTH_CLIENT_ID: 'id', OAUTH_CLIENT_SECRET: 'secret' };
  const enabled = (settings: Record<string, unknown>) =>
    passwordSignInEnabled(settings as unknown as AppConfig);

  it('ENABLE_ADMIN_ACCESS_USER_PASS unset without Google sign-in → password sign-in on', () => {
    expect(enabled({})).toBe(true);
  });
  it('ENABLE_ADMIN_ACCESS_USER_PASS unset with Google sign-in configured → password sign-in off', () => {
    expect(enabled(google)).toBe(false);
  });
  it('ENABLE_ADMIN_ACCESS_USER_PASS set → it decides, whatever else is configured', () => {
    expect(enabled({ ENABLE_ADMIN_ACCESS_USER_PASS: false })).toBe(false);
    expect(enabled({ ...google, ENABLE_ADMIN_ACCESS_USER_PASS: true })).toBe(true);
  });
});
