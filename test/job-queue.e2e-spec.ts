import { JOB_ENQUEUED_CHANNEL } from '../src/changes/channels';
import { UnitOfWork } from '../src/common/unit-of-work';
import { JobQueueRepository } from '../src/jobs/job-queue.repository';
import { JobHandlers, JobWorker } from '../src/jobs/job-worker.service';
import { startTestApp, TestApp } from './support/app';
import { queryDatabase } from './support/database';
import { until } from './support/webhook-receiver';

const FAST_QUEUE = {
  TASK_PROCESSOR_SLEEP_INTERVAL_MS: '20',
  TASK_PROCESSOR_RETRY_BASE_DELAY_MS: '150',
};

describe('durable job queue', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await startTestApp(FAST_QUEUE);
    b = await startTestApp({ ...FAST_QUEUE, DATABASE_URL: a.databaseUrl });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const enqueue = (t: TestApp, kind: string, payloads: Record<string, unknown>[]) =>
    t.app
      .get(UnitOfWork)
      .run(async (tx) => payloads.forEach((p) => tx.enqueue(kind, p)), { unaudited: 'test job' });

  it('a unit of work that rolls back → its job is never stored nor run', async () => {
    const ran: unknown[] = [];
    a.app.get(JobHandlers).register('test.rollback', async (payload) => void ran.push(payload));
    await expect(
      a.app.get(UnitOfWork).run(
        async (tx) => {
          tx.enqueue('test.rollback', { n: 1 });
          await tx.manager.query('SELECT 1/0'); // the write fails after enqueueing
        },
        { unaudited: 'test job' },
      ),
    ).rejects.toThrow(/division by zero/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await a.app.get(JobQueueRepository).list('test.rollback')).toEqual([]);
    expect(ran).toEqual([]);
  });

  it('a committed unit of work → its job runs once with its payload and ends succeeded', async () => {
    const ran: unknown[] = [];
    for (const t of [a, b])
      t.app.get(JobHandlers).register('test.ok', async (payload) => void ran.push(payload));
    await enqueue(a, 'test.ok', [{ greeting: 'hello', nested: { list: [1, 2] } }]);
    const [job] = await until('the job to succeed', async () => {
      const jobs = await a.app.get(JobQueueRepository).list('test.ok');
      return jobs[0]?.state === 'succeeded' ? jobs : undefined;
    });
    expect(ran).toEqual([{ greeting: 'hello', nested: { list: [1, 2] } }]);
    expect(job).toMatchObject({ attempts: 1, lastError: null });
    expect(job.finishedAt).toBeInstanceOf(Date);
  });

  it('a job that keeps failing → retried with growing pauses, then failed for good with its error', async () => {
    const attemptsAt: number[] = [];
    for (const t of [a, b])
      t.app.get(JobHandlers).register(
        'test.failing',
        async () => {
          attemptsAt.push(Date.now());
          throw new Error('receiver answered 503');
        },
        { maxAttempts: 3 },
      );
    await enqueue(a, 'test.failing', [{}]);
    const [job] = await until('the job to fail for good', async () => {
      const jobs = await a.app.get(JobQueueRepository).list('test.failing');
      return jobs[0]?.state === 'failed' ? jobs : undefined;
    });
    expect(job).toMatchObject({ attempts: 3, lastError: 'receiver answered 503' });
    expect(attemptsAt).toHaveLength(3);
    // base 150 ms, then 300 ms: each pause at least its back-off
    expect(attemptsAt[1] - attemptsAt[0]).toBeGreaterThanOrEqual(140);
    expect(attemptsAt[2] - attemptsAt[1]).toBeGreaterThanOrEqual(290);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(attemptsAt).toHaveLength(3); // failed is final: never claimed again
  });

  it('a job that fails once → run again after the back-off and succeeds', async () => {
    let calls = 0;
    for (const t of [a, b])
      t.app.get(JobHandlers).register('test.flaky', async () => {
        calls += 1;
        if (calls === 1) throw new Error('timeout');
      });
    await enqueue(a, 'test.flaky', [{}]);
    const [job] = await until('the job to succeed', async () => {
      const jobs = await a.app.get(JobQueueRepository).list('test.flaky');
      return jobs[0]?.state === 'succeeded' ? jobs : undefined;
    });
    expect(job).toMatchObject({ attempts: 2, lastError: 'timeout' });
  });

  it('two server processes polling one queue → every job runs exactly once, shared between them', async () => {
    const runs = new Map<number, string[]>();
    for (const [name, t] of [
      ['a', a],
      ['b', b],
    ] as const)
      t.app.get(JobHandlers).register('test.shared', async (payload) => {
        const n = payload.n as number;
        runs.set(n, [...(runs.get(n) ?? []), name]);
        await new Promise((resolve) => setTimeout(resolve, 5));
      });
    const payloads = Array.from({ length: 60 }, (_, n) => ({ n }));
    await enqueue(a, 'test.shared', payloads);
    await until('every job to succeed', async () => {
      const jobs = await a.app.get(JobQueueRepository).list('test.shared');
      return jobs.length === 60 && jobs.every((j) => j.state === 'succeeded') ? jobs : undefined;
    });
    expect([...runs.keys()].sort((x, y) => x - y)).toEqual(payloads.map((p) => p.n));
    expect([...runs.values()].filter((workers) => workers.length !== 1)).toEqual([]);
    const byWorker = [...runs.values()].flat();
    expect(new Set(byWorker)).toEqual(new Set(['a', 'b']));
  });

  it('a job whose worker died mid-run (lease expired) → another worker claims and runs it', async () => {
    const ran: unknown[] = [];
    for (const t of [a, b]) t.app.get(JobHandlers).register('test.orphan', async (p) => void ran.push(p));
    await queryDatabase(
      a.databaseUrl,
      `INSERT INTO "jobs" ("kind", "payload", "state", "attempts", "locked_by", "locked_until")
       VALUES ('test.orphan', '{"n": 7}', 'running', 1, 'dead-process', now() - interval '1 second')`,
    );
    // As the enqueue did before the dead process claimed it: idle workers look again and see its lease.
    await queryDatabase(a.databaseUrl, `SELECT pg_notify('${JOB_ENQUEUED_CHANNEL}', '')`);
    const [job] = await until('the orphan to succeed', async () => {
      const jobs = await a.app.get(JobQueueRepository).list('test.orphan');
      return jobs[0]?.state === 'succeeded' ? jobs : undefined;
    });
    expect(ran).toEqual([{ n: 7 }]);
    expect(job.attempts).toBe(2);
  });

  it('retention purge → deletes succeeded jobs past retention, keeps recent and failed ones', async () => {
    await queryDatabase(
      a.databaseUrl,
      `INSERT INTO "jobs" ("kind", "payload", "state", "finished_at") VALUES
         ('test.purge', '{"old": true}', 'succeeded', now() - interval '20 days'),
         ('test.purge', '{"recent": true}', 'succeeded', now() - interval '1 day'),
         ('test.purge', '{"oldFailed": true}', 'failed', now() - interval '20 days')`,
    );
    const repository = a.app.get(JobQueueRepository);
    const fifteenDays = 15 * 24 * 60 * 60 * 1000;
    expect(await repository.purgeFinished(fifteenDays, false, 1)).toBeGreaterThanOrEqual(1);
    const left = (await repository.list('test.purge')).map((j) => j.payload);
    expect(left).toEqual([{ oldFailed: true }, { recent: true }]);
    await repository.purgeFinished(fifteenDays, true);
    expect((await repository.list('test.purge')).map((j) => j.payload)).toEqual([{ recent: true }]);
  });

  it('TASK_RUN_METHOD=TASK_PROCESSOR → the server process runs no job; a worker started for it does', async () => {
    const c = await startTestApp({ ...FAST_QUEUE, TASK_RUN_METHOD: 'TASK_PROCESSOR' });
    try {
      const ran: unknown[] = [];
      c.app.get(JobHandlers).register('test.dedicated', async (p) => void ran.push(p));
      await enqueue(c, 'test.dedicated', [{ n: 1 }]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await c.app.get(JobQueueRepository).list('test.dedicated'))[0].state).toBe('pending');
      expect(await c.app.get(JobWorker).runOnce()).toBe(1);
      expect(ran).toEqual([{ n: 1 }]);
      expect((await c.app.get(JobQueueRepository).list('test.dedicated'))[0].state).toBe('succeeded');
    } finally {
      await c.close();
    }
  });
  it('metrics → attempts by kind and outcome, wait and run time, queue depth, summed over both workers', async () => {
    const samples = async (name: string, labels: Record<string, string>): Promise<number[]> => {
      const values: number[] = [];
      for (const t of [a, b]) {
        const text = await (await fetch(`${t.url}/metrics`)).text();
        for (const line of text.split('\n')) {
          const match = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
          if (!match || match[1] !== name) continue;
          if (Object.entries(labels).every(([k, v]) => match[2].includes(`${k}="${v}"`)))
            values.push(Number(match[3]));
        }
      }
      return values;
    };
    const total = async (name: string, labels: Record<string, string>) =>
      (await samples(name, labels)).reduce((x, y) => x + y, 0);
    // From the tests above: test.ok succeeded once; test.failing was retried twice, then failed for good.
    expect(await total('flagport_jobs_finished_total', { kind: 'test.ok', outcome: 'succeeded' })).toBe(1);
    expect(await total('flagport_jobs_finished_total', { kind: 'test.failing', outcome: 'retried' })).toBe(2);
    expect(await total('flagport_jobs_finished_total', { kind: 'test.failing', outcome: 'failed' })).toBe(1);
    expect(await total('flagport_jobs_wait_seconds_count', { kind: 'test.failing' })).toBe(3);
    expect(await total('flagport_jobs_duration_seconds_count', { kind: 'test.failing' })).toBe(3);
    // Each worker reported the depth when it first polled: gauges, never negative.
    const pending = await samples('flagport_jobs_depth', { state: 'pending' });
    expect(pending.length).toBe(2);
    expect(pending.every((n) => n >= 0)).toBe(true);
    expect((await fetch(`${a.url}/health/readiness/`)).status).toBe(200);
  });
});
