import { InMemoryLoginFailures } from './login-failures.memory';
import { LoginLockoutService } from './login-lockout.service';

const MINUTE = 60_000;

function lockout(settings: { limit?: number; cooloff?: number; onlyUser?: boolean } = {}) {
  let now = Date.UTC(2024, 0, 1, 12);
  const store = new InMemoryLoginFailures(() => now);
  const service = new LoginLockoutService(store, {
    AXES_FAILURE_LIMIT: settings.limit ?? 3,
    AXES_COOLOFF_TIME: settings.cooloff ?? 15,
    AXES_ONLY_USER_FAILURES: settings.onlyUser ?? true,
  });
  const wrong = () => Promise.resolve(null);
  const right = () => Promise.resolve('user');
  return {
    service,
    advance: (ms: number) => (now += ms),
    fail: (username: string, ip: string) => service.attempt(username, ip, wrong),
    succeed: (username: string, ip: string) => service.attempt(username, ip, right),
  };
}

describe('LoginLockoutService.attempt', () => {
  it('right credentials with no failures → accepted with the verified value', async () => {
    const l = lockout();
    expect(await l.succeed('a@x.io', '1.1.1.1')).toEqual({ outcome: 'accepted', value: 'user' });
  });

  it('wrong credentials below the limit → rejected, not locked', async () => {
    const l = lockout();
    expect(await l.fail('a@x.io', '1.1.1.1')).toEqual({ outcome: 'rejected', locked: false });
  });

  it('the failure that reaches AXES_FAILURE_LIMIT → rejected and locked', async () => {
    const l = lockout();
    await l.fail('a@x.io', '1.1.1.1');
    await l.fail('a@x.io', '1.1.1.1');
    expect(await l.fail('a@x.io', '1.1.1.1')).toEqual({ outcome: 'rejected', locked: true });
  });

  it('a locked account with the right password → locked, and the password is not checked', async () => {
    const l = lockout();
    for (let i = 0; i < 3; i++) await l.fail('a@x.io', '1.1.1.1');
    const verify = jest.fn(() => Promise.resolve('user'));
    expect(await l.service.attempt('a@x.io', '1.1.1.1', verify)).toEqual({ outcome: 'locked' });
    expect(verify).not.toHaveBeenCalled();
  });

  it('failures from several IPs add up for one username', async () => {
    const l = lockout();
    await l.fail('a@x.io', '1.1.1.1');
    await l.fail('a@x.io', '2.2.2.2');
    await l.fail('a@x.io', '3.3.3.3');
    expect(await l.succeed('a@x.io', '4.4.4.4')).toEqual({ outcome: 'locked' });
  });

  it('usernames differing only in case are one username', async () => {
    const l = lockout();
    await l.fail('A@x.io', '1.1.1.1');
    await l.fail('a@X.io', '1.1.1.1');
    await l.fail('a@x.IO', '1.1.1.1');
    expect(await l.service.isLocked('a@x.io', '1.1.1.1')).toBe(true);
  });

  it('a success between failures does not reset them (AXES_RESET_ON_SUCCESS off)', async () => {
    const l = lockout();
    await l.fail('a@x.io', '1.1.1.1');
    await l.fail('a@x.io', '1.1.1.1');
    expect((await l.succeed('a@x.io', '1.1.1.1')).outcome).toBe('accepted');
    expect(await l.fail('a@x.io', '1.1.1.1')).toEqual({ outcome: 'rejected', locked: true });
  });
});

