import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  DataSource,
  EntityManager,
  EntitySubscriberInterface,
  QueryRunner,
  TransactionCommitEvent,
} from 'typeorm';

import { ENVIRONMENT_CHANGED_CHANNEL, IDENTITY_CHANGED_CHANNEL } from '../changes/channels';

/** The channels other instances LISTEN on (through the change feed, src/changes). */
export { ENVIRONMENT_CHANGED_CHANNEL, IDENTITY_CHANGED_CHANNEL };

export interface EnvironmentChange {
  /** Ids of the changed environments (ascending). */
  readonly environmentIds: number[];
  /** Their client api_keys (what SDK caches are keyed by, with the server keys of the same environments). */
  readonly apiKeys: string[];
  /** False for notices that changed no evaluation data (a server key revoked, an environment deleted). */
  readonly bumped: boolean;
}

interface PendingBump {
  environmentIds: number[];
  projectIds: number[];
}

type Listener = (change: EnvironmentChange) => void;

export interface IdentityChange {
  readonly environmentId: number;
  /** null: every identity of the environment. */
  readonly identifiers: readonly string[] | null;
}

/** NOTIFY payloads are limited to 8000 bytes: a longer list is announced as "every identity". */
const MAX_IDENTITY_PAYLOAD_BYTES = 7000;

/** The NOTIFY payload for an identity change sent by the instance `origin`. */
export function identityChangePayload(origin: string, change: IdentityChange): string {
  const payload = JSON.stringify({ o: origin, e: change.environmentId, i: change.identifiers });
  return Buffer.byteLength(payload) <= MAX_IDENTITY_PAYLOAD_BYTES
    ? payload
    : JSON.stringify({ o: origin, e: change.environmentId, i: null });
}

/** Reads an identity change payload; undefined when unreadable. `origin` is the sending instance. */
export function readIdentityChange(payload: string): (IdentityChange & { origin: string }) | undefined {
  try {
    const parsed = JSON.parse(payload) as { o?: unknown; e?: unknown; i?: unknown } | null;
    if (!parsed || typeof parsed.e !== 'number') return undefined;
    const identifiers = Array.isArray(parsed.i)
      ? parsed.i.filter((i): i is string => typeof i === 'string')
      : null;
    return { origin: typeof parsed.o === 'string' ? parsed.o : '', environmentId: parsed.e, identifiers };
  } catch {
    return undefined;
  }
}

/**
 * THE place every write that can alter flag evaluation reports itself, inside its transaction. Services do not
 * call it: they record `tx.environmentsChanged([id])` (or projectChanged, identitiesChanged, …) in
 * `uow.run(async (tx) => …)`, and UnitOfWork (src/common/unit-of-work.ts) hands the records here at the end of
 * the work, with its manager.
 *
 * It bumps `environments.updated_at` (X-Flagsmith-Document-Updated-At, Last-Modified) in that same transaction
 * (just before its COMMIT, rows locked in id order),
 * and once the transaction commits it emits the change in-process (`onChange(listener)`) and through
 * `pg_notify('flagport_environment_changed', …)` (NOTIFY is delivered on commit only) so that other instances can
 * drop their caches. Outside a transaction (manager without an active transaction) both happen at once.
 * `keysChanged` / `environmentsDeleted` only notify (no bump): use them when key validity or existence changed.
 *
 * Identity data that is not part of the environment (traits, identities themselves) is reported with
 * `identityChanged(manager, environmentId, identifier)` / `identitiesChanged(…)` instead: no bump, the SDK identity
 * caches of every instance drop those identities (in-process after commit, `flagport_identity_changed` for others).
 */
