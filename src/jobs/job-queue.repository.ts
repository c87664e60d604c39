import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { JOB_ENQUEUED_CHANNEL } from '../changes/channels';
import type { EnqueuedJob, JobQueue, JobPayload } from '../common/unit-of-work';
import type { FailureOutcome } from './retry-policy';

/** A job a worker claimed: it is `running`, leased to that worker until its lease expires. */
export interface ClaimedJob {
  readonly id: string;
  readonly kind: string;
  readonly payload: JobPayload;
  /** This attempt's number, counting from 1. */
  readonly attempts: number;
  /** How long it waited past its run_at before this claim (database clock), in milliseconds. */
  readonly waitedMs: number;
}

export interface JobRow {
  readonly id: string;
  readonly kind: string;
  readonly payload: JobPayload;
  readonly state: 'pending' | 'running' | 'succeeded' | 'failed';
  readonly attempts: number;
  readonly runAt: Date;
  readonly lastError: string | null;
  readonly finishedAt: Date | null;
}

/** Every SQL statement of the job queue (table `jobs`, migration 1766100000000-JobQueue). */
@Injectable()
export class JobQueueRepository implements JobQueue {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Inserts with the writer's manager, so in its transaction. How often a kind is retried is its handler's. */
  async enqueue(manager: EntityManager, jobs: readonly EnqueuedJob[]): Promise<void> {
    const values: unknown[] = [];
    const rows = jobs.map((job, i) => {
      values.push(job.kind, JSON.stringify(job.payload));
      return `($${i * 2 + 1}, $${i * 2 + 2}::jsonb)`;
    });
    await manager.query(`INSERT INTO "jobs" ("kind", "payload") VALUES ${rows.join(', ')}`, values);
    // Delivered at commit (never for a rolled-back write): idle workers on every instance wake up.
    await manager.query(`SELECT pg_notify($1, '')`, [JOB_ENQUEUED_CHANNEL]);
  }

  /**
   * When the next job becomes due without anyone enqueueing: the earliest pending run_at (a retry, a scheduled
   * job) or running lease expiry (a dead worker's job); null when there is none.
   */
  async nextDueAt(): Promise<Date | null> {
    const [row]: { at: Date | null }[] = await this.dataSource.query(
      // Two index-only minimums over the partial indexes of the claim query.
      `SELECT LEAST((SELECT min("run_at") FROM "jobs" WHERE "state" = 'pending'),
                    (SELECT min("locked_until") FROM "jobs" WHERE "state" = 'running')) AS at`,
    );
    return row?.at ?? null;
  }

  /**
   * Claims up to `limit` due jobs for `workerId`: pending ones whose run_at has come, and running ones whose lease
   * expired (their worker died). FOR UPDATE SKIP LOCKED: two workers claiming at once never get the same row.
   */
  async claim(workerId: string, limit: number, leaseMs: number): Promise<ClaimedJob[]> {
    const rows: { id: string; kind: string; payload: JobPayload; attempts: number; waited_ms: number }[] =
      await this.dataSource.query(
        `UPDATE "jobs" SET "state" = 'running', "attempts" = "attempts" + 1, "locked_by" = $1,
                "locked_until" = now() + make_interval(secs => $3::double precision / 1000)
          WHERE "id" IN (
            SELECT "id" FROM "jobs"
             WHERE ("state" = 'pending' AND "run_at" <= now())
                OR ("state" = 'running' AND "locked_until" < now())
             ORDER BY "run_at", "id"
             LIMIT $2
             FOR UPDATE SKIP LOCKED)
        RETURNING "id", "kind", "payload", "attempts",
                  (EXTRACT(EPOCH FROM now() - "run_at") * 1000)::float8 AS "waited_ms"`,
        [workerId, limit, leaseMs],
      );
    // UPDATE … RETURNING answers [rows, count] through TypeORM's pg driver.
    const claimed = (Array.isArray(rows[0]) ? rows[0] : rows) as typeof rows;
    return claimed.map((r) => ({
      id: String(r.id),
      kind: r.kind,
      payload: r.payload,
      attempts: r.attempts,
      waitedMs: Math.max(0, Number(r.waited_ms)),
    }));
  }

  /** Finishes a job this worker still holds; false when the lease was lost (another worker took it over). */
  async succeed(id: string, workerId: string): Promise<boolean> {
    return this.finish(id, workerId, { state: 'succeeded' }, null);
  }

  /** Records a failed attempt: pending again at the back-off's run_at, or failed for good. */
  async fail(id: string, workerId: string, outcome: FailureOutcome, error: string): Promise<boolean> {
    return this.finish(id, workerId, outcome, error);
  }

  private async finish(
    id: string,
    workerId: string,
    outcome: FailureOutcome | { state: 'succeeded' },
    error: string | null,
  ): Promise<boolean> {
    const done = outcome.state !== 'pending';
    const result: [unknown[], number] = await this.dataSource.query(
      `UPDATE "jobs" SET "state" = $3, "locked_by" = NULL, "locked_until" = NULL,
              "run_at" = COALESCE($4, "run_at"), "last_error" = COALESCE($5, "last_error"),
              "finished_at" = CASE WHEN $6::boolean THEN now() ELSE NULL END
        WHERE "id" = $1 AND "locked_by" = $2 AND "state" = 'running'`,
      [id, workerId, outcome.state, outcome.state === 'pending' ? outcome.runAt : null, error, done],
    );
    return result[1] === 1;
  }

  /**
   * The retention purge: deletes succeeded jobs (and failed ones when asked) finished more than `retentionMs` ago,
   * in bounded batches so a large backlog never holds one long lock. Returns how many were deleted.
   */
  async purgeFinished(retentionMs: number, includeFailed: boolean, batchSize = 5000): Promise<number> {
    const states = includeFailed ? ['succeeded', 'failed'] : ['succeeded'];
    let total = 0;
    for (;;) {
      const result: [unknown[], number] = await this.dataSource.query(
        `DELETE FROM "jobs" WHERE "id" IN (
           SELECT "id" FROM "jobs"
            WHERE "state" = ANY($1) AND "finished_at" < now() - make_interval(secs => $2::double precision / 1000)
            LIMIT $3)`,
        [states, retentionMs, batchSize],
      );
      total += result[1];
      if (result[1] < batchSize) return total;
    }
  }

  /** Queue depth for metrics: jobs pending and running (index scans of the claim query's partial indexes). */
  async depth(): Promise<{ pending: number; running: number }> {
    const [row]: { pending: string; running: string }[] = await this.dataSource.query(
      `SELECT (SELECT count(*) FROM "jobs" WHERE "state" = 'pending') AS pending,
              (SELECT count(*) FROM "jobs" WHERE "state" = 'running') AS running`,
    );
    return { pending: Number(row?.pending ?? 0), running: Number(row?.running ?? 0) };
  }

  /** Jobs of one kind, newest first (tests and inspection). */
  async list(kind: string, limit = 100): Promise<JobRow[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT "id", "kind", "payload", "state", "attempts", "run_at", "last_error", "finished_at"
         FROM "jobs" WHERE "kind" = $1 ORDER BY "id" DESC LIMIT $2`,
      [kind, limit],
    );
    return rows.map((r) => ({
      id: String(r.id),
      kind: r.kind as string,
      payload: r.payload as JobPayload,
      state: r.state as JobRow['state'],
      attempts: r.attempts as number,
      runAt: r.run_at as Date,
      lastError: r.last_error as string | null,
      finishedAt: r.finished_at as Date | null,
    }));
  }
}
