import { afterFailure, countFailures, FailureCounts, FailureRecord } from './login-lockout';
import { LoginFailureStore } from './login-failures.repository';

/** LoginFailureStore in one process's memory, on a clock the caller controls (unit tests). */
export class InMemoryLoginFailures implements LoginFailureStore {
  private readonly records = new Map<string, FailureRecord>();

  constructor(private readonly clock: () => number = Date.now) {}

  countFailures(username: string, ip: string | null, cooloffMinutes: number | null): Promise<FailureCounts> {
    return Promise.resolve(countFailures(this.records.values(), username, ip, this.clock(), cooloffMinutes));
  }

  recordFailure(username: string, ip: string, cooloffMinutes: number | null): Promise<void> {
    const key = JSON.stringify([username, ip]);
    this.records.set(key, afterFailure(this.records.get(key), username, ip, this.clock(), cooloffMinutes));
    return Promise.resolve();
  }

  clear(username: string): Promise<number> {
    let cleared = 0;
    for (const [key, record] of this.records) {
      if (record.username !== username) continue;
      this.records.delete(key);
      cleared++;
    }
    return Promise.resolve(cleared);
  }
}
