/**
 * The time a rule is judged at, injectable so that expiry and replay rules are tested in milliseconds
 * (a service spec or an e2e test moves `now` instead of sleeping). Epoch milliseconds, as Date.now().
 */
export interface Clock {
  now(): number;
}

export const CLOCK = Symbol('Clock');

/** A clock reading the system time (a new object per provider, so a test may move one app's clock alone). */
export const systemClock = (): Clock => ({ now: () => Date.now() });
