import type { EntityManager } from 'typeorm';
import type { AuthService } from '../auth/auth.service';
import { InMemoryLoginFailures } from '../auth/login-failures.memory';
import { LOCKED_OUT_DETAIL, LoginLockoutService } from '../auth/login-lockout.service';
import type { Principal } from '../auth/principal';
import { systemClock } from '../common/clock';
import { InMemoryMfa } from './mfa/mfa.memory';
import { MfaRefused, MfaService } from './mfa/mfa.service';
import { codeAt } from './mfa/totp';
import { hashPassword, makeResetToken, encodeUid, unusablePassword, verifyPassword } from '../auth/passwords';
import { PermissionDenied, ValidationFailed } from '../common/domain-errors';
import { FakeUnitOfWork } from '../common/unit-of-work.fake';
import type { AppConfig } from '../config';
import type { EmailService } from '../email/email.service';
import type { SiteLinks } from '../email/site-links';
import type { InvitesService } from '../organisations/invites.service';
import type { ResetEmailQuotaService } from '../throttling/reset-email-quota.service';
import { AccountsService, EmailTaken, REGISTRATION_WITHOUT_INVITE_DETAIL } from './accounts.service';
import { User } from './user.entity';
import type { RegisterInput } from './user.schemas';
import type { UserColumns, UsersRepository } from './users.repository';

/** UsersRepository in memory: rows by id; locks, deletions and invites recorded. */
class InMemoryUsers {
  readonly rows = new Map<number, User>();
  readonly locked: number[] = [];
  readonly deleted: { id: number; orphans: boolean }[] = [];
  invitedEmails = new Set<string>();
  private nextId = 1;

  add(fields: Partial<User>): User {
    const user = Object.assign(new User(), {
      firstName: '',
      lastName: '',
      isSuperuser: false,
      isStaff: false,
      isActive: true,
      authType: 'EMAIL',
      signUpType: 'NO_INVITE',
      marketingConsentGiven: false,
      githubUserId: null,
      googleUserId: null,
      dateJoined: new Date('2024-01-01T00:00:00Z'),
      lastLogin: null,
      ...fields,
      id: this.nextId++,
    });
    this.rows.set(user.id, user);
    return user;
  }
  private copy(user: User | undefined): User | null {
    return user ? Object.assign(new User(), user) : null;
  }
  byEmail(email: string) {
    return Promise.resolve(
      this.copy([...this.rows.values()].find((u) => u.email.toLowerCase() === email.toLowerCase())),
    );
  }
  byId(id: number) {
    return Promise.resolve(this.copy(this.rows.get(id)));
  }
  lock(_m: EntityManager, id: number) {
    this.locked.push(id);
    return this.byId(id);
  }
  count() {
    return Promise.resolve(this.rows.size);
  }
  insert(_m: EntityManager, fields: UserColumns & { email: string; password: string }) {
    return Promise.resolve(this.copy(this.add(fields)));
  }
  update(_m: EntityManager, id: number, columns: UserColumns) {
    Object.assign(this.rows.get(id)!, columns);
    return Promise.resolve();
  }
  delete(_m: EntityManager, id: number, orphans: boolean) {
    this.rows.delete(id);
    this.deleted.push({ id, orphans });
    return Promise.resolve();
  }
  hasInvite(_m: EntityManager, email: string) {
    return Promise.resolve(this.invitedEmails.has(email.toLowerCase()));
  }
}

const SECRET = 's'.repeat(50);
const CONFIG = {
  secretKey: SECRET,
  USER_CREATE_PERMISSIONS: ['rest_framework.permissions.AllowAny'],
  PREVENT_SIGNUP: false,
  ALLOW_REGISTRATION_WITHOUT_INVITE: true,
  ENABLE_EMAIL_ACTIVATION: false,
  AXES_FAILURE_LIMIT: 2,
  AXES_COOLOFF_TIME: null,
  AXES_ONLY_USER_FAILURES: true,
};
const PASSWORD = 'correct horse battery staple';

