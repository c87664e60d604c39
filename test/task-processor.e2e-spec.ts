import { resolve } from 'node:path';
import { JobQueueRepository } from '../src/jobs/job-queue.repository';
import { DELIVER_WEBHOOK } from '../src/webhooks/webhook-delivery.service';
import { Call, client, createEnvironment, createOrganisation, createProject, signUp } from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import { REPO_ROOT, ServerProcess, spawnServer } from './support/server-process';
import { Receiver, startReceiver, until } from './support/webhook-receiver';

const CLI_JS = resolve(REPO_ROOT, 'dist/src/cli.js');
const QUEUE = {
  TASK_RUN_METHOD: 'TASK_PROCESSOR',
  TASK_PROCESSOR_SLEEP_INTERVAL_MS: '20',
  WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
};

describe('TASK_RUN_METHOD=TASK_PROCESSOR with `cli.js task-processor`', () => {
  let api: TestApp;
  let call: Call;
  let processor: ServerProcess | undefined;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
    api = await startTestApp(QUEUE);
    call = client(api);
  });
  afterAll(async () => {
    if (processor && processor.child.exitCode === null) await processor.stop('SIGKILL');
    await api?.close();
    receiver?.close();
  });

  it('the server only enqueues; the task-processor process delivers, then stops cleanly on SIGTERM', async () => {
    const admin = await signUp(call);
    const org = await createOrganisation(call, admin.token);
    const project = (await createProject(call, admin.token, org.id)).id;
    const env = await createEnvironment(call, admin.token, project);
    const hook = await call('POST', `/api/v1/environments/${env.api_key}/webhooks/`, {
      auth: admin.token,
      body: { url: `${receiver.url}/hook` },
    });
    expect(hook.status).toBe(201);
    const feature = await call('POST', `/api/v1/projects/${project}/features/`, {
      auth: admin.token,
      body: { name: 'processed_elsewhere' },
    });
    const states = await call(
      'GET',
      `/api/v1/environments/${env.api_key}/featurestates/?feature=${feature.body.id}`,
      { auth: admin.token },
    );
    const patched = await call(
      'PATCH',
      `/api/v1/environments/${env.api_key}/featurestates/${states.body.results[0].id}/`,
      { auth: admin.token, body: { enabled: true } },
    );
    expect(patched.status).toBe(200);

    // The server's own worker is off: the delivery waits in the queue.
    const jobs = api.app.get(JobQueueRepository);
    await new Promise((r) => setTimeout(r, 600));
    expect((await jobs.list('feature_state.changed')).map((j) => j.state)).toEqual(['pending']);
    expect(await jobs.list(DELIVER_WEBHOOK)).toEqual([]);
    expect(receiver.received).toEqual([]);

    processor = spawnServer(
      {
        DATABASE_URL: api.databaseUrl,
        PORT: '0',
        HOST: '127.0.0.1',
        ENABLE_TELEMETRY: 'false',
        DJANGO_SECRET_KEY: 'x'.repeat(60),
        ...QUEUE,
      },
      REPO_ROOT,
      CLI_JS,
      ['task-processor'],
    );
    await processor.waitForOutput(/task processor: running queued jobs, 5 at a time/);
    const [job] = await until(
      'the delivery to succeed',
      async () => {
        const list = await jobs.list(DELIVER_WEBHOOK);
        return list[0]?.state === 'succeeded' ? list : undefined;
      },
      15000,
    );
    expect(job.attempts).toBe(1);
    expect(receiver.received).toHaveLength(1);
    expect(JSON.parse(receiver.received[0].body)).toMatchObject({
      event_type: 'FLAG_UPDATED',
      data: { new_state: { enabled: true, feature: { name: 'processed_elsewhere' } } },
    });

    expect(await processor.stop('SIGTERM')).toBe(0);
    expect(processor.output()).toMatch(/\] stopped\n/);
  });

  it('task-processor with an argument → usage error, exit 2', async () => {
    const run = spawnServer({ DATABASE_URL: api.databaseUrl }, REPO_ROOT, CLI_JS, ['task-processor', 'x']);
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain('unexpected argument "x"');
  });
});
