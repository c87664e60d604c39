import { createServer as createHttpServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo, createServer as createTcpServer, Server, Socket } from 'node:net';
import { Call, client, createEnvironment, createOrganisation, createProject, signUp } from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import { Receiver, startReceiver, until } from './support/webhook-receiver';

const TIMEOUT_MS = 1500;

interface Delivery {
  state: string;
  attempts: number;
  status_code: number | null;
  error: string | null;
}

/** A receiver on 127.0.0.1 that misbehaves; `requests` counts the connections (TCP) or requests (HTTP) it got. */
interface BadReceiver {
  readonly url: string;
  readonly requests: () => number;
  close(): void;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}

/** An HTTP receiver whose every request is handled by `handle`; sockets are destroyed on close. */
async function httpReceiver(
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<BadReceiver> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server = createHttpServer((req, res) => {
    count++;
    handle(req, res);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const url = await listen(server);
  return {
    url,
    requests: () => count,
    close: () => {
      sockets.forEach((s) => s.destroy());
      server.close();
    },
  };
}

describe('webhook deliveries to receivers that misbehave → a recorded failed attempt, never a stuck worker', () => {
  let t: TestApp;
  let call: Call;
  let admin: { token: string };
  let project: number;
  let good: Receiver;
  const bad: BadReceiver[] = [];

  beforeAll(async () => {
    t = await startTestApp({
      TASK_PROCESSOR_SLEEP_INTERVAL_MS: '20',
      TASK_PROCESSOR_RETRY_BASE_DELAY_MS: '100',
      WEBHOOK_DELIVERY_TIMEOUT_MS: String(TIMEOUT_MS),
      WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
    });
    call = client(t);
    good = await startReceiver();
    admin = await signUp(call);
    const org = await createOrganisation(call, admin.token);
    project = (await createProject(call, admin.token, org.id)).id;
  });
  afterAll(async () => {
    await t?.close();
    good?.close();
    bad.forEach((r) => r.close());
  });

  let envCount = 0;
  /** A fresh environment with one webhook to `url`, and a way to toggle one of its flags (checked stored). */
  async function scenario(url: string) {
    const env = await createEnvironment(call, admin.token, project, `env ${++envCount}`);
    const hook = await call('POST', `/api/v1/environments/${env.api_key}/webhooks/`, {
      auth: admin.token,
      body: { url, secret: 's' },
    });
    expect(hook.status).toBe(201);
    const feature = await call('POST', `/api/v1/projects/${project}/features/`, {
      auth: admin.token,
      body: { name: `flag_${envCount}` },
    });
    expect(feature.status).toBe(201);
    const states = await call(
      'GET',
      `/api/v1/environments/${env.api_key}/featurestates/?feature=${feature.body.id}`,
      { auth: admin.token },
    );
    const statePath = `/api/v1/environments/${env.api_key}/featurestates/${states.body.results[0].id}/`;
    return {
      /** The write that causes the delivery: 200 and stored, whatever the receiver does. */
      async toggle(enabled: boolean): Promise<void> {
        const res = await call('PATCH', statePath, { auth: admin.token, body: { enabled } });
        expect(res.status).toBe(200);
        expect((await call('GET', statePath, { auth: admin.token })).body.enabled).toBe(enabled);
      },
      /** The webhook's one delivery once it is final (succeeded or failed). */
      settled: (ms = 20000): Promise<Delivery> =>
        until(
          'a final delivery',
          async () => {
            const res = await call(
              'GET',
              `/api/v1/environments/${env.api_key}/webhooks/${hook.body.id}/deliveries/`,
              {
                auth: admin.token,
              },
            );
            const rows = res.body as Delivery[];
            return rows.length && rows[0].state !== 'retrying' ? rows[0] : undefined;
          },
          ms,
        ),
    };
  }

  it('a receiver slower than the delivery timeout → timed-out attempts, retried, failed; other deliveries go on meanwhile', async () => {
    let open = 0;
    const slow = await httpReceiver((req) => {
      open++;
      req.resume();
      req.socket.on('close', () => open--);
      // Never answers: the delivery's deadline ends it.
    });
    bad.push(slow);
    const stuck = await scenario(slow.url);
    const fine = await scenario(`${good.url}/meanwhile`);
    await stuck.toggle(true);
    await until('the slow receiver holds a request', () => (open > 0 ? true : undefined));
    const started = Date.now();
    await fine.toggle(true);
    await until('the other webhook delivered', () =>
      good.received.some((r) => r.path === '/meanwhile') ? true : undefined,
    );
    // Delivered while the slow request was still open, long before its timeout.
    expect(open).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS);
    expect(await fine.settled()).toMatchObject({ state: 'succeeded', attempts: 1, status_code: 200 });
    expect(await stuck.settled()).toMatchObject({
      state: 'failed',
      attempts: 3,
      status_code: null,
      error: `no answer within ${TIMEOUT_MS} ms`,
    });
    expect(slow.requests()).toBe(3);
  });

  it('a receiver answering 200 with a 10 MB body → read up to the cap only, the attempt recorded as its status', async () => {
    const TEN_MB = 10 * 1024 * 1024;
    const CHUNK = Buffer.alloc(64 * 1024, 'x');
    let written = 0;
    let cut = false;
    const huge = await httpReceiver((req, res) => {
      req.resume();
      res.on('close', () => (cut = written < TEN_MB));
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': TEN_MB });
      // Chunk by chunk, so the client's drop shows as a close before the 10 MB are out.
      const more = (): void => {
        if (res.destroyed) return;
        if (written >= TEN_MB) return void res.end();
        written += CHUNK.length;
        if (res.write(CHUNK)) setImmediate(more);
        else res.once('drain', more);
      };
      more();
    });
    bad.push(huge);
    const s = await scenario(huge.url);
    await s.toggle(true);
    expect(await s.settled()).toMatchObject({
      state: 'succeeded',
      attempts: 1,
      status_code: 200,
      error: null,
    });
    // The connection was dropped long before the 10 MB were taken.
    await until('the receiver sees its answer cut', () => (cut ? true : undefined));
    expect(written).toBeLessThan(TEN_MB);
    expect(huge.requests()).toBe(1);
  });

  it('a receiver that closes the connection mid-request → a failed attempt each time, retried, then failed', async () => {
    const rude = await httpReceiver((req) => req.socket.destroy());
    bad.push(rude);
    const s = await scenario(rude.url);
    await s.toggle(true);
    const delivery = await s.settled();
    expect(delivery).toMatchObject({ state: 'failed', attempts: 3, status_code: null });
    expect(delivery.error).toMatch(/socket hang up|ECONNRESET/);
    expect(rude.requests()).toBe(3);
  });

  it('a receiver that cuts its answer after the status → a failed attempt with that status, retried', async () => {
    const cut = await httpReceiver((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-length': 1000 });
      res.write('partial', () => res.socket?.destroy());
    });
    bad.push(cut);
    const s = await scenario(cut.url);
    await s.toggle(true);
    expect(await s.settled()).toMatchObject({
      state: 'failed',
      attempts: 3,
      status_code: 200,
      error: 'connection closed mid-answer (status 200)',
    });
  });

  it('a TCP listener that never answers at all → timed out each attempt, retried, failed; the write stays stored', async () => {
    let connections = 0;
    const sockets = new Set<Socket>();
    const silent = createTcpServer((socket) => {
      connections++;
      sockets.add(socket);
      socket.pause(); // reads nothing, writes nothing
    });
    const url = await listen(silent);
    bad.push({
      url,
      requests: () => connections,
      close: () => {
        sockets.forEach((s) => s.destroy());
        silent.close();
      },
    });
    const s = await scenario(url);
    await s.toggle(true);
    await s.toggle(false);
    const delivery = await s.settled();
    expect(delivery).toMatchObject({
      state: 'failed',
      attempts: 3,
      status_code: null,
      error: `no answer within ${TIMEOUT_MS} ms`,
    });
    expect(connections).toBeGreaterThanOrEqual(3);
  });
});
