import { InMemoryThrottles } from './request-throttles.memory';
import { PRUNE_INTERVAL_MS, RequestThrottleService } from './request-throttle.service';

const rate = (requests: number, seconds: number) => ({ requests, seconds, text: `${requests}/${seconds}s` });

function throttles() {
  let now = Date.UTC(2024, 0, 1, 12);
  const store = new InMemoryThrottles(() => now);
  return { store, service: new RequestThrottleService(store), advance: (ms: number) => (now += ms) };
}

describe('RequestThrottleService.hit', () => {
  it('no rate configured → always allowed, nothing stored', async () => {
    const t = throttles();
    for (let i = 0; i < 100; i++)
      expect(await t.service.hit('user', '1', undefined)).toEqual({ allowed: true });
    expect(t.store.size).toBe(0);
  });

  it('4/min: the 5th request from one ident → refused with the wait; another ident → allowed', async () => {
    const t = throttles();
    const verdicts = [];
    for (let i = 0; i < 5; i++) verdicts.push(await t.service.hit('login', '1.1.1.1', rate(4, 60)));
    expect(verdicts.map((v) => v.allowed)).toEqual([true, true, true, true, false]);
    expect(verdicts[4]).toEqual({ allowed: false, retryAfterSeconds: 60 });
    expect(await t.service.hit('login', '2.2.2.2', rate(4, 60))).toEqual({ allowed: true });
  });

  it('scopes are counted apart: a used-up login rate does not throttle sign-ups of the same IP', async () => {
    const t = throttles();
    await t.service.hit('login', '1.1.1.1', rate(1, 60));
    expect((await t.service.hit('login', '1.1.1.1', rate(1, 60))).allowed).toBe(false);
    expect((await t.service.hit('signup', '1.1.1.1', rate(1, 60))).allowed).toBe(true);
  });

  it('window roll-over: a refused ident is allowed again once its oldest hit is one duration old', async () => {
    const t = throttles();
    await t.service.hit('user', '7', rate(2, 60));
    t.advance(30_000);
    await t.service.hit('user', '7', rate(2, 60));
    t.advance(29_999);
    expect(await t.service.hit('user', '7', rate(2, 60))).toEqual({
      allowed: false,
      retryAfterSeconds: 0.001,
    });
    t.advance(1);
    expect((await t.service.hit('user', '7', rate(2, 60))).allowed).toBe(true);
    // The second hit is still in the window: the next one waits for it.
    expect(await t.service.hit('user', '7', rate(2, 60))).toEqual({ allowed: false, retryAfterSeconds: 30 });
  });

  it('idents longer than 128 characters are counted by their first 128', async () => {
    const t = throttles();
    const long = 'x'.repeat(128);
    await t.service.hit('user', `${long}a`, rate(1, 60));
    expect((await t.service.hit('user', `${long}b`, rate(1, 60))).allowed).toBe(false);
  });
});

describe('RequestThrottleService pruning', () => {
  afterEach(() => jest.useRealTimers());

  it('prunes expired logs at most once per PRUNE_INTERVAL_MS per instance', async () => {
    jest.useFakeTimers({ now: Date.UTC(2024, 0, 1), doNotFake: ['nextTick', 'setImmediate'] });
    const t = throttles();
    await t.service.hit('user', '1', rate(1, 1));
    expect(t.store.prunes).toBe(0);
    jest.setSystemTime(Date.now() + PRUNE_INTERVAL_MS);
    await t.service.hit('user', '1', rate(1, 1));
    await t.service.hit('user', '1', rate(1, 1));
    expect(t.store.prunes).toBe(1);
  });

  it('a failing prune does not fail the request', async () => {
    jest.useFakeTimers({ now: Date.UTC(2024, 0, 1), doNotFake: ['nextTick', 'setImmediate'] });
    const t = throttles();
    t.store.pruneExpired = () => Promise.reject(new Error('database down'));
    jest.setSystemTime(Date.now() + PRUNE_INTERVAL_MS);
    expect(await t.service.hit('user', '1', rate(1, 60))).toEqual({ allowed: true });
  });
});
