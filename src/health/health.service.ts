import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CacheHealthRegistry } from '../cache/cache-health';
import { ReplicaRouter } from '../database/replica-router';

const CHECK_TIMEOUT_MS = 1500;

/** The readiness checks: primary database, each read replica, and that no migration is pending. */
@Injectable()
export class HealthService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly replicas: ReplicaRouter,
    private readonly indicators: HealthIndicatorService,
    private readonly caches: CacheHealthRegistry,
  ) {}

  async primary(): Promise<HealthIndicatorResult> {
    const check = this.indicators.check('database');
    try {
      await withTimeout(this.dataSource.query('SELECT 1'), CHECK_TIMEOUT_MS);
      return check.up();
    } catch (err) {
      return check.down({ message: errorMessage(err) });
    }
  }

  /**
   * Read replicas. A failing replica never fails readiness (its reads go to the primary, so taking the instance
   * out of service would only fail requests): always "up", with `state: "degraded"` naming the failing replica.
   */
  async replicaDatabases(): Promise<HealthIndicatorResult> {
    const check = this.indicators.check('replicas');
    const statuses = await this.replicas.check(CHECK_TIMEOUT_MS);
    const details = Object.fromEntries(
      statuses.map((s) => [s.label, s.up ? 'up' : `down: ${s.error ?? 'unreachable'}`]),
    );
    return check.up({ state: statuses.every((s) => s.up) ? 'ok' : 'degraded', ...details });
  }

  /**
   * Shared caches (memcached). A failing cache never fails readiness — requests are served from the database —
   * so this is always "up", with `state: "degraded"` and the failing caches named. Each memcached is probed (one
   * round trip, at most 300 ms), so the state follows memcached without waiting for a request to use it.
   */
  async cache(): Promise<HealthIndicatorResult> {
    const check = this.indicators.check('cache');
    const statuses = await this.caches.probe();
    const caches = Object.fromEntries(
      statuses.map((s) => [
        s.name,
        s.healthy ? `${s.backend}: ok` : `${s.backend}: degraded (${s.error ?? 'failing'})`,
      ]),
    );
    return check.up({ state: statuses.every((s) => s.healthy) ? 'ok' : 'degraded', caches });
  }

  async migrations(): Promise<HealthIndicatorResult> {
    const check = this.indicators.check('migrations');
    try {
      const pending = await withTimeout(this.dataSource.showMigrations(), CHECK_TIMEOUT_MS);
      return pending ? check.down({ message: 'migrations are pending: run `npm run migrate`' }) : check.up();
    } catch (err) {
      return check.down({ message: errorMessage(err) });
    }
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
