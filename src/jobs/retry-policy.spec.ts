import { afterFailure, backoffDelayMs, RetryPolicy } from './retry-policy';

const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 5000 };
const now = new Date('2026-01-01T00:00:00.000Z');

describe('job retry policy', () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [4, 5000], // 8000 capped
    [60, 5000], // 2^59 × base: still the cap, never Infinity or NaN
  ])('back-off after %i failed attempts → %i ms', (failed, expected) => {
    expect(backoffDelayMs(failed, policy)).toBe(expected);
  });

  it('a failure before the last attempt → pending again after the back-off', () => {
    expect(afterFailure(2, policy, now)).toEqual({
      state: 'pending',
      runAt: new Date('2026-01-01T00:00:02.000Z'),
    });
  });

  it('the failure of the last attempt → failed for good', () => {
    expect(afterFailure(4, policy, now)).toEqual({ state: 'failed' });
    expect(afterFailure(5, policy, now)).toEqual({ state: 'failed' });
  });

  it('a policy of one attempt → the first failure is final', () => {
    expect(afterFailure(1, { ...policy, maxAttempts: 1 }, now)).toEqual({ state: 'failed' });
  });
});
