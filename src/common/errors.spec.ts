import { ThrottledException } from './errors';

describe('ThrottledException', () => {
  it.each([
    [0.2, 1, 'Request was throttled. Expected available in 1 second.'],
    [1, 1, 'Request was throttled. Expected available in 1 second.'],
    [41.3, 42, 'Request was throttled. Expected available in 42 seconds.'],
  ])('a wait of %d s says Retry-After %d and DRF’s detail', (wait, retryAfter, detail) => {
    const error = new ThrottledException(wait);
    expect(error.getStatus()).toBe(429);
    expect(error.retryAfterSeconds).toBe(retryAfter);
    expect(error.getResponse()).toEqual({ detail });
  });
});
