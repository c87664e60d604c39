import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { BadRequestException } from '@nestjs/common';
import * as Sentry from '@sentry/nestjs';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '../src/config';
import { errorTracker } from '../src/telemetry/error-reporter';
import { initSentry } from '../src/telemetry/sentry';
import { startTestApp, TestApp } from './support/app';
import { spawnServer } from './support/server-process';
import { createTestDatabase, queryDatabase } from './support/database';

interface EnvelopeItem {
  type: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Sentry payloads are read field by field
  payload: Record<string, any>;
}
interface Envelope {
  raw: string;
  header: Record<string, unknown>;
  items: EnvelopeItem[];
}

/** A fake Sentry ingest on 127.0.0.1 that records every envelope. */
async function fakeSentry(): Promise<{ dsn: string; envelopes: Envelope[]; close(): Promise<void> }> {
  const envelopes: Envelope[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const raw = body.toString('utf8');
      if (req.url?.startsWith('/api/42/envelope/')) {
        const lines = raw.split('\n').filter(Boolean);
        const items: EnvelopeItem[] = [];
        for (let i = 1; i + 1 < lines.length; i += 2) {
          items.push({ type: JSON.parse(lines[i]).type, payload: JSON.parse(lines[i + 1]) });
        }
        envelopes.push({ raw, header: JSON.parse(lines[0]), items });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    dsn: `http://publickey@127.0.0.1:${port}/42`,
    envelopes,
    close: () => new Promise((done) => server.close(() => done())),
  };
}

const SECRETS = {
  environmentKey: 'EnvKeySecret4f9a2c',
  token: 'TokenSecret8b1d7e',
  session: 'SessionSecret3c5e9f',
  queryKey: 'QueryKeySecret6a2b8d',
  password: 'PasswordSecret9d4c1a',
  bodyToken: 'BodyTokenSecret2e7f3b',
  serverKey: 'ser.ServerKeySecret5f8e2a',
};
const SECRET_HEADERS = {
  'x-environment-key': SECRETS.environmentKey,
  authorization: `Token ${SECRETS.token}`,
  cookie: `sessionid=${SECRETS.session}; theme=dark`,
  'user-agent': 'sentry-e2e',
};

function addFailingRoutes(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.get('/test/boom/', async () => {
    throw new Error(`boom while serving ${SECRETS.environmentKey} with password=${SECRETS.password}`);
  });
  fastify.post('/test/boom-body/', async () => {
    throw new Error('boom after reading the body');
  });
  fastify.get('/test/bad-request/', async () => {
    throw new BadRequestException({ detail: 'no' });
  });
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as AddressInfo;
  await new Promise((done) => probe.close(done));
  return port;
}

async function waitFor<T>(read: () => T | undefined, timeoutMs = 10000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const errorEvents = (envelopes: Envelope[]) =>
  envelopes.flatMap((e) => e.items.filter((i) => i.type === 'event').map((i) => i.payload));

describe('Sentry (SENTRY_SDK_DSN) with a fake ingest on 127.0.0.1', () => {
  let sentry: Awaited<ReturnType<typeof fakeSentry>>;
  let t: TestApp;
  let boomResponse: { status: number; body: unknown; requestId: string | null };

  beforeAll(async () => {
    sentry = await fakeSentry();
    const env = { SENTRY_SDK_DSN: sentry.dsn, ENVIRONMENT: 'sentry-test', SENTRY_TRACE_SAMPLE_RATE: '1.0' };
    expect(initSentry(loadConfig(env))).toBe(true);
    t = await startTestApp(env, { beforeListen: addFailingRoutes });

    await fetch(`${t.url}/no/such/route/`, { headers: SECRET_HEADERS });
    await fetch(`${t.url}/test/bad-request/`, { headers: SECRET_HEADERS });
    await fetch(`${t.url}/api/v1/analytics/telemetry/`, {
      method: 'POST',
      headers: { ...SECRET_HEADERS, 'content-type': 'application/json' },
      body: JSON.stringify({ env: 'x' }),
    });
    const res = await fetch(
      `${t.url}/test/boom/?api_key=${SECRETS.queryKey}&page=2&next=/api/v1/environments/${SECRETS.serverKey}/`,
      { headers: SECRET_HEADERS },
    );
    boomResponse = { status: res.status, body: await res.json(), requestId: res.headers.get('x-request-id') };
    await fetch(`${t.url}/test/boom-body/`, {
      method: 'POST',
      headers: { ...SECRET_HEADERS, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'visible', password: SECRETS.password, token: SECRETS.bodyToken }),
    });
    // A controller (not a raw route) failing: the telemetry receiver without its table.
    await queryDatabase(t.databaseUrl, 'DROP TABLE telemetry_reports');
    const controllerFailure = await fetch(`${t.url}/api/v1/analytics/telemetry/`, {
      method: 'POST',
      headers: { ...SECRET_HEADERS, 'content-type': 'application/json' },
      body: JSON.stringify({
        organisations: 1,
        projects: 1,
        environments: 1,
        features: 1,
        segments: 1,
        users: 1,
        debug_enabled: false,
        env: 'x',
      }),
    });
    expect(controllerFailure.status).toBe(500);
    await errorTracker()!.flush(5000);
    await waitFor(() => (errorEvents(sentry.envelopes).length >= 3 ? true : undefined));
  });
  afterAll(async () => {
    await t.close();
    // Stop the SDK so nothing more is sent from this worker process.
    await Sentry.close(2000);
    await sentry.close();
  });

  const boomEvent = () => errorEvents(sentry.envelopes).find((e) => e.request?.url?.includes('/test/boom/?'));
  const bodyEvent = () =>
    errorEvents(sentry.envelopes).find((e) => e.request?.url?.includes('/test/boom-body/'));

  const controllerEvent = () =>
    errorEvents(sentry.envelopes).find((e) => e.request?.url?.includes('/api/v1/analytics/telemetry/'));

  it('forced errors produce exactly one event each; the 404, 400 and invalid-body requests produce none', () => {
    const events = errorEvents(sentry.envelopes);
    expect(events).toHaveLength(3);
    expect(boomEvent()).toBeDefined();
    expect(bodyEvent()).toBeDefined();
    expect(controllerEvent()).toBeDefined();
  });

  it('error in a Nest controller is reported with its route pattern', () => {
    const event = controllerEvent()!;
    expect(event.exception.values[0].value).toMatch(/telemetry_reports/);
    expect(event.tags.route).toBe('/api/v1/analytics/telemetry');
    expect(event.request.method).toBe('POST');
  });

  it('client still gets the generic 500 body, not the error', () => {
    expect(boomResponse.status).toBe(500);
    expect(boomResponse.body).toEqual({ detail: 'A server error occurred.' });
  });

  it('event carries the exception, request method, URL, route, request id and ENVIRONMENT', () => {
    const event = boomEvent()!;
    expect(event.exception.values[0].type).toBe('Error');
    expect(event.exception.values[0].value).toContain('boom while serving');
    expect(event.request.method).toBe('GET');
    expect(event.request.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/test\/boom\/\?/);
    expect(event.request.headers['user-agent']).toBe('sentry-e2e');
    expect(event.tags.request_id).toBe(boomResponse.requestId);
    expect(event.tags.route).toBe('/test/boom/');
    expect(event.environment).toBe('sentry-test');
    expect(event.transaction).toBe('GET /test/boom/');
  });

  it('credential headers and cookies are replaced by [Filtered]', () => {
    const headers = boomEvent()!.request.headers;
    expect(headers['x-environment-key']).toBe('[Filtered]');
    expect(headers.authorization).toBe('[Filtered]');
    expect(headers.cookie).toBe('[Filtered]');
  });

  it('secret query parameters are filtered and the others kept', () => {
    const event = boomEvent()!;
    expect(event.request.url).toContain('api_key=[Filtered]');
    expect(event.request.url).toContain('page=2');
    expect(event.request.query_string).toContain('api_key=[Filtered]');
  });

  it('password and token fields of a JSON body are filtered and other fields kept', () => {
    const data = JSON.parse(bodyEvent()!.request.data);
    expect(data).toEqual({ name: 'visible', password: '[Filtered]', token: '[Filtered]' });
  });

  it('no secret value appears anywhere in anything sent to Sentry (events, transactions, breadcrumbs)', () => {
    expect(sentry.envelopes.length).toBeGreaterThan(0);
    for (const envelope of sentry.envelopes) {
      for (const secret of Object.values(SECRETS)) expect(envelope.raw).not.toContain(secret);
    }
  });
});

describe('Sentry in the built server (node dist/src/main.js)', () => {
  it('main.ts starts Sentry from SENTRY_SDK_DSN first and sends request traces named by route, without keys', async () => {
    const sentry = await fakeSentry();
    const port = await freePort();
    const server = spawnServer({
      DATABASE_URL: await createTestDatabase(),
      SENTRY_SDK_DSN: sentry.dsn,
      SENTRY_TRACE_SAMPLE_RATE: '1.0',
      ENVIRONMENT: 'spawned',
      ENABLE_TELEMETRY: 'false',
      DJANGO_SECRET_KEY: 'spawned-secret-key-0123456789-0123456789-0123456789',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'INFO',
    });
    try {
      await server.waitForOutput(/listening on http:\/\/127\.0\.0\.1:\d+/);
      const res = await fetch(`http://127.0.0.1:${port}/health/liveness/?token=${SECRETS.token}`, {
        headers: SECRET_HEADERS,
      });
      expect(res.status).toBe(200);
      const transaction = await waitFor(() =>
        sentry.envelopes
          .flatMap((e) => e.items)
          .find(
            (i) => i.type === 'transaction' && String(i.payload.transaction).includes('/health/liveness'),
          ),
      );
      expect(transaction.payload.transaction).toBe('GET /health/liveness');
      expect(transaction.payload.environment).toBe('spawned');
      for (const envelope of sentry.envelopes) {
        for (const secret of Object.values(SECRETS)) expect(envelope.raw).not.toContain(secret);
      }
    } finally {
      await server.stop();
      await sentry.close();
    }
  });
});
