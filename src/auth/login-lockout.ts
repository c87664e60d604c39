/**
 * django-axes' lockout rules as pure functions over plain records, `now` in epoch milliseconds. The PostgreSQL
 * repository applies the same rules in SQL (so that every instance shares them); the in-memory store applies
 * these functions, and the unit tests pin both the rules and the service on it.
 */

export interface LockoutPolicy {
  /** AXES_FAILURE_LIMIT: failures that lock. */
  readonly failureLimit: number;
  /** AXES_COOLOFF_TIME in minutes, or null for no cool-off (failures count until an unlock). */
  readonly cooloffMinutes: number | null;
  /** AXES_ONLY_USER_FAILURES: false also locks an IP that reached the limit, for every username. */
  readonly onlyUserFailures: boolean;
}

export interface LockoutSettings {
  readonly AXES_FAILURE_LIMIT: number;
  readonly AXES_COOLOFF_TIME: number;
  readonly AXES_ONLY_USER_FAILURES: boolean;
}

export function lockoutPolicy(settings: LockoutSettings): LockoutPolicy {
  return {
    failureLimit: settings.AXES_FAILURE_LIMIT,
    cooloffMinutes: settings.AXES_COOLOFF_TIME > 0 ? settings.AXES_COOLOFF_TIME : null,
    onlyUserFailures: settings.AXES_ONLY_USER_FAILURES,
  };
}

/** axes' AccessAttempt: failures of one username from one IP, and when the last one happened. */
export interface FailureRecord {
  readonly username: string;
  readonly ip: string;
  readonly failures: number;
  readonly lastFailureAt: number;
}

/** Failures that count now, for a username and for an IP. */
export interface FailureCounts {
  readonly byUser: number;
  readonly byIp: number;
}

/** Usernames are counted case-insensitively (the email as typed, lower-cased). */
export const normaliseUsername = (username: string): string => username.toLowerCase();

/** A record still counts while its last failure is younger than the cool-off (exactly as old: expired). */
export function stillCounts(record: FailureRecord, now: number, cooloffMinutes: number | null): boolean {
  return cooloffMinutes === null || record.lastFailureAt > now - cooloffMinutes * 60_000;
}

/** The record after one more failure: an expired record starts again from 1. */
export function afterFailure(
  record: FailureRecord | undefined,
  username: string,
  ip: string,
  now: number,
  cooloffMinutes: number | null,
): FailureRecord {
  const failures = record && stillCounts(record, now, cooloffMinutes) ? record.failures + 1 : 1;
  return { username, ip, failures, lastFailureAt: now };
}

/** Sums the failures that count now for `username` and for `ip` (null: the username only). */
export function countFailures(
  records: Iterable<FailureRecord>,
  username: string,
  ip: string | null,
  now: number,
  cooloffMinutes: number | null,
): FailureCounts {
  let byUser = 0;
  let byIp = 0;
  for (const record of records) {
    if (!stillCounts(record, now, cooloffMinutes)) continue;
    if (record.username === username) byUser += record.failures;
    if (ip !== null && record.ip === ip) byIp += record.failures;
  }
  return { byUser, byIp };
}

export function isLockedOut(counts: FailureCounts, policy: LockoutPolicy): boolean {
  if (counts.byUser >= policy.failureLimit) return true;
  return !policy.onlyUserFailures && counts.byIp >= policy.failureLimit;
}