function setup(overrides: Partial<typeof CONFIG> = {}) {
  const config = { ...CONFIG, ...overrides } as unknown as AppConfig;
  const users = new InMemoryUsers();
  const uow = new FakeUnitOfWork();
  const sent: { to: string; subject?: string }[] = [];
  const lockout = new LoginLockoutService(new InMemoryLoginFailures(), config);
  const auth = { tokenFor: (user: User) => Promise.resolve(`token-${user.id}`) } as unknown as AuthService;
  const mfaRows = new InMemoryMfa();
  const mfa = new MfaService(mfaRows.asRepository(), uow.asUnitOfWork(), config, systemClock(), lockout);
  const service = new AccountsService(
    users as unknown as UsersRepository,
    uow.asUnitOfWork(),
    config,
    auth,
    lockout,
    { claim: () => Promise.resolve(true) } as unknown as ResetEmailQuotaService,
    { send: (mail: { to: string }) => void sent.push(mail) } as unknown as EmailService,
    {} as InvitesService,
    { link: (path: string) => Promise.resolve(`https://app/${path}`) } as unknown as SiteLinks,
    mfa,
  );
  return { users, uow, sent, lockout, service, mfa, mfaRows };
}

const signUp = (fields: Partial<RegisterInput> = {}): RegisterInput => ({
  email: 'ada@example.com',
  password: PASSWORD,
  ...fields,
});

