import {
  afterFailure,
  countFailures,
  FailureRecord,
  isLockedOut,
  lockoutPolicy,
  stillCounts,
} from './login-lockout';

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 0, 1, 12);
const record = (
  failures: number,
  lastFailureAt: number,
  username = 'a@x.io',
  ip = '1.1.1.1',
): FailureRecord => ({
  username,
  ip,
  failures,
  lastFailureAt,
});

describe('lockoutPolicy', () => {
  it('AXES_COOLOFF_TIME=0 → no cool-off (failures count until an unlock)', () => {
    expect(
      lockoutPolicy({ AXES_FAILURE_LIMIT: 3, AXES_COOLOFF_TIME: 0, AXES_ONLY_USER_FAILURES: true }),
    ).toEqual({ failureLimit: 3, cooloffMinutes: null, onlyUserFailures: true });
  });

  it('AXES_COOLOFF_TIME=15 → a 15-minute cool-off', () => {
    expect(
      lockoutPolicy({ AXES_FAILURE_LIMIT: 3, AXES_COOLOFF_TIME: 15, AXES_ONLY_USER_FAILURES: false })
        .cooloffMinutes,
    ).toBe(15);
  });
});

describe('stillCounts (cool-off boundary)', () => {
  const last = record(3, T0);
  it('a failure 1 ms younger than the cool-off still counts', () => {
    expect(stillCounts(last, T0 + 15 * MINUTE - 1, 15)).toBe(true);
  });
  it('a failure exactly as old as the cool-off has expired', () => {
    expect(stillCounts(last, T0 + 15 * MINUTE, 15)).toBe(false);
  });
  it('without a cool-off a failure a year old still counts', () => {
    expect(stillCounts(last, T0 + 525_600 * MINUTE, null)).toBe(true);
  });
});

describe('afterFailure', () => {
  it('a first failure starts the record at 1', () => {
    expect(afterFailure(undefined, 'a@x.io', '1.1.1.1', T0, 15)).toEqual(record(1, T0));
  });
  it('a failure within the cool-off adds one and moves the last-failure time', () => {
    expect(afterFailure(record(2, T0), 'a@x.io', '1.1.1.1', T0 + 14 * MINUTE, 15)).toEqual(
      record(3, T0 + 14 * MINUTE),
    );
  });
  it('a failure after the cool-off starts the record again from 1', () => {
    expect(afterFailure(record(9, T0), 'a@x.io', '1.1.1.1', T0 + 15 * MINUTE, 15)).toEqual(
      record(1, T0 + 15 * MINUTE),
    );
  });
  it('without a cool-off a failure a year later still adds to the record', () => {
    expect(afterFailure(record(9, T0), 'a@x.io', '1.1.1.1', T0 + 525_600 * MINUTE, null).failures).toBe(10);
  });
});

describe('countFailures', () => {
  const records = [
    record(2, T0, 'a@x.io', '1.1.1.1'),
    record(1, T0, 'a@x.io', '2.2.2.2'),
    record(4, T0, 'b@x.io', '1.1.1.1'),
    record(5, T0 - 20 * MINUTE, 'a@x.io', '3.3.3.3'),
  ];
  it('sums a username over every IP and an IP over every username, within the cool-off', () => {
    expect(countFailures(records, 'a@x.io', '1.1.1.1', T0, 15)).toEqual({ byUser: 3, byIp: 6 });
  });
  it('an IP of null counts the username only', () => {
    expect(countFailures(records, 'a@x.io', null, T0, 15)).toEqual({ byUser: 3, byIp: 0 });
  });
  it('without a cool-off expired records count too', () => {
    expect(countFailures(records, 'a@x.io', null, T0, null).byUser).toBe(8);
  });
});

describe('isLockedOut', () => {
  const userOnly = { failureLimit: 3, cooloffMinutes: 15, onlyUserFailures: true };
  it('a username below the limit is not locked', () => {
    expect(isLockedOut({ byUser: 2, byIp: 0 }, userOnly)).toBe(false);
  });
  it('a username at the limit is locked', () => {
    expect(isLockedOut({ byUser: 3, byIp: 0 }, userOnly)).toBe(true);
  });
  it('with AXES_ONLY_USER_FAILURES an IP at the limit does not lock', () => {
    expect(isLockedOut({ byUser: 0, byIp: 99 }, userOnly)).toBe(false);
  });
  it('without AXES_ONLY_USER_FAILURES an IP at the limit locks', () => {
    expect(isLockedOut({ byUser: 0, byIp: 3 }, { ...userOnly, onlyUserFailures: false })).toBe(true);
  });
});
