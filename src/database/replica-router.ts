import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { PostgresTarget } from '../config';

type Release = (err?: unknown) => void;
type Connection = [PoolClient, Release];

/** The parts of TypeORM's PostgresDriver this router replaces (stable across typeorm 0.3.x). */
interface PostgresDriverInternals {
  options: { replication?: { master: unknown } };
  postgres: { Pool: new (config: object) => Pool };
  createPool(options: unknown, credentials: unknown): Promise<Pool>;
  obtainSlaveConnection(): Promise<Connection>;
  obtainMasterConnection(): Promise<Connection>;
}

export interface ReplicaStatus {
  readonly label: string;
  readonly up: boolean;
  readonly error?: string;
}

interface ReplicaState {
  readonly target: PostgresTarget;
  pool?: Pool;
  up: boolean;
  retryAt: number;
  error?: string;
}

export interface ReplicaRouterOptions {
  readonly poolSize: number;
  readonly connectTimeoutMs: number;
  /** How long a failed replica is skipped before it is tried again. */
  readonly retryAfterMs: number;
  readonly onChange?: (label: string, up: boolean, error?: string) => void;
}

/**
 * Makes TypeORM's read replicas fail-safe: replica pools are created lazily (an unreachable replica does not
 * stop startup), reads rotate over healthy replicas, and when none can give a connection the read falls back
 * to the primary instead of failing the request. A failed replica is retried after `retryAfterMs`.
 */
export class ReplicaRouter {
  private readonly replicas: ReplicaState[];
  private next = 0;

  constructor(
    replicas: readonly PostgresTarget[],
    private readonly options: ReplicaRouterOptions,
  ) {
    this.replicas = replicas.map((target) => ({ target, up: true, retryAt: 0 }));
  }

  /** Call between `new DataSource()` and `initialize()`. */
  install(dataSource: DataSource): void {
    if (this.replicas.length === 0) return;
    const driver = dataSource.driver as unknown as PostgresDriverInternals;
    const originalCreatePool = driver.createPool.bind(driver);
    let slaveIndex = 0;
    driver.createPool = async (options, credentials) => {
      if (credentials === driver.options.replication?.master) return originalCreatePool(options, credentials);
      const state = this.replicas[slaveIndex++];
      const pool = new driver.postgres.Pool({
        connectionString: state.target.url,
        max: this.options.poolSize,
        connectionTimeoutMillis: this.options.connectTimeoutMs,
        application_name: 'flagport-replica',
      });
      // An idle client dropped by a stopped replica must not crash the process.
      pool.on('error', (err) => this.markDown(state, err));
      state.pool = pool;
      return pool;
    };
    driver.obtainSlaveConnection = async () => {
      for (let attempt = 0; attempt < this.replicas.length; attempt++) {
        const state = this.replicas[this.next++ % this.replicas.length];
        if (!state.pool || (!state.up && Date.now() < state.retryAt)) continue;
        try {
          const connection = await connect(state.pool);
          this.markUp(state);
          return connection;
        } catch (err) {
          this.markDown(state, err);
        }
      }
      return driver.obtainMasterConnection();
    };
  }

  /** Runs `SELECT 1` on every replica (for readiness) and returns their state. */
  async check(timeoutMs: number): Promise<ReplicaStatus[]> {
    await Promise.all(
      this.replicas.map(async (state) => {
        if (!state.pool) return;
        try {
          await withTimeout(
            (async () => {
              const [client, release] = await connect(state.pool!);
              try {
                await client.query('SELECT 1');
                release();
              } catch (err) {
                release(err);
                throw err;
              }
            })(),
            timeoutMs,
          );
          this.markUp(state);
        } catch (err) {
          this.markDown(state, err);
        }
      }),
    );
    return this.status();
  }

  status(): ReplicaStatus[] {
    return this.replicas.map((s) => ({
      label: s.target.label,
      up: s.up,
      ...(s.error ? { error: s.error } : {}),
    }));
  }

  private markUp(state: ReplicaState): void {
    if (state.up && !state.error) return;
    state.up = true;
    state.error = undefined;
    this.options.onChange?.(state.target.label, true);
  }

  private markDown(state: ReplicaState, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const wasUp = state.up;
    state.up = false;
    state.error = message;
    state.retryAt = Date.now() + this.options.retryAfterMs;
    if (wasUp) this.options.onChange?.(state.target.label, false, message);
  }
}

function connect(pool: Pool): Promise<Connection> {
  return new Promise((resolve, reject) => {
    pool.connect((err, client, release) => {
      if (err || !client) reject(err ?? new Error('no client'));
      else resolve([client, release]);
    });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
