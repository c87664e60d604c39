import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The durable job queue (src/jobs): one row per job, enqueued in the transaction of the write that causes it,
 * claimed with FOR UPDATE SKIP LOCKED by any instance, retried with back-off, purged after retention.
 */
export class JobQueue1766100000000 implements MigrationInterface {
  name = 'JobQueue1766100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "jobs" ("id" BIGSERIAL NOT NULL, "kind" character varying(100) NOT NULL, "payload" jsonb NOT NULL, "state" character varying(16) NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT 0, "run_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "locked_by" character varying(100), "locked_until" TIMESTAMP WITH TIME ZONE, "last_error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_jobs" PRIMARY KEY ("id"), CONSTRAINT "CHK_jobs_state" CHECK ("state" IN ('pending', 'running', 'succeeded', 'failed')))`,
    );
    // Claiming scans only due work: pending jobs by run_at, running jobs by lease expiry (a worker that died).
    await q.query(`CREATE INDEX "IDX_jobs_pending_run_at" ON "jobs" ("run_at") WHERE "state" = 'pending'`);
    await q.query(
      `CREATE INDEX "IDX_jobs_running_locked_until" ON "jobs" ("locked_until") WHERE "state" = 'running'`,
    );
    // The retention purge deletes finished jobs by age.
    await q.query(
      `CREATE INDEX "IDX_jobs_finished_at" ON "jobs" ("finished_at") WHERE "state" IN ('succeeded', 'failed')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "jobs"`);
  }
}