@Injectable()
export class EnvironmentChangesService implements OnModuleInit, EntitySubscriberInterface {
  private readonly logger = new Logger('EnvironmentChanges');
  private readonly events = new EventEmitter();
  private readonly pending = new WeakMap<QueryRunner, EnvironmentChange[]>();
  private readonly pendingIdentities = new WeakMap<QueryRunner, IdentityChange[]>();
  private readonly pendingBumps = new WeakMap<QueryRunner, PendingBump>();
  /** This instance, in identity NOTIFY payloads (its own notifications need no handling). */
  readonly instanceId = randomUUID();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.events.setMaxListeners(0);
  }

  onModuleInit(): void {
    if (!this.dataSource.subscribers.includes(this)) this.dataSource.subscribers.push(this);
  }

  /** Subscribe to committed identity changes made by this instance; returns an unsubscribe function. */
  onIdentityChange(listener: (change: IdentityChange) => void): () => void {
    this.events.on('identity', listener);
    return () => this.events.off('identity', listener);
  }

  /**
   * An identity's traits changed, or it was created, renamed or deleted (call with the old and the new identifier
   * on a rename). No environment bump.
   */
  async identityChanged(manager: EntityManager, environmentId: number, identifier: string): Promise<void> {
    await this.identitiesChanged(manager, environmentId, [identifier]);
  }

  /** Several identities of one environment changed; `null` = possibly all of them (e.g. a trait key deleted). */
  async identitiesChanged(
    manager: EntityManager,
    environmentId: number,
    identifiers: readonly string[] | null,
  ): Promise<void> {
    if (identifiers !== null && identifiers.length === 0) return;
    const change: IdentityChange = {
      environmentId,
      identifiers: identifiers === null ? null : [...new Set(identifiers)],
    };
    await manager.query('SELECT pg_notify($1, $2)', [
      IDENTITY_CHANGED_CHANNEL,
      identityChangePayload(this.instanceId, change),
    ]);
    const runner = manager.queryRunner;
    if (runner?.isTransactionActive) {
      const list = this.pendingIdentities.get(runner) ?? [];
      list.push(change);
      this.pendingIdentities.set(runner, list);
    } else {
      this.emitIdentity(change);
    }
  }

  /** Subscribe to committed changes; returns an unsubscribe function. */
  onChange(listener: Listener): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  async environmentsChanged(manager: EntityManager, environmentIds: readonly number[]): Promise<void> {
    if (environmentIds.length === 0) return;
    await this.bump(manager, { environmentIds: [...environmentIds], projectIds: [] });
  }

  /** Every environment of the project (feature created/deleted, segment changed, project settings). */
  async projectChanged(manager: EntityManager, projectId: number): Promise<void> {
    await this.bump(manager, { environmentIds: [], projectIds: [projectId] });
  }

  /**
   * Inside a transaction the bump waits until just before COMMIT (beforeTransactionCommit): the environment rows
   * every write of a project contends for are then locked last, briefly, and in id order, so two writers can
   * never hold one and wait for the other (the deadlock between FeaturesService.create and projectChanged).
   */
  private async bump(manager: EntityManager, target: PendingBump): Promise<void> {
    const runner = manager.queryRunner;
    if (runner?.isTransactionActive) {
      const pending = this.pendingBumps.get(runner) ?? { environmentIds: [], projectIds: [] };
      pending.environmentIds.push(...target.environmentIds);
      pending.projectIds.push(...target.projectIds);
      this.pendingBumps.set(runner, pending);
      return;
    }
    await this.bumpNow(manager, target);
  }

  /**
   * Two statements on purpose. Locking and updating in one statement deadlocked under load: its UPDATE scans
   * with the statement's snapshot, so a row another writer bumped while this one waited for the lock is met
   * in its old version, and following that version to the newest took the old version's tuple lock, held by a
   * writer that waits for this one. The UPDATE below takes a new snapshot, in which every row is the version
   * this transaction already holds: it never waits.
   */
  private async bumpNow(manager: EntityManager, target: PendingBump): Promise<void> {
    const locked = await manager.query<{ id: number }[]>(
      `SELECT id FROM environments WHERE id = ANY($1) OR project_id = ANY($2) ORDER BY id FOR NO KEY UPDATE`,
      [[...new Set(target.environmentIds)], [...new Set(target.projectIds)]],
    );
    if (locked.length === 0) return;
    const rows = await manager.query<{ id: number; api_key: string }[]>(
      `WITH changed AS (
         UPDATE environments SET updated_at = clock_timestamp() WHERE id = ANY($1) RETURNING id, api_key
       )
       SELECT id, api_key FROM changed ORDER BY id`,
      [locked.map((r) => r.id)],
    );
    await this.announce(manager, rows, true);
  }

  async beforeTransactionCommit(event: TransactionCommitEvent): Promise<void> {
    if ((event.queryRunner as unknown as { transactionDepth: number }).transactionDepth > 1) return; // a savepoint is being released; bump at the real commit
    const pending = this.pendingBumps.get(event.queryRunner);
    if (!pending) return;
    this.pendingBumps.delete(event.queryRunner);
    await this.bumpNow(event.queryRunner.manager, pending);
  }

  /** Notify only: server-side keys of these environments changed (revoked, expired, deleted). */
  async keysChanged(manager: EntityManager, environmentIds: readonly number[]): Promise<void> {
    if (environmentIds.length === 0) return;
    const rows = await manager.query<{ id: number; api_key: string }[]>(
      `SELECT id, api_key FROM environments WHERE id = ANY($1)`,
      [[...new Set(environmentIds)]],
    );
    await this.announce(manager, rows, false);
  }

  /** Notify only, for environments about to be (or just) deleted: pass what is known about them. */
  async environmentsDeleted(
    manager: EntityManager,
    environments: readonly { id: number; apiKey: string }[],
  ): Promise<void> {
    await this.announce(
      manager,
      environments.map((e) => ({ id: e.id, api_key: e.apiKey })),
      false,
    );
  }

  private async announce(
    manager: EntityManager,
    rows: readonly { id: number; api_key: string }[],
    bumped: boolean,
  ): Promise<void> {
    if (rows.length === 0) return;
    const change: EnvironmentChange = {
      environmentIds: rows.map((r) => r.id),
      apiKeys: rows.map((r) => r.api_key),
      bumped,
    };
    await manager.query('SELECT pg_notify($1, $2)', [
      ENVIRONMENT_CHANGED_CHANNEL,
      JSON.stringify({ environment_ids: change.environmentIds, api_keys: change.apiKeys }),
    ]);
    const runner = manager.queryRunner;
    if (runner?.isTransactionActive) {
      const list = this.pending.get(runner) ?? [];
      list.push(change);
      this.pending.set(runner, list);
    } else {
      this.emit(change);
    }
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    if (event.queryRunner.isTransactionActive) return; // a savepoint was released; wait for the real commit
    const identities = this.pendingIdentities.get(event.queryRunner);
    if (identities) {
      this.pendingIdentities.delete(event.queryRunner);
      for (const change of identities) this.emitIdentity(change);
    }
    const list = this.pending.get(event.queryRunner);
    if (!list) return;
    this.pending.delete(event.queryRunner);
    for (const change of list) this.emit(change);
  }

  afterTransactionRollback(event: { queryRunner: QueryRunner }): void {
    if (!event.queryRunner.isTransactionActive) {
      this.pending.delete(event.queryRunner);
      this.pendingIdentities.delete(event.queryRunner);
      this.pendingBumps.delete(event.queryRunner);
    }
  }

  private emitIdentity(change: IdentityChange): void {
    try {
      this.events.emit('identity', change);
    } catch (err) {
      this.logger.error(
        `identity change listener failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  private emit(change: EnvironmentChange): void {
    try {
      this.events.emit('change', change);
    } catch (err) {
      this.logger.error(
        `environment change listener failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
}
