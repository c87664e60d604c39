import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  BeforeApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { ChangeFeed } from '../changes/change-feed';
import { JOB_ENQUEUED_CHANNEL } from '../changes/channels';
import type { JobPayload } from '../common/unit-of-work';
import { APP_CONFIG, AppConfig } from '../config';
import { isDatabaseUnavailable } from '../http/errors';
import { MetricsService } from '../metrics/metrics.service';
import { ClaimedJob, JobQueueRepository } from './job-queue.repository';
import { afterFailure, RetryPolicy } from './retry-policy';

/** Thrown by a handler when another attempt cannot succeed: the job is failed at once, not retried. */
export class PermanentJobError extends Error {}

/** Runs one job; a thrown error is a failed attempt (retried per the kind's policy). */
export type JobHandler = (payload: JobPayload, job: ClaimedJob) => Promise<void>;

const MAX_RETRY_DELAY_MS = 60 * 60 * 1000;
const DEFAULT_MAX_ATTEMPTS = 5;
const PURGE_EVERY_MS = 60 * 60 * 1000;
const MAX_ERROR_LENGTH = 2000;
/** The longest an idle worker sleeps: a safety net for a NOTIFY lost while nobody listened. */
const IDLE_POLL_MS = 30_000;
/** The longest pause between attempts to reach the database while it is down. */
const MAX_OUTAGE_PAUSE_MS = 5_000;
/** How often a busy worker reads the queue depth for metrics (an idle one reads it when it wakes). */
const DEPTH_EVERY_MS = 10_000;

/** The handler of each job kind, registered by the modules that enqueue them (in their onModuleInit). */
@Injectable()
export class JobHandlers {
  private readonly handlers = new Map<string, { run: JobHandler; maxAttempts: number }>();

  register(kind: string, run: JobHandler, options: { maxAttempts?: number } = {}): void {
    this.handlers.set(kind, { run, maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS });
  }

  get(kind: string): { run: JobHandler; maxAttempts: number } | undefined {
    return this.handlers.get(kind);
  }
}

/**
 * The worker: claims due jobs (any instance may; SKIP LOCKED keeps them apart), runs their handlers up to
 * TASK_PROCESSOR_NUM_THREADS at a time, records success or the failed attempt, and purges finished jobs past
 * retention once an hour. Started at bootstrap unless TASK_RUN_METHOD=TASK_PROCESSOR (then only `task-processor`
 * processes run it). A job runs at least once: a process that dies mid-job leaves it `running` until its lease
 * (TASK_PROCESSOR_JOB_TIMEOUT_MS) expires, and another worker then runs it again.
 */
