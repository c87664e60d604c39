import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config';
import { isLockedOut, LockoutPolicy, lockoutPolicy, normaliseUsername } from './login-lockout';
import { LOGIN_FAILURE_STORE, LoginFailureStore } from './login-failures.repository';

export const LOCKED_OUT_DETAIL =
  'Account locked: too many login attempts. Try again later or contact an admin to unlock.';

/** How a password sign-in went, as far as the lockout is concerned. */
export type LoginAttempt<T> =
  /** Refused before the password was checked: the username or IP is locked out. */
  | { readonly outcome: 'locked' }
  /** Wrong credentials, recorded; `locked` when this failure reached the limit. */
  | { readonly outcome: 'rejected'; readonly locked: boolean }
  | { readonly outcome: 'accepted'; readonly value: T };

/**
 * django-axes behaviour: failed logins are counted per (username, IP). Once AXES_FAILURE_LIMIT failures are
 * recorded for a username (or, with AXES_ONLY_USER_FAILURES=false, also for an IP), every login for it is
 * refused, even with the right password. Failures older than AXES_COOLOFF_TIME minutes no longer count (axes'
 * cool-off; a record whose last failure is that old starts again from 1), so nobody can lock an account forever;
 * 0 keeps axes' "no cool-off": locked until an admin unlocks (admin panel, `cli unlock-user`) or the user resets
 * their password. Successful logins do not clear failures (AXES_RESET_ON_SUCCESS is off in Flagsmith). The rules
 * are in login-lockout.ts; the store (login_failures, shared by every instance) in login-failures.repository.ts.
 */
@Injectable()
export class LoginLockoutService {
  private readonly policy: LockoutPolicy;

  constructor(
    @Inject(LOGIN_FAILURE_STORE) private readonly store: LoginFailureStore,
    @Inject(APP_CONFIG)
    config: Pick<AppConfig, 'AXES_FAILURE_LIMIT' | 'AXES_COOLOFF_TIME' | 'AXES_ONLY_USER_FAILURES'>,
  ) {
    this.policy = lockoutPolicy(config);
  }

  /**
   * One password sign-in: refused while locked out; otherwise `verify` runs (null = wrong credentials, which is
   * recorded as a failure). The caller decides what each outcome answers.
   */
  async attempt<T>(username: string, ip: string, verify: () => Promise<T | null>): Promise<LoginAttempt<T>> {
    if (await this.isLocked(username, ip)) return { outcome: 'locked' };
    const value = await verify();
    if (value !== null) return { outcome: 'accepted', value };
    await this.store.recordFailure(normaliseUsername(username), ip, this.policy.cooloffMinutes);
    return { outcome: 'rejected', locked: await this.isLocked(username, ip) };
  }

  async isLocked(username: string, ip: string): Promise<boolean> {
    const counts = await this.store.countFailures(
      normaliseUsername(username),
      ip,
      this.policy.cooloffMinutes,
    );
    return isLockedOut(counts, this.policy);
  }

  /**
   * Clears every failure recorded for the username; returns how many (username, IP) records there were.
   * `manager`: as a step of the caller's unit of work (an audited unlock).
   */
  unlock(username: string, manager?: EntityManager): Promise<number> {
    return this.store.clear(normaliseUsername(username), manager);
  }

  /** Failures that currently count against the username (within the cool-off). */
  async failuresFor(username: string): Promise<number> {
    const counts = await this.store.countFailures(
      normaliseUsername(username),
      null,
      this.policy.cooloffMinutes,
    );
    return counts.byUser;
  }
}
