import { claimResetEmail } from './reset-email-quota';
import { ResetEmailQuotaService } from './reset-email-quota.service';
import { InMemoryResetEmails } from './reset-emails.memory';

const T0 = Date.UTC(2024, 0, 1, 12);
const policy = { maxEmails: 2, cooldownSeconds: 3600 };

describe('claimResetEmail', () => {
  it('fewer than the maximum sent within the cool-down → allowed, and this one is recorded', () => {
    expect(claimResetEmail([T0], T0 + 1000, policy)).toEqual({ allowed: true, sent: [T0, T0 + 1000] });
  });

  it('the maximum sent within the cool-down → refused, nothing recorded', () => {
    expect(claimResetEmail([T0, T0 + 1], T0 + 2, policy)).toEqual({ allowed: false, sent: [T0, T0 + 1] });
  });

  it('a send exactly one cool-down old still counts', () => {
    expect(claimResetEmail([T0, T0], T0 + 3_600_000, policy).allowed).toBe(false);
  });

  it('a send older than the cool-down is forgotten', () => {
    expect(claimResetEmail([T0, T0 + 10], T0 + 3_600_001, policy)).toEqual({
      allowed: true,
      sent: [T0 + 10, T0 + 3_600_001],
    });
  });

  it('MAX_PASSWORD_RESET_EMAILS=0 → never allowed', () => {
    expect(claimResetEmail([], T0, { ...policy, maxEmails: 0 }).allowed).toBe(false);
  });
});

describe('ResetEmailQuotaService', () => {
  function quota() {
    let now = T0;
    const service = new ResetEmailQuotaService(new InMemoryResetEmails(() => now), {
      MAX_PASSWORD_RESET_EMAILS: 2,
      PASSWORD_RESET_EMAIL_COOLDOWN: 86_400,
    });
    return { service, advance: (ms: number) => (now += ms) };
  }

  it('MAX_PASSWORD_RESET_EMAILS=2: six requests for one user → two claims succeed', async () => {
    const q = quota();
    const claims = [];
    for (let i = 0; i < 6; i++) claims.push(await q.service.claim(1));
    expect(claims).toEqual([true, true, false, false, false, false]);
  });

  it('users are counted apart', async () => {
    const q = quota();
    await q.service.claim(1);
    await q.service.claim(1);
    expect(await q.service.claim(2)).toBe(true);
  });

  it('after PASSWORD_RESET_EMAIL_COOLDOWN the user may get emails again', async () => {
    const q = quota();
    await q.service.claim(1);
    q.advance(1000);
    await q.service.claim(1);
    q.advance(86_400_000 - 1000);
    expect(await q.service.claim(1)).toBe(false);
    q.advance(1);
    expect(await q.service.claim(1)).toBe(true);
  });
});