describe('LoginLockoutService cool-off (AXES_COOLOFF_TIME=15)', () => {
  async function locked() {
    const l = lockout();
    for (let i = 0; i < 3; i++) await l.fail('a@x.io', '1.1.1.1');
    return l;
  }

  it('14 minutes after the last failure → still locked', async () => {
    const l = await locked();
    l.advance(14 * MINUTE);
    expect((await l.succeed('a@x.io', '1.1.1.1')).outcome).toBe('locked');
  });

  it('1 ms before the cool-off ends → still locked', async () => {
    const l = await locked();
    l.advance(15 * MINUTE - 1);
    expect((await l.succeed('a@x.io', '1.1.1.1')).outcome).toBe('locked');
  });

  it('exactly 15 minutes after the last failure → the lock has expired', async () => {
    const l = await locked();
    l.advance(15 * MINUTE);
    expect((await l.succeed('a@x.io', '1.1.1.1')).outcome).toBe('accepted');
  });

  it('the cool-off runs from the last failure, not the first', async () => {
    const l = lockout();
    await l.fail('a@x.io', '1.1.1.1');
    l.advance(10 * MINUTE);
    await l.fail('a@x.io', '1.1.1.1');
    l.advance(10 * MINUTE);
    await l.fail('a@x.io', '1.1.1.1');
    l.advance(14 * MINUTE);
    expect((await l.succeed('a@x.io', '1.1.1.1')).outcome).toBe('locked');
  });

  it('after the cool-off failures count again from 1: one new failure does not re-lock', async () => {
    const l = await locked();
    l.advance(16 * MINUTE);
    expect(await l.fail('a@x.io', '1.1.1.1')).toEqual({ outcome: 'rejected', locked: false });
    expect(await l.service.failuresFor('a@x.io')).toBe(1);
  });

  it('failuresFor counts only failures within the cool-off', async () => {
    const l = await locked();
    expect(await l.service.failuresFor('A@X.IO')).toBe(3);
    l.advance(15 * MINUTE);
    expect(await l.service.failuresFor('a@x.io')).toBe(0);
  });
});

describe('LoginLockoutService without a cool-off (AXES_COOLOFF_TIME=0)', () => {
  it('a lock recorded a year ago still holds', async () => {
    const l = lockout({ limit: 2, cooloff: 0 });
    await l.fail('a@x.io', '1.1.1.1');
    await l.fail('a@x.io', '1.1.1.1');
    l.advance(525_600 * MINUTE);
    expect((await l.succeed('a@x.io', '9.9.9.9')).outcome).toBe('locked');
  });
});

describe('LoginLockoutService by IP (AXES_ONLY_USER_FAILURES)', () => {
  it('true: failures from one IP against other accounts do not lock a victim on that IP', async () => {
    const l = lockout({ onlyUser: true });
    for (let i = 0; i < 4; i++) await l.fail(`nobody-${i}@x.io`, '1.1.1.1');
    expect((await l.succeed('victim@x.io', '1.1.1.1')).outcome).toBe('accepted');
  });

  it('false: an IP at the limit is locked for every account, and other IPs are not', async () => {
    const l = lockout({ limit: 2, onlyUser: false });
    await l.fail('nobody-1@x.io', '1.1.1.1');
    await l.fail('nobody-2@x.io', '1.1.1.1');
    expect((await l.succeed('victim@x.io', '1.1.1.1')).outcome).toBe('locked');
    expect((await l.succeed('victim@x.io', '2.2.2.2')).outcome).toBe('accepted');
  });
});

describe('LoginLockoutService.unlock', () => {
  it('a locked account after unlock → logs in, and unlock reports the records cleared', async () => {
    const l = lockout();
    await l.fail('a@x.io', '1.1.1.1');
    await l.fail('a@x.io', '1.1.1.1');
    await l.fail('a@x.io', '2.2.2.2');
    expect(await l.service.unlock('A@x.io')).toBe(2);
    expect((await l.succeed('a@x.io', '1.1.1.1')).outcome).toBe('accepted');
  });

  it('an account with no failures → nothing cleared', async () => {
    expect(await lockout().service.unlock('a@x.io')).toBe(0);
  });

  it('unlocking one username leaves the others locked', async () => {
    const l = lockout();
    for (let i = 0; i < 3; i++) await l.fail('a@x.io', '1.1.1.1');
    for (let i = 0; i < 3; i++) await l.fail('b@x.io', '1.1.1.1');
    await l.service.unlock('a@x.io');
    expect(await l.service.isLocked('b@x.io', '1.1.1.1')).toBe(true);
  });
});