@Injectable()
export class JobWorker implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('JobWorker');
  readonly workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Set by a wake-up that came while the worker was busy: its next sleep returns at once. */
  private woken = false;
  private lastPurge = 0;
  private lastDepth = 0;
  /** The jobs this worker is running, at most TASK_PROCESSOR_NUM_THREADS. */
  private readonly inHand = new Set<Promise<void>>();

  constructor(
    private readonly repository: JobQueueRepository,
    private readonly handlers: JobHandlers,
    private readonly feed: ChangeFeed,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    metrics.describe(
      'jobs.depth',
      'Queued jobs by state (pending: waiting to run or to be retried; running).',
    );
    metrics.describe(
      'jobs.finished',
      'Job attempts by kind and outcome (succeeded, retried, failed for good).',
    );
    metrics.describe('jobs.wait', 'How long a due job waited for a worker, by kind.');
    metrics.describe('jobs.duration', 'How long a job attempt ran, by kind.');
  }

  /** Any instance's enqueue (NOTIFY at its commit) and a feed reconnect (NOTIFYs may be lost) wake the worker. */
  onModuleInit(): void {
    const wakeUp = (): void => {
      this.woken = true;
      this.wake?.();
    };
    this.feed.on(JOB_ENQUEUED_CHANNEL, wakeUp);
    this.feed.onResync(wakeUp);
  }

  onApplicationBootstrap(): void {
    if (this.config.TASK_RUN_METHOD !== 'TASK_PROCESSOR') this.start();
  }

  /** Before shutdown (not on it): the jobs in hand finish while the database connections are still open. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops claiming and waits for the jobs in hand to finish. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await Promise.all([...this.inHand]);
  }

  /**
   * Polls, then sleeps until woken (a NOTIFY from an enqueue), until the next job falls due (a retry, a lease
   * expiry) or IDLE_POLL_MS at most, and never less than TASK_PROCESSOR_SLEEP_INTERVAL_MS: an idle worker sends no
   * query for up to 30 s. While the database is down it says so once, retries with growing pauses, and says when
   * it is back.
   */
  private async run(): Promise<void> {
    const minPause = this.config.TASK_PROCESSOR_SLEEP_INTERVAL_MS;
    let outagePause = 0;
    while (this.running) {
      this.woken = false;
      let pause: number;
      try {
        const free = this.config.TASK_PROCESSOR_NUM_THREADS - this.inHand.size;
        const claimed = free > 0 ? await this.claimAndStart(free) : 0;
        await this.purgeWhenDue();
        await this.reportDepthWhenDue();
        // Every slot busy: sleep until a job ends (it wakes the loop). A batch that filled the free slots means
        // more may be due: look again at once.
        if (free <= 0) pause = IDLE_POLL_MS;
        else pause = claimed < free ? await this.idlePause(minPause) : 0;
        if (outagePause) this.logger.log('job queue resumed: the database answers again');
        outagePause = 0;
      } catch (err) {
        const text = err instanceof Error ? err.message : String(err);
        if (!isDatabaseUnavailable(err)) {
          this.logger.error(`job queue poll failed: ${text}`);
          pause = minPause;
        } else {
          if (!outagePause) this.logger.warn(`job queue paused: database unavailable (${text}); retrying`);
          outagePause = Math.min(Math.max(outagePause * 2, minPause), MAX_OUTAGE_PAUSE_MS);
          pause = outagePause;
        }
      }
      if (pause > 0) await this.sleep(pause);
    }
  }

  private async idlePause(minPause: number): Promise<number> {
    const due = await this.repository.nextDueAt();
    const untilDue = due ? due.getTime() - Date.now() : IDLE_POLL_MS;
    return Math.min(Math.max(untilDue, minPause), IDLE_POLL_MS);
  }

  /** Claims one batch of due jobs and runs it to the end; returns how many were claimed (tests, tools). */
  async runOnce(): Promise<number> {
    const jobs = await this.claim(this.config.TASK_PROCESSOR_NUM_THREADS);
    await Promise.all(jobs.map((job) => this.runJob(job)));
    return jobs.length;
  }

  private claim(slots: number): Promise<ClaimedJob[]> {
    return this.repository.claim(this.workerId, slots, this.config.TASK_PROCESSOR_JOB_TIMEOUT_MS);
  }

  /**
   * Claims up to `slots` due jobs and starts them without waiting for them: a job that takes long (a slow
   * receiver, up to its timeout) holds one slot, never the whole worker. Each job wakes the loop when it ends, to
   * fill its slot. Returns how many were claimed.
   */
  private async claimAndStart(slots: number): Promise<number> {
    const jobs = await this.claim(slots);
    for (const job of jobs) {
      const running: Promise<void> = this.runJob(job)
        .catch((err: unknown) =>
          // Recording the outcome failed (the database went away): the lease expires and the job runs again.
          this.logger.error(
            `job ${job.id} (${job.kind}): ${err instanceof Error ? err.message : String(err)}`,
          ),
        )
        .finally(() => {
          this.inHand.delete(running);
          this.woken = true;
          this.wake?.();
        });
      this.inHand.add(running);
    }
    return jobs.length;
  }

  private async runJob(job: ClaimedJob): Promise<void> {
    const handler = this.handlers.get(job.kind);
    const policy: RetryPolicy = {
      maxAttempts: handler?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      baseDelayMs: this.config.TASK_PROCESSOR_RETRY_BASE_DELAY_MS,
      maxDelayMs: MAX_RETRY_DELAY_MS,
    };
    const tags = { kind: job.kind };
    this.metrics.timing('jobs.wait', job.waitedMs, tags);
    const started = Date.now();
    try {
      if (!handler) throw new Error(`no handler for job kind "${job.kind}"`);
      await handler.run(job.payload, job);
      this.metrics.timing('jobs.duration', Date.now() - started, tags);
      await this.repository.succeed(job.id, this.workerId);
      this.metrics.increment('jobs.finished', { ...tags, outcome: 'succeeded' });
    } catch (err) {
      this.metrics.timing('jobs.duration', Date.now() - started, tags);
      const message = (err instanceof Error ? err.message : String(err)).slice(0, MAX_ERROR_LENGTH);
      const outcome =
        err instanceof PermanentJobError
          ? ({ state: 'failed' } as const)
          : afterFailure(job.attempts, policy, new Date());
      if (outcome.state === 'failed')
        this.logger.warn(
          `job ${job.id} (${job.kind}) failed for good after ${job.attempts} attempts: ${message}`,
        );
      await this.repository.fail(job.id, this.workerId, outcome, message);
      this.metrics.increment('jobs.finished', {
        ...tags,
        outcome: outcome.state === 'failed' ? 'failed' : 'retried',
      });
    }
  }

  private async reportDepthWhenDue(): Promise<void> {
    if (!this.metrics.enabled || Date.now() - this.lastDepth < DEPTH_EVERY_MS) return;
    this.lastDepth = Date.now();
    const depth = await this.repository.depth();
    this.metrics.gauge('jobs.depth', depth.pending, { state: 'pending' });
    this.metrics.gauge('jobs.depth', depth.running, { state: 'running' });
  }

  private async purgeWhenDue(): Promise<void> {
    if (Date.now() - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = Date.now();
    await this.repository.purgeFinished(
      this.config.TASK_DELETE_RETENTION_DAYS * 24 * 60 * 60 * 1000,
      this.config.TASK_DELETE_INCLUDE_FAILED_TASKS,
    );
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken || !this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref(); // an idle worker never keeps the process alive
      this.wake = done;
    });
  }
}
