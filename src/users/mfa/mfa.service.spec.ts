import { InMemoryLoginFailures } from '../../auth/login-failures.memory';
import { LoginLockoutService } from '../../auth/login-lockout.service';
import type { Principal } from '../../auth/principal';
import type { Clock } from '../../common/clock';
import { NotFound, ValidationFailed } from '../../common/domain-errors';
import { FakeUnitOfWork } from '../../common/unit-of-work.fake';
import type { AppConfig } from '../../config';
import { User } from '../user.entity';
import { InMemoryMfa } from './mfa.memory';
import { EPHEMERAL_TOKEN_SECONDS, MFA_MESSAGES, MfaRefused, MfaService } from './mfa.service';
import { BACKUP_CODE_LENGTH, BACKUP_CODES_QUANTITY, codeAt, STEP_SECONDS } from './totp';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const STEP_MS = STEP_SECONDS * 1000;

function setup(
  config: { secretKey?: string; secretKeyGenerated?: boolean; AXES_FAILURE_LIMIT?: number } = {},
) {
  const repo = new InMemoryMfa();
  const uow = new FakeUnitOfWork();
  let now = T0;
  const clock: Clock = { now: () => now };
  const settings = {
    secretKey: 'k'.repeat(50),
    secretKeyGenerated: false,
    AXES_FAILURE_LIMIT: 5,
    AXES_COOLOFF_TIME: 0,
    AXES_ONLY_USER_FAILURES: true,
    ...config,
  } as unknown as AppConfig;
  const lockout = new LoginLockoutService(new InMemoryLoginFailures(() => now), settings);
  const service = new MfaService(repo.asRepository(), uow.asUnitOfWork(), settings, clock, lockout);
  const user = Object.assign(new User(), { id: 7, email: 'ada@example.com', isActive: true });
  repo.users.set(user.id, user);
  const principal = { kind: 'user', user, tokenKey: 'k' } as Principal;
  return {
    repo,
    uow,
    service,
    user,
    principal,
    lockout,
    advance: (ms: number) => void (now += ms),
    now: () => now,
  };
}
type Setup = ReturnType<typeof setup>;

/** Activates and confirms the app method; answers its secret and backup codes. */
async function enrol(s: Setup) {
  const { secret } = await s.service.activate(s.user, 'app');
  const backupCodes = await s.service.confirm(s.principal, s.user, 'app', codeAt(secret, s.now()));
  return { secret, backupCodes };
}

const method = (s: Setup) => [...s.repo.methods.values()][0];