describe('AccountsService.register', () => {
  it('a new email → an active user with a token, written in one unaudited run', async () => {
    const { service, users, uow } = setup();
    const { user, key } = await service.register(signUp({ first_name: 'Ada' }));
    expect(key).toBe(`token-${user.id}`);
    expect(users.rows.get(user.id)).toMatchObject({
      email: 'ada@example.com',
      firstName: 'Ada',
      isActive: true,
      isSuperuser: false,
      signUpType: 'NO_INVITE',
    });
    expect(await verifyPassword(PASSWORD, users.rows.get(user.id)!.password)).toBe(true);
    expect(uow.committed).toHaveLength(1);
    expect(uow.committed[0].auditEntries).toEqual([]);
  });

  it('a password like the email → the password field error, nothing written', async () => {
    const { service, users, uow } = setup();
    const err = await service.register(signUp({ password: 'ada@example.com' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationFailed);
    expect(Object.keys((err as ValidationFailed).errors)).toEqual(['password']);
    expect(users.rows.size).toBe(0);
    expect(uow.committed).toHaveLength(0);
  });

  it('an email taken in another case → {"email": "…"} as a bare string', async () => {
    const { service, users } = setup();
    users.add({ email: 'Ada@Example.com', password: unusablePassword() });
    const err = await service.register(signUp()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmailTaken);
    expect((err as EmailTaken).body()).toEqual({ email: 'Email already exists. Please log in.' });
    expect(users.rows.size).toBe(1);
  });

  it('invite-only installation without an invite → 403 detail; with an email invite → registered', async () => {
    const { service, users } = setup({ ALLOW_REGISTRATION_WITHOUT_INVITE: false });
    await expect(service.register(signUp())).rejects.toEqual(
      new PermissionDenied(REGISTRATION_WITHOUT_INVITE_DETAIL),
    );
    users.invitedEmails.add('ada@example.com');
    await expect(service.register(signUp())).resolves.toMatchObject({ key: 'token-1' });
  });

  it('superuser once a user exists → superuser field error', async () => {
    const { service, users } = setup();
    users.add({ email: 'first@example.com', password: unusablePassword() });
    await expect(service.register(signUp({ superuser: true }))).rejects.toEqual(
      ValidationFailed.field('superuser', 'A superuser can only be created when no users exist.'),
    );
  });

  it('email activation on → the account starts inactive and the activation link is mailed', async () => {
    const { service, sent } = setup({ ENABLE_EMAIL_ACTIVATION: true });
    const { user } = await service.register(signUp());
    expect(user.isActive).toBe(false);
    expect(sent.map((m) => m.to)).toEqual(['ada@example.com']);
  });
});

describe('AccountsService.login', () => {
  async function withUser(overrides: Partial<typeof CONFIG> = {}) {
    const s = setup(overrides);
    const user = s.users.add({ email: 'ada@example.com', password: await hashPassword(PASSWORD) });
    return { ...s, user };
  }

  it('right password → the token, and last_login set in an unaudited run', async () => {
    const { service, users, uow, user } = await withUser();
    await expect(
      service.login({ email: 'ADA@example.com', password: PASSWORD }, '10.0.0.1'),
    ).resolves.toEqual({ key: `token-${user.id}` });
    expect(users.rows.get(user.id)!.lastLogin).toBeInstanceOf(Date);
    expect(uow.committed).toHaveLength(1);
  });

  it('wrong password → non_field_errors, nothing written', async () => {
    const { service, uow } = await withUser();
    await expect(service.login({ email: 'ada@example.com', password: 'nope' }, '10.0.0.1')).rejects.toEqual(
      ValidationFailed.field('non_field_errors', 'Unable to log in with provided credentials.'),
    );
    expect(uow.committed).toHaveLength(0);
  });

  it('the failure that reaches the limit, and the right password after it → locked out (403)', async () => {
    const { service } = await withUser();
    await service.login({ email: 'ada@example.com', password: 'nope' }, '10.0.0.1').catch(() => undefined);
    const locked = new PermissionDenied(LOCKED_OUT_DETAIL);
    await expect(service.login({ email: 'ada@example.com', password: 'nope' }, '10.0.0.1')).rejects.toEqual(
      locked,
    );
    await expect(service.login({ email: 'ada@example.com', password: PASSWORD }, '10.0.0.1')).rejects.toEqual(
      locked,
    );
  });

  it('an inactive account with the right password → refused like a wrong one', async () => {
    const { service, users, user } = await withUser();
    users.rows.get(user.id)!.isActive = false;
    await expect(service.login({ email: 'ada@example.com', password: PASSWORD }, '10.0.0.1')).rejects.toEqual(
      ValidationFailed.field('non_field_errors', 'Unable to log in with provided credentials.'),
    );
  });
});

describe('AccountsService.login with two-factor authentication', () => {
  async function enrolled() {
    const s = setup();
    const user = s.users.add({ email: 'ada@example.com', password: await hashPassword(PASSWORD) });
    s.mfaRows.users.set(user.id, user);
    const { secret } = await s.mfa.activate(user, 'app');
    const principal = { kind: 'user', user, tokenKey: 'k' } as Principal;
    const backupCodes = await s.mfa.confirm(principal, user, 'app', codeAt(secret, Date.now()));
    return { ...s, user, backupCodes };
  }

  it('right password → {ephemeral_token, method} instead of a token, and last_login untouched', async () => {
    const { service, users, user } = await enrolled();
    const answer = await service.login({ email: 'ada@example.com', password: PASSWORD }, '10.0.0.1');
    expect(answer).toEqual({ ephemeral_token: expect.any(String), method: 'app' });
    expect(users.rows.get(user.id)!.lastLogin).toBeNull();
  });

  it('login/code with a backup code → the token and last_login set; a bad token → 401 "Invalid or expired token."', async () => {
    const { service, users, user, backupCodes } = await enrolled();
    const answer = await service.login({ email: 'ada@example.com', password: PASSWORD }, '10.0.0.1');
    const token = (answer as { ephemeral_token: string }).ephemeral_token;
    await expect(
      service.loginWithCode({ ephemeral_token: 'nope', code: backupCodes[0] }, 'ip'),
    ).rejects.toEqual(new MfaRefused(401, 'Invalid or expired token.'));
    await expect(service.loginWithCode({ ephemeral_token: token, code: backupCodes[0] }, 'ip')).resolves.toBe(
      `token-${user.id}`,
    );
    expect(users.rows.get(user.id)!.lastLogin).toBeInstanceOf(Date);
  });

  it('login/code with wrong codes → 401 "Invalid or expired code.", then 403 locked at AXES_FAILURE_LIMIT', async () => {
    const { service } = await enrolled();
    const answer = await service.login({ email: 'ada@example.com', password: PASSWORD }, '10.0.0.1');
    const token = (answer as { ephemeral_token: string }).ephemeral_token;
    await expect(service.loginWithCode({ ephemeral_token: token, code: '000000' }, 'ip')).rejects.toEqual(
      new MfaRefused(401, 'Invalid or expired code.'),
    );
    await expect(service.loginWithCode({ ephemeral_token: token, code: '000000' }, 'ip')).rejects.toEqual(
      new PermissionDenied(LOCKED_OUT_DETAIL),
    );
    await expect(service.login({ email: 'ada@example.com', password: PASSWORD }, 'ip')).rejects.toEqual(
      new PermissionDenied(LOCKED_OUT_DETAIL),
    );
  });
});

describe('AccountsService passwords and deletion', () => {
  /** null: an account without a usable password (signed up through OAuth). */
  async function withUser(password: string | null = PASSWORD) {
    const s = setup();
    const user = s.users.add({
      email: 'ada@example.com',
      password: password === null ? unusablePassword() : await hashPassword(password),
    });
    return { ...s, user };
  }

  it('set_password with the wrong current password → current_password error, nothing changed', async () => {
    const { service, users, user } = await withUser();
    const before = users.rows.get(user.id)!.password;
    await expect(
      service.setPassword(user, {
        current_password: 'nope',
        new_password: 'a new long passphrase',
        re_new_password: 'a new long passphrase',
      }),
    ).rejects.toEqual(ValidationFailed.field('current_password', 'Invalid password.'));
    expect(users.rows.get(user.id)!.password).toBe(before);
  });

  it('set_password with two different new passwords → non_field_errors', async () => {
    const { service, user } = await withUser();
    await expect(
      service.setPassword(user, {
        current_password: PASSWORD,
        new_password: 'a new long passphrase',
        re_new_password: 'another long passphrase',
      }),
    ).rejects.toEqual(ValidationFailed.field('non_field_errors', "The two password fields didn't match."));
  });

  it('set_password checks the locked row and stores the new hash', async () => {
    const { service, users, user } = await withUser();
    await service.setPassword(user, {
      current_password: PASSWORD,
      new_password: 'a new long passphrase',
      re_new_password: 'a new long passphrase',
    });
    expect(users.locked).toEqual([user.id]);
    expect(await verifyPassword('a new long passphrase', users.rows.get(user.id)!.password)).toBe(true);
  });

  it('reset confirm with a valid link → new password, lockout cleared; the same link again → token error', async () => {
    const { service, users, user } = await withUser();
    const input = {
      uid: encodeUid(user.id),
      token: makeResetToken(SECRET, users.rows.get(user.id)!),
      new_password: 'a new long passphrase',
      re_new_password: 'a new long passphrase',
    };
    await service.confirmReset(input);
    expect(await verifyPassword('a new long passphrase', users.rows.get(user.id)!.password)).toBe(true);
    await expect(service.confirmReset(input)).rejects.toEqual(
      ValidationFailed.field('token', 'Invalid token for given user.'),
    );
  });

  it('reset confirm for an unknown uid → uid error', async () => {
    const { service } = await withUser();
    await expect(
      service.confirmReset({ uid: encodeUid(999), token: 'x', new_password: 'p', re_new_password: 'p' }),
    ).rejects.toEqual(ValidationFailed.field('uid', "Invalid user id or user doesn't exist."));
  });

  it('activation of an account that is already active → 403 stale token', async () => {
    const { service, users, user } = await withUser();
    const token = makeResetToken(SECRET, users.rows.get(user.id)!);
    await expect(service.activate({ uid: encodeUid(user.id), token })).rejects.toEqual(
      new PermissionDenied('Stale token for given user.'),
    );
  });

  it('delete me without current_password on an account with a password → required', async () => {
    const { service, users, user } = await withUser();
    await expect(service.deleteMe(user, {})).rejects.toEqual(
      ValidationFailed.field('current_password', 'This field is required.'),
    );
    expect(users.rows.has(user.id)).toBe(true);
  });

  it('delete me with the wrong password → Invalid password; right one → deleted with orphan organisations', async () => {
    const { service, users, user } = await withUser();
    await expect(service.deleteMe(user, { current_password: 'nope' })).rejects.toEqual(
      ValidationFailed.field('current_password', 'Invalid password.'),
    );
    await service.deleteMe(user, { current_password: PASSWORD });
    expect(users.deleted).toEqual([{ id: user.id, orphans: true }]);
  });

  it('delete me of an account without a usable password needs no password; orphans kept when asked', async () => {
    const { service, users, user } = await withUser(null);
    await service.deleteMe(user, { delete_orphan_organisations: false });
    expect(users.deleted).toEqual([{ id: user.id, orphans: false }]);
  });
});

describe('AccountsService: the admin panel', () => {
  const admin = (): Principal => ({
    kind: 'user',
    user: Object.assign(new User(), { id: 99, email: 'root@example.com' }),
    tokenKey: '',
  });

  it('createByAdmin → an account with an unusable password, audited; a taken email (any case) is refused', async () => {
    const { service, users, uow } = setup();
    const user = await service.createByAdmin(admin(), { email: 'ada@example.com', is_staff: true });
    expect(users.rows.get(user.id)).toMatchObject({ email: 'ada@example.com', isStaff: true });
    expect(await verifyPassword('', users.rows.get(user.id)!.password)).toBe(false);
    expect(uow.committed.map((r) => r.auditEntries.map((e) => e.log))).toEqual([
      ['User created (admin panel): ada@example.com'],
    ]);
    await expect(service.createByAdmin(admin(), { email: 'ADA@example.com' })).rejects.toBeInstanceOf(
      EmailTaken,
    );
    expect(users.rows.size).toBe(1);
  });

  it("updateByAdmin writes only the fields sent on the locked row, audited before/after; another's email is refused", async () => {
    const { service, users, uow } = setup();
    const ada = users.add({ email: 'ada@example.com', password: 'x', firstName: 'Ada' });
    users.add({ email: 'bob@example.com', password: 'x' });
    const saved = await service.updateByAdmin(admin(), ada.id, { is_superuser: true });
    expect(saved).toMatchObject({ firstName: 'Ada', isSuperuser: true });
    expect(users.locked).toEqual([ada.id]);
    expect(uow.committed[0].auditEntries[0]).toMatchObject({
      log: 'User updated (admin panel): ada@example.com',
      before: { is_superuser: false },
      after: { is_superuser: true },
    });
    expect(JSON.stringify(uow.committed[0].auditEntries)).not.toContain('password');
    await expect(service.updateByAdmin(admin(), ada.id, { email: 'BOB@example.com' })).rejects.toBeInstanceOf(
      EmailTaken,
    );
    expect(users.rows.get(ada.id)!.email).toBe('ada@example.com');
  });

  it('unlockLogin clears the failures counting against the account in one audited run', async () => {
    const { service, users, uow, lockout } = setup();
    const ada = users.add({ email: 'ada@example.com', password: await hashPassword(PASSWORD) });
    for (let i = 0; i < 2; i++)
      await lockout.attempt('ada@example.com', '10.0.0.1', () => Promise.resolve(null));
    expect(await lockout.isLocked('ada@example.com', '10.0.0.1')).toBe(true);

    expect(await service.unlockLogin(admin(), ada)).toBe(1);

    expect(await lockout.isLocked('ada@example.com', '10.0.0.1')).toBe(false);
    expect(uow.committed.map((r) => r.auditEntries.map((e) => e.log))).toEqual([
      ['User login unlocked (admin panel): ada@example.com'],
    ]);
  });
});
