import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { AuditLog as AuditLogRecord } from '../audit/audit-log.entity';
import type { AuditEntry, AuditService } from '../audit/audit.service';
import type { EnvironmentChangesService } from '../environments/environment-changes.service';
import { writeTransaction } from '../transaction/transaction';

/**
 * THE write path of the management services (docs/management-layer.md). A service writes
 *
 *   return this.uow.run(async (tx) => {
 *     const saved = await this.projects.save(tx.manager, …);
 *     tx.projectChanged(saved.id);                      // what the write changed, for caches and SSE
 *     tx.audit({ log: `Project updated: ${saved.name}`, … });
 *     return saved;
 *   });
 *
 * and `run` owns the rest: one transaction on the primary, run again whole on a deadlock or serialization failure
 * (writeTransaction); the change events, deduplicated, handed to EnvironmentChangesService at the end of the work
 * (which bumps environments just before COMMIT, in id order, and notifies after it); the audit records, written in
 * the same transaction; the jobs it enqueued, inserted in the same transaction too. A write that records no audit entry is refused (the transaction rolls back) unless run
 * with `{ unaudited: 'why' }`, so no step can be forgotten silently.
 */
export interface WriteContext {
  /** The transaction's manager: pass it to repository methods. */
  readonly manager: EntityManager;
  /** These environments' flags may have changed (bumps updated_at, drops SDK caches, wakes SSE streams). */
  environmentsChanged(environmentIds: readonly number[]): void;
  /** Every environment of the project may have changed. */
  projectChanged(projectId: number): void;
  /** Identities' traits or existence changed (no environment bump); null: possibly every identity. */
  identitiesChanged(environmentId: number, identifiers: readonly string[] | null): void;
  /** Notify only: these environments are being deleted (known ids and client keys). */
  environmentsDeleted(environments: readonly { id: number; apiKey: string }[]): void;
  /** Notify only: server-side keys of these environments were revoked, expired or deleted (no bump). */
  serverKeysChanged(environmentIds: readonly number[]): void;
  /** One line of the audit log, written in this transaction. */
  audit(entry: AuditEntry): void;
  /**
   * A job for the durable queue (src/jobs), inserted in this transaction: a rolled-back write enqueues nothing, a
   * committed one is never lost. `kind` names the handler; the payload is stored as JSON.
   */
  enqueue(kind: string, payload: JobPayload): void;
}

/** What a job carries: plain JSON (it is stored as jsonb and read back by another process). */
export type JobPayload = { readonly [key: string]: unknown };

/** One job a unit of work enqueued. */
export interface EnqueuedJob {
  readonly kind: string;
  readonly payload: JobPayload;
}

export interface RunOptions {
  /** Why this write has no audit record (e.g. "last_login is not audited, as in Flagsmith"). */
  readonly unaudited?: string;
}

/** What one attempt of a unit of work recorded; `flush` hands it on. Shared by the real and the fake unit. */
export class WriteRecord {
  readonly environmentIds = new Set<number>();
  readonly projectIds = new Set<number>();
  readonly identities = new Map<number, Set<string> | null>();
  readonly deletedEnvironments = new Map<number, string>();
  readonly serverKeyEnvironmentIds = new Set<number>();
  readonly auditEntries: AuditEntry[] = [];
  readonly jobs: EnqueuedJob[] = [];

  context(manager: EntityManager): WriteContext {
    return {
      manager,
      environmentsChanged: (ids) => ids.forEach((id) => this.environmentIds.add(id)),
      projectChanged: (id) => void this.projectIds.add(id),
      identitiesChanged: (environmentId, identifiers) => {
        const known = this.identities.get(environmentId);
        if (identifiers === null || known === null) this.identities.set(environmentId, null);
        else this.identities.set(environmentId, new Set([...(known ?? []), ...identifiers]));
      },
      environmentsDeleted: (environments) =>
        environments.forEach((e) => this.deletedEnvironments.set(e.id, e.apiKey)),
      serverKeysChanged: (ids) => ids.forEach((id) => this.serverKeyEnvironmentIds.add(id)),
      audit: (entry) => void this.auditEntries.push(entry),
      enqueue: (kind, payload) => void this.jobs.push({ kind, payload }),
    };
  }

  /** Throws when the work wrote without an audit record and did not say why. */
  assertAudited(options: RunOptions): void {
    if (this.auditEntries.length === 0 && !options.unaudited)
      throw new Error(
        'a unit of work wrote without tx.audit(...); pass { unaudited: reason } if that is meant',
      );
  }
}

