import { hitSlidingLog } from './sliding-log';

const rate = (requests: number, seconds: number) => ({ requests, seconds, text: `${requests}/${seconds}s` });
const T0 = Date.UTC(2024, 0, 1, 12);

describe('hitSlidingLog', () => {
  it('an empty log → allowed, and the hit is logged', () => {
    expect(hitSlidingLog([], T0, rate(2, 60))).toEqual({ verdict: { allowed: true }, log: [T0] });
  });

  it('the Nth hit within the window → allowed; the N+1th → refused and not logged', () => {
    const first = hitSlidingLog([], T0, rate(2, 60));
    const second = hitSlidingLog(first.log, T0 + 1000, rate(2, 60));
    expect(second.verdict.allowed).toBe(true);
    const third = hitSlidingLog(second.log, T0 + 2000, rate(2, 60));
    expect(third).toEqual({ verdict: { allowed: false, retryAfterSeconds: 58 }, log: [T0, T0 + 1000] });
  });

  it('a refusal waits until the oldest hit leaves the window (DRF wait())', () => {
    const log = [T0 + 10_000, T0];
    const hit = hitSlidingLog(log, T0 + 30_500, rate(2, 60));
    expect(hit.verdict).toEqual({ allowed: false, retryAfterSeconds: 29.5 });
  });

  it('a hit exactly one duration old has left the window (roll-over)', () => {
    const hit = hitSlidingLog([T0, T0 + 1], T0 + 60_000, rate(2, 60));
    expect(hit).toEqual({ verdict: { allowed: true }, log: [T0 + 1, T0 + 60_000] });
  });

  it('a hit 1 ms younger than the duration still counts', () => {
    expect(hitSlidingLog([T0, T0], T0 + 59_999, rate(2, 60)).verdict.allowed).toBe(false);
  });

  it('a window that has fully rolled over → allowed, and the old hits are dropped', () => {
    expect(hitSlidingLog([T0, T0 + 1, T0 + 2], T0 + 3_600_000, rate(3, 60)).log).toEqual([T0 + 3_600_000]);
  });

  it('refused requests do not extend the wait: it still runs from the oldest allowed hit', () => {
    let log: readonly number[] = [T0];
    for (let i = 1; i <= 5; i++) log = hitSlidingLog(log, T0 + i * 1000, rate(1, 10)).log;
    expect(log).toEqual([T0]);
    expect(hitSlidingLog(log, T0 + 10_000, rate(1, 10)).verdict.allowed).toBe(true);
  });
});