describe('MfaService enrolment', () => {
  it('activate → a pending method whose secret is stored sealed, with an otpauth link; nothing audited', async () => {
    const s = setup();
    const answer = await s.service.activate(s.user, 'app');
    expect(answer.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(answer.qr_link).toBe(
      `otpauth://totp/Flagsmith:ada%40example.com?issuer=Flagsmith&secret=${answer.secret}&algorithm=SHA1&digits=6&period=30`,
    );
    expect(method(s)).toMatchObject({ userId: 7, name: 'app', isActive: false, isPrimary: false });
    expect(method(s).secret).toMatch(/^aes256gcm:/);
    expect(method(s).secret).not.toContain(answer.secret);
    expect(s.uow.committed[0].auditEntries).toEqual([]);
  });

  it('activate again before confirming → the same pending secret (one row)', async () => {
    const s = setup();
    const first = await s.service.activate(s.user, 'app');
    expect(await s.service.activate(s.user, 'app')).toEqual(first);
    expect(s.repo.methods.size).toBe(1);
  });

  it('activate of a method other than app → not found', async () => {
    const s = setup();
    await expect(s.service.activate(s.user, 'sms')).rejects.toBeInstanceOf(NotFound);
    expect(s.repo.methods.size).toBe(0);
  });

  it('with a generated DJANGO_SECRET_KEY the secret is kept readable (plain:), not lost at the next start', async () => {
    const s = setup({ secretKeyGenerated: true });
    const { secret } = await s.service.activate(s.user, 'app');
    expect(method(s).secret).toBe(`plain:${secret}`);
  });

  it('a pending secret sealed under another DJANGO_SECRET_KEY → activate replaces it with a new one', async () => {
    const s = setup();
    const { secret } = await s.service.activate(s.user, 'app');
    const other = setup({ secretKey: 'o'.repeat(50) });
    other.repo.methods.set(1, method(s));
    const again = await other.service.activate(other.user, 'app');
    expect(again.secret).not.toBe(secret);
  });

  it('confirm with the current code → active primary method, 5 hashed backup codes, audited', async () => {
    const s = setup();
    const { backupCodes } = await enrol(s);
    expect(backupCodes).toHaveLength(BACKUP_CODES_QUANTITY);
    for (const code of backupCodes) expect(code).toMatch(new RegExp(`^[A-Za-z0-9]{${BACKUP_CODE_LENGTH}}$`));
    const stored = method(s);
    expect(stored).toMatchObject({ isActive: true, isPrimary: true });
    expect(stored.backupCodes.split(',')).toHaveLength(BACKUP_CODES_QUANTITY);
    for (const code of backupCodes) expect(stored.backupCodes).not.toContain(code);
    expect(s.uow.committed[1].auditEntries.map((e) => e.log)).toEqual([
      'Two-factor authentication (app) enabled for user: ada@example.com',
    ]);
    expect(await s.service.activeMethods(s.user)).toHaveLength(1);
  });

  it('confirm without activate → code error "does not exist", nothing written', async () => {
    const s = setup();
    await expect(s.service.confirm(s.principal, s.user, 'app', '123456')).rejects.toEqual(
      ValidationFailed.field('code', MFA_MESSAGES.methodDoesNotExist),
    );
    expect(s.uow.committed).toEqual([]);
  });

  it('confirm with a wrong code, or one two steps old → code error, still inactive', async () => {
    const s = setup();
    const { secret } = await s.service.activate(s.user, 'app');
    const wrong = String((Number(codeAt(secret, s.now())) + 1) % 1_000_000).padStart(6, '0');
    const stale = codeAt(secret, s.now() - 2 * STEP_MS);
    for (const code of [wrong, stale, 'abcdef', ''])
      await expect(s.service.confirm(s.principal, s.user, 'app', code)).rejects.toEqual(
        ValidationFailed.field('code', MFA_MESSAGES.codeInvalidOrExpired),
      );
    expect(method(s).isActive).toBe(false);
    expect(s.uow.committed).toHaveLength(1);
  });

  it('a code of the previous step is still accepted (one step of drift)', async () => {
    const s = setup();
    const { secret } = await s.service.activate(s.user, 'app');
    await s.service.confirm(s.principal, s.user, 'app', codeAt(secret, s.now() - STEP_MS));
    expect(method(s).isActive).toBe(true);
  });

  it('an active method: activate → 400 "already active" (the secret is never shown again); confirm → code error', async () => {
    const s = setup();
    const { secret } = await enrol(s);
    const refused = s.service.activate(s.user, 'app');
    await expect(refused).rejects.toEqual(new MfaRefused(400, MFA_MESSAGES.alreadyActive));
    await expect(s.service.confirm(s.principal, s.user, 'app', codeAt(secret, s.now()))).rejects.toEqual(
      ValidationFailed.field('code', MFA_MESSAGES.alreadyActive),
    );
    expect(new MfaRefused(400, MFA_MESSAGES.alreadyActive).body()).toEqual({
      error: 'MFA method already active.',
    });
  });
});

describe('MfaService second factor at login', () => {
  it('no active method → no challenge', async () => {
    const s = setup();
    await s.service.activate(s.user, 'app');
    expect(await s.service.challenge(s.user)).toBeNull();
  });

  it('a TOTP code of a new step with the ephemeral token → accepted; the token is then spent', async () => {
    const s = setup();
    const { secret } = await enrol(s);
    const challenge = await s.service.challenge(s.user);
    expect(challenge).toMatchObject({ method: 'app' });
    s.advance(STEP_MS);
    const code = codeAt(secret, s.now());
    expect(await s.service.secondFactor(challenge!.ephemeral_token, code, '10.0.0.1')).toEqual({
      outcome: 'accepted',
      user: s.user,
    });
    s.advance(STEP_MS);
    const next = codeAt(secret, s.now());
    expect(await s.service.secondFactor(challenge!.ephemeral_token, next, '10.0.0.1')).toEqual({
      outcome: 'invalid_token',
    });
  });

  it('a code already accepted (the one that confirmed, or one used at login) → rejected as a replay', async () => {
    const s = setup();
    const { secret } = await enrol(s);
    const confirmed = codeAt(secret, s.now());
    const { ephemeral_token: token } = (await s.service.challenge(s.user))!;
    expect(await s.service.secondFactor(token, confirmed, '10.0.0.1')).toEqual({
      outcome: 'rejected',
      locked: false,
    });
    s.advance(STEP_MS);
    const fresh = codeAt(secret, s.now());
    expect((await s.service.secondFactor(token, fresh, '10.0.0.1')).outcome).toBe('accepted');
    const { ephemeral_token: again } = (await s.service.challenge(s.user))!;
    expect(await s.service.secondFactor(again, fresh, '10.0.0.1')).toMatchObject({ outcome: 'rejected' });
    // The code of the previous step is inside the window but older than the accepted one: refused too.
    expect(await s.service.secondFactor(again, confirmed, '10.0.0.1')).toMatchObject({ outcome: 'rejected' });
  });

  it('the ephemeral token lasts 15 minutes: a millisecond before → accepted, at expiry → invalid token', async () => {
    const s = setup();
    const { secret } = await enrol(s);
    const early = (await s.service.challenge(s.user))!.ephemeral_token;
    const late = (await s.service.challenge(s.user))!.ephemeral_token;
    s.advance(EPHEMERAL_TOKEN_SECONDS * 1000 - 1);
    expect((await s.service.secondFactor(early, codeAt(secret, s.now()), 'ip')).outcome).toBe('accepted');
    s.advance(1);
    s.advance(STEP_MS);
    expect(await s.service.secondFactor(late, codeAt(secret, s.now()), 'ip')).toEqual({
      outcome: 'invalid_token',
    });
    expect(await s.service.secondFactor('not-a-token', '123456', 'ip')).toEqual({ outcome: 'invalid_token' });
  });

  it('a backup code works once: used, it is deleted and a second use is rejected', async () => {
    const s = setup();
    const { backupCodes } = await enrol(s);
    const first = (await s.service.challenge(s.user))!.ephemeral_token;
    expect((await s.service.secondFactor(first, backupCodes[2], 'ip')).outcome).toBe('accepted');
    expect(method(s).backupCodes.split(',')).toHaveLength(BACKUP_CODES_QUANTITY - 1);
    const second = (await s.service.challenge(s.user))!.ephemeral_token;
    expect(await s.service.secondFactor(second, backupCodes[2], 'ip')).toMatchObject({ outcome: 'rejected' });
    expect((await s.service.secondFactor(second, backupCodes[0], 'ip')).outcome).toBe('accepted');
  });

  it('wrong codes are failed logins: at AXES_FAILURE_LIMIT the account is locked, even for a right code', async () => {
    const s = setup({ AXES_FAILURE_LIMIT: 2 });
    const { secret } = await enrol(s);
    const token = (await s.service.challenge(s.user))!.ephemeral_token;
    expect(await s.service.secondFactor(token, '000000', 'ip')).toEqual({
      outcome: 'rejected',
      locked: false,
    });
    expect(await s.service.secondFactor(token, '000001', 'ip')).toEqual({
      outcome: 'rejected',
      locked: true,
    });
    s.advance(STEP_MS);
    expect(await s.service.secondFactor(token, codeAt(secret, s.now()), 'ip')).toEqual({ outcome: 'locked' });
    expect(await s.lockout.failuresFor('ada@example.com')).toBe(2);
  });

  it('an inactive user → invalid token', async () => {
    const s = setup();
    const { secret } = await enrol(s);
    const token = (await s.service.challenge(s.user))!.ephemeral_token;
    s.user.isActive = false;
    s.advance(STEP_MS);
    expect(await s.service.secondFactor(token, codeAt(secret, s.now()), 'ip')).toEqual({
      outcome: 'invalid_token',
    });
  });
});

describe('MfaService deactivation', () => {
  it('without a code (as the dashboard sends) → inactive, not primary, backup codes deleted, audited', async () => {
    const s = setup();
    await enrol(s);
    await s.service.deactivate(s.principal, s.user, 'app');
    expect(method(s)).toMatchObject({ isActive: false, isPrimary: false, backupCodes: '' });
    expect(s.uow.committed.at(-1)!.auditEntries.map((e) => e.log)).toEqual([
      'Two-factor authentication (app) disabled for user: ada@example.com',
    ]);
    expect(await s.service.activeMethods(s.user)).toEqual([]);
    expect(await s.service.challenge(s.user)).toBeNull();
  });

  it('with a wrong or replayed code → 400 "Invalid or expired code.", still active', async () => {
    const s = setup();
    const { secret } = await enrol(s);
    const committed = s.uow.committed.length;
    for (const code of ['000000', codeAt(secret, s.now())])
      await expect(s.service.deactivate(s.principal, s.user, 'app', code)).rejects.toEqual(
        new MfaRefused(400, MFA_MESSAGES.invalidCode),
      );
    expect(method(s).isActive).toBe(true);
    expect(s.uow.committed).toHaveLength(committed);
  });

  it('with a valid code → inactive; then again → "2FA is not enabled."; never activated → "does not exist"', async () => {
    const s = setup();
    const { backupCodes } = await enrol(s);
    await s.service.deactivate(s.principal, s.user, 'app', backupCodes[0]);
    expect(method(s).isActive).toBe(false);
    await expect(s.service.deactivate(s.principal, s.user, 'app')).rejects.toEqual(
      new MfaRefused(400, MFA_MESSAGES.notEnabled),
    );
    await expect(s.service.deactivate(s.principal, s.user, 'sms')).rejects.toEqual(
      new MfaRefused(400, MFA_MESSAGES.methodDoesNotExist),
    );
  });

  it('re-activation after deactivation → the method can be confirmed again (new backup codes)', async () => {
    const s = setup();
    const first = await enrol(s);
    await s.service.deactivate(s.principal, s.user, 'app');
    s.advance(STEP_MS);
    const second = await enrol(s);
    expect(second.backupCodes).not.toEqual(first.backupCodes);
    expect(method(s)).toMatchObject({ isActive: true, isPrimary: true });
  });
});