/**
 * Injection tokens for what a unit of work hands its records to (AuditService, EnvironmentChangesService; bound
 * in CoreModule). Tokens rather than classes so `common` depends on no domain folder at run time.
 */
export const AUDIT_LOG = Symbol('UnitOfWork.auditLog');
export const ENVIRONMENT_CHANGES = Symbol('UnitOfWork.environmentChanges');
export const JOB_QUEUE = Symbol('UnitOfWork.jobQueue');
export const AUDIT_FOLLOWERS = Symbol('UnitOfWork.auditFollowers');

/**
 * The job kind enqueued for an audit record that someone follows (Flagsmith's AUDIT_LOG_CREATED webhooks, src/
 * webhooks): `{audit_log_id, organisation_id}`, in the transaction that writes the record.
 */
export const AUDIT_LOG_RECORDED = 'audit_log.recorded';

/** Which organisations follow their audit log (have an enabled organisation webhook); WebhooksRepository. */
export interface AuditFollowers {
  organisationsFollowing(manager: EntityManager, organisationIds: readonly number[]): Promise<Set<number>>;
}
/** For a unit of work outside the application (the CLI's first run): nobody follows. */
export const NO_AUDIT_FOLLOWERS: AuditFollowers = {
  organisationsFollowing: () => Promise.resolve(new Set()),
};
/** Inserts jobs with the given manager (so in its transaction); JobQueueRepository (src/jobs). */
export interface JobQueue {
  enqueue(manager: EntityManager, jobs: readonly EnqueuedJob[]): Promise<void>;
}
export type AuditLog = Pick<AuditService, 'record'>;
export type EnvironmentChanges = Pick<
  EnvironmentChangesService,
  'environmentsChanged' | 'projectChanged' | 'identitiesChanged' | 'environmentsDeleted' | 'keysChanged'
>;

@Injectable()
export class UnitOfWork {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(AUDIT_LOG) private readonly auditLog: AuditLog,
    @Inject(ENVIRONMENT_CHANGES) private readonly changes: EnvironmentChanges,
    @Inject(JOB_QUEUE) private readonly jobQueue: JobQueue,
    @Inject(AUDIT_FOLLOWERS) private readonly auditFollowers: AuditFollowers,
  ) {}

  run<T>(work: (tx: WriteContext) => Promise<T>, options: RunOptions = {}): Promise<T> {
    return writeTransaction(this.dataSource, async (manager) => {
      const record = new WriteRecord(); // per attempt: a retried run starts clean
      const result = await work(record.context(manager));
      record.assertAudited(options);
      await this.flush(manager, record);
      return result;
    });
  }

  private async flush(manager: EntityManager, record: WriteRecord): Promise<void> {
    if (record.environmentIds.size)
      await this.changes.environmentsChanged(manager, [...record.environmentIds]);
    for (const projectId of record.projectIds) await this.changes.projectChanged(manager, projectId);
    for (const [environmentId, identifiers] of record.identities)
      await this.changes.identitiesChanged(manager, environmentId, identifiers && [...identifiers]);
    if (record.deletedEnvironments.size)
      await this.changes.environmentsDeleted(
        manager,
        [...record.deletedEnvironments].map(([id, apiKey]) => ({ id, apiKey })),
      );
    if (record.serverKeyEnvironmentIds.size)
      await this.changes.keysChanged(manager, [...record.serverKeyEnvironmentIds]);
    const audited: AuditLogRecord[] = [];
    for (const entry of record.auditEntries) audited.push(await this.auditLog.record(manager, entry));
    const jobs = [...record.jobs, ...(await this.auditJobs(manager, audited))];
    if (jobs.length) await this.jobQueue.enqueue(manager, jobs);
  }

  /**
   * AUDIT_LOG_RECORDED for each record its organisation follows. As Flagsmith, only records of a project or an
   * environment are sent (an organisation-level record is not).
   */
  private async auditJobs(
    manager: EntityManager,
    audited: readonly AuditLogRecord[],
  ): Promise<EnqueuedJob[]> {
    const candidates = audited.filter(
      (a) => a.organisationId !== null && (a.projectId !== null || a.environmentId !== null),
    );
    if (!candidates.length) return [];
    const following = await this.auditFollowers.organisationsFollowing(manager, [
      ...new Set(candidates.map((a) => a.organisationId as number)),
    ]);
    return candidates
      .filter((a) => following.has(a.organisationId as number))
      .map((a) => ({
        kind: AUDIT_LOG_RECORDED,
        payload: { audit_log_id: a.id, organisation_id: a.organisationId },
      }));
  }
}
