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
  readonly crossRegion: boolean;
  pool?: Pool;
  up: boolean;
  retryAt: number;
  error?: string;
}

export type ReplicaReadStrategy = 'DISTRIBUTED' | 'SEQUENTIAL';

/** application_name of each kind of connection, so an operator (and the tests) can tell them apart in pg_stat_activity. */
export const APPLICATION_NAMES = {
  primaryPool: 'flagport',
  replicaPool: 'flagport-replica',
  listen: 'flagport-listen',
  migrationsLock: 'flagport-migrations',
} as const;

export interface ReplicaRouterOptions {
  /** DISTRIBUTED (Flagsmith's default): random healthy replica; SEQUENTIAL: the first healthy one in order. */
  readonly strategy?: ReplicaReadStrategy;
  readonly poolSize: number;
  readonly connectTimeoutMs: number;
  /** How long a failed replica is skipped before it is tried again. */
  readonly retryAfterMs: number;
  readonly onChange?: (label: string, up: boolean, error?: string) => void;
}

/**
 * Makes TypeORM's read replicas fail-safe. Only `slave` query runners (ReplicaReads) come here: every other read
 * uses the primary (defaultMode 'master'). Replica pools are created lazily (an unreachable replica does not stop
 * startup); a read takes a healthy same-region replica (REPLICA_READ_STRATEGY), then a cross-region one, and when
 * none can give a connection it falls back to the primary instead of failing the request. A failed replica is
 * skipped for `retryAfterMs`. Every pool and checked-out client has an error listener: a replica that stops
 * (57P01 "terminating connection due to administrator command") must not crash the process.
 */
export class ReplicaRouter {
  private readonly replicas: ReplicaState[];
  /** Which replica a checked-out client belongs to (ReplicaReads marks it down when its query fails). */
  private readonly stateOf = new WeakMap<PoolClient, ReplicaState>();

  constructor(
    replicas: readonly PostgresTarget[],
    private readonly options: ReplicaRouterOptions,
  ) {
    // Same-region replicas first: cross-region ones are only tried after all of them.
    this.replicas = [
      ...replicas.filter((t) => !t.crossRegion),
      ...replicas.filter((t) => t.crossRegion === true),
    ].map((target) => ({ target, crossRegion: target.crossRegion === true, up: true, retryAt: 0 }));
  }

  get configured(): boolean {
    return this.replicas.length > 0;
  }

  /** The replica a client checked out by a slave query runner came from; undefined for a primary client. */
  replicaOf(client: unknown): string | undefined {
    return this.stateOf.get(client as PoolClient)?.target.label;
  }

  /** A replica whose connection failed during a read: skip it for its back-off. */
  reportFailure(client: unknown, err: unknown): void {
    const state = this.stateOf.get(client as PoolClient);
    if (state) this.markDown(state, err);
  }

  /** The order to try replicas in for one read: same-region by strategy, then cross-region by strategy. */
  private candidates(): ReplicaState[] {
    const order = (states: ReplicaState[]) =>
      this.options.strategy === 'SEQUENTIAL' ? states : shuffle(states);
    return [
      ...order(this.replicas.filter((s) => !s.crossRegion)),
      ...order(this.replicas.filter((s) => s.crossRegion)),
    ];
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
        application_name: APPLICATION_NAMES.replicaPool,
      });
      // An idle client dropped by a stopped replica must not crash the process.
      pool.on('error', (err) => this.markDown(state, err));
      // Nor one checked out between queries (pg-pool removes its idle listener while a client is out).
      pool.on('connect', (client) => client.on('error', (err) => this.markDown(state, err)));
      state.pool = pool;
      return pool;
    };
    driver.obtainSlaveConnection = async () => {
      for (const state of this.candidates()) {
        if (!state.pool || (!state.up && Date.now() < state.retryAt)) continue;
        try {
          const connection = await connect(state.pool);
          this.stateOf.set(connection[0], state);
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

function shuffle<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
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
