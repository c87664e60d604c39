import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { JobQueueRepository } from '../src/jobs/job-queue.repository';
import { DELIVER_WEBHOOK } from '../src/webhooks/webhook-delivery.service';
import { DELIVERY_ID_HEADER, signPayload, SIGNATURE_HEADER } from '../src/webhooks/signed-post';
import { Call, client, createEnvironment, createOrganisation, createProject, signUp } from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import { ServerProcess, spawnServer } from './support/server-process';
import { until } from './support/webhook-receiver';

const LEASE_MS = 10_000;
const QUEUE = {
  TASK_PROCESSOR_SLEEP_INTERVAL_MS: '20',
  TASK_PROCESSOR_RETRY_BASE_DELAY_MS: '100',
  TASK_PROCESSOR_JOB_TIMEOUT_MS: String(LEASE_MS),
  // Below the lease (a live worker's POST never outlasts its claim), above the time the test takes to start the
  // second process and kill the first (the first's POSTs are still open then).
  WEBHOOK_DELIVERY_TIMEOUT_MS: '8000',
  WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
};

interface Hit {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

describe('a server process killed with deliveries in flight → another process delivers them after the lease', () => {
  let api: TestApp;
  let call: Call;
  const servers: ServerProcess[] = [];
  let receiver: Server;
  let receiverUrl: string;
  const hits: Hit[] = [];
  /** While true the receiver holds each request open without answering; then it answers 200. */
  let holding = true;
  const held: ServerResponse[] = [];
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        hits.push({ path: req.url ?? '', headers: req.headers, body, at: Date.now() });
        if (holding) held.push(res);
        else res.end('ok');
      });
    });
    receiver.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    // The writes are made here; this process runs no job.
    api = await startTestApp({ ...QUEUE, TASK_RUN_METHOD: 'TASK_PROCESSOR' });
    call = client(api);
  });
  afterAll(async () => {
    for (const s of servers)
      if (s.child.exitCode === null && s.child.signalCode === null) await s.stop('SIGKILL');
    await api?.close();
    sockets.forEach((s) => s.destroy());
    receiver?.close();
  });

  function server(): ServerProcess {
    const s = spawnServer({
      DATABASE_URL: api.databaseUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      ENABLE_TELEMETRY: 'false',
      DJANGO_SECRET_KEY: 'x'.repeat(60),
      ...QUEUE,
    });
    servers.push(s);
    return s;
  }

  it('SIGKILL mid-POST → each delivery sent again by the other process, same body, signature and delivery id', async () => {
    const admin = await signUp(call);
    const org = await createOrganisation(call, admin.token);
    const project = (await createProject(call, admin.token, org.id)).id;
    const env = await createEnvironment(call, admin.token, project);
    const hookIds: number[] = [];
    for (const [path, secret] of [
      ['/one', 'first-secret'],
      ['/two', 'second-secret'],
    ]) {
      const hook = await call('POST', `/api/v1/environments/${env.api_key}/webhooks/`, {
        auth: admin.token,
        body: { url: `${receiverUrl}${path}`, secret },
      });
      expect(hook.status).toBe(201);
      hookIds.push(hook.body.id as number);
    }
    const feature = await call('POST', `/api/v1/projects/${project}/features/`, {
      auth: admin.token,
      body: { name: 'survives_a_kill' },
    });
    const states = await call(
      'GET',
      `/api/v1/environments/${env.api_key}/featurestates/?feature=${feature.body.id}`,
      { auth: admin.token },
    );

    const first = server();
    await first.waitForOutput(/listening on/);
    const statePath = `/api/v1/environments/${env.api_key}/featurestates/${states.body.results[0].id}/`;
    expect((await call('PATCH', statePath, { auth: admin.token, body: { enabled: true } })).status).toBe(200);
    // Both deliveries are in flight on the first process: the receiver holds them.
    await until('both POSTs held by the first process', () => (held.length === 2 ? true : undefined), 15000);
    const jobs = api.app.get(JobQueueRepository);
    expect((await jobs.list(DELIVER_WEBHOOK)).map((j) => j.state)).toEqual(['running', 'running']);

    const second = server();
    await second.waitForOutput(/listening on/);
    holding = false;
    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = Date.now();

    const finished = await until(
      'both deliveries to succeed on the second process',
      async () => {
        const list = await jobs.list(DELIVER_WEBHOOK);
        return list.length === 2 && list.every((j) => j.state === 'succeeded') ? list : undefined;
      },
      20000,
    );
    expect(finished.map((j) => j.attempts)).toEqual([2, 2]);
    expect(hits).toHaveLength(4);
    for (const path of ['/one', '/two']) {
      const [before, after] = hits.filter((h) => h.path === path);
      const id = before.headers[DELIVERY_ID_HEADER.toLowerCase()];
      // The receiver can tell the repeat by its delivery id: the job's id, the same on both attempts.
      expect(id).toMatch(/^\d+$/);
      expect(finished.map((j) => j.id)).toContain(id);
      expect(after.headers[DELIVERY_ID_HEADER.toLowerCase()]).toBe(id);
      expect(after.body).toBe(before.body);
      const secret = path === '/one' ? 'first-secret' : 'second-secret';
      expect(after.headers[SIGNATURE_HEADER.toLowerCase()]).toBe(signPayload(after.body, secret));
      expect(before.headers[SIGNATURE_HEADER.toLowerCase()]).toBe(signPayload(before.body, secret));
      // Not before the first claim's lease ran out.
      expect(after.at - before.at).toBeGreaterThanOrEqual(LEASE_MS - 200);
      expect(after.at).toBeGreaterThanOrEqual(killedAt);
    }
    // The two webhooks got two distinct deliveries.
    expect(new Set(hits.map((h) => h.headers[DELIVERY_ID_HEADER.toLowerCase()])).size).toBe(2);
    expect(JSON.parse(hits[0].body)).toMatchObject({
      event_type: 'FLAG_UPDATED',
      data: { new_state: { enabled: true, feature: { name: 'survives_a_kill' } } },
    });
    // The killed process recorded nothing; the second one the successful second attempt of each.
    for (const id of hookIds) {
      const history = await call('GET', `/api/v1/environments/${env.api_key}/webhooks/${id}/deliveries/`, {
        auth: admin.token,
      });
      expect(history.body).toMatchObject([
        { state: 'succeeded', attempts: 2, status_code: 200, error: null },
      ]);
    }
    expect(await second.stop('SIGTERM')).toBe(0);
  });
});
