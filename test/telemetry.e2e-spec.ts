import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { findExternalIp } from '../src/telemetry/telemetry-data';
import { TelemetryService } from '../src/telemetry/telemetry.service';
import { startTestApp, TestApp } from './support/app';
import { createTestDatabase, queryDatabase } from './support/database';

interface Received {
  method: string;
  url: string;
  contentType: string | undefined;
  body: unknown;
  at: number;
}

/** A fake telemetry receiver on 127.0.0.1; `respond` decides what (if anything) it answers. */
async function fakeReceiver(
  respond: (res: ServerResponse) => void = (res) => res.writeHead(201).end('{}'),
): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        contentType: req.headers['content-type'],
        body: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'),
        at: Date.now(),
      });
      respond(res);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/v1/analytics/telemetry/`,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise((done) => server.close(() => done()));
    },
  };
}

async function waitFor<T>(read: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A migrated database holding 2 organisations, 3 projects, 4 environments, 5 features (+1 deleted), 2 segments, 3 users. */
async function seededDatabase(): Promise<string> {
  const databaseUrl = await createTestDatabase();
  const migrate = await startTestApp({ DATABASE_URL: databaseUrl });
  await migrate.close();
  const q = (sql: string) => queryDatabase(databaseUrl, sql);
  await q(
    `INSERT INTO organisations (uuid, name) SELECT gen_random_uuid(), 'org ' || i FROM generate_series(1, 2) i`,
  );
  await q(
    `INSERT INTO projects (uuid, name, organisation_id) SELECT gen_random_uuid(), 'p' || i, (SELECT min(id) FROM organisations) FROM generate_series(1, 3) i`,
  );
  await q(
    `INSERT INTO environments (uuid, name, api_key, project_id) SELECT gen_random_uuid(), 'e' || i, 'key' || i, (SELECT min(id) FROM projects) FROM generate_series(1, 4) i`,
  );
  await q(
    `INSERT INTO features (uuid, name, project_id) SELECT gen_random_uuid(), 'f' || i, (SELECT min(id) FROM projects) FROM generate_series(1, 5) i`,
  );
  await q(
    `INSERT INTO features (uuid, name, project_id, deleted_at) VALUES (gen_random_uuid(), 'gone', (SELECT min(id) FROM projects), now())`,
  );
  await q(
    `INSERT INTO segments (uuid, name, project_id) SELECT gen_random_uuid(), 's' || i, (SELECT min(id) FROM projects) FROM generate_series(1, 2) i`,
  );
  await q(
    `INSERT INTO users (uuid, email, password) SELECT gen_random_uuid(), 'u' || i || '@example.com', '!' FROM generate_series(1, 3) i`,
  );
  return databaseUrl;
}

const externalIp = findExternalIp();
const EXPECTED_COUNTS = {
  organisations: 2,
  projects: 3,
  environments: 4,
  features: 5,
  segments: 2,
  users: 3,
};

describe('startup telemetry with ENABLE_TELEMETRY=true and TELEMETRY_URL set', () => {
  let databaseUrl: string;
  let receiver: Awaited<ReturnType<typeof fakeReceiver>>;
  let t: TestApp;

  beforeAll(async () => {
    databaseUrl = await seededDatabase();
    receiver = await fakeReceiver();
    t = await startTestApp({
      DATABASE_URL: databaseUrl,
      ENABLE_TELEMETRY: 'true',
      TELEMETRY_URL: receiver.url,
      ENVIRONMENT: 'telemetry-test',
      DEBUG: 'True',
      LOG_LEVEL: 'DEBUG',
    });
    await t.app.get(TelemetryService).lastReport;
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  it('receiver gets exactly one JSON POST with the install counts, debug flag, ENVIRONMENT and external IP', () => {
    expect(receiver.received).toHaveLength(1);
    const [report] = receiver.received;
    expect(report.method).toBe('POST');
    expect(report.contentType).toBe('application/json');
    expect(report.body).toEqual({
      ...EXPECTED_COUNTS,
      debug_enabled: true,
      env: 'telemetry-test',
      ...(externalIp !== undefined ? { external_ip: externalIp } : {}),
    });
  });

  it('counts are logged at debug level', () => {
    const line = t.logs.find((l) => l.includes('[Telemetry] telemetry: {'));
    expect(line).toBeDefined();
    expect(line).toContain('"organisations":2');
    expect(line).toContain('"features":5');
  });
});

describe('startup telemetry with a receiver that never answers', () => {
  let receiver: Awaited<ReturnType<typeof fakeReceiver>>;
  let t: TestApp;

  beforeAll(async () => {
    receiver = await fakeReceiver(() => undefined);
    t = await startTestApp({ ENABLE_TELEMETRY: 'true', TELEMETRY_URL: receiver.url, LOG_LEVEL: 'DEBUG' });
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  it('app serves requests while the report is still pending', async () => {
    await waitFor(() => receiver.received[0]);
    expect((await fetch(`${t.url}/health/readiness/`)).status).toBe(200);
  });

  it('report is abandoned after the 2 s timeout and the failure is logged at debug only', async () => {
    const sentAt = (await waitFor(() => receiver.received[0])).at;
    await t.app.get(TelemetryService).lastReport;
    const waited = Date.now() - sentAt;
    expect(waited).toBeGreaterThanOrEqual(1500);
    expect(waited).toBeLessThan(4000);
    const line = t.logs.find((l) => l.includes('telemetry not sent'));
    expect(line).toMatch(/DEBUG \[Telemetry\]/);
  });
});

describe('startup telemetry with an unreachable TELEMETRY_URL', () => {
  it('app starts and is ready; the failure is only logged at debug', async () => {
    const receiver = await fakeReceiver();
    const deadUrl = receiver.url;
    await receiver.close();
    const t = await startTestApp({ ENABLE_TELEMETRY: 'true', TELEMETRY_URL: deadUrl, LOG_LEVEL: 'DEBUG' });
    try {
      await t.app.get(TelemetryService).lastReport;
      expect((await fetch(`${t.url}/health/readiness/`)).status).toBe(200);
      expect(t.logs.some((l) => /DEBUG \[Telemetry\] telemetry not sent/.test(l))).toBe(true);
      expect(t.logs.filter((l) => /(WARNING|ERROR) \[Telemetry\]/.test(l))).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

describe('startup telemetry without TELEMETRY_URL', () => {
  it('counts are logged at debug level and nothing is sent', async () => {
    const t = await startTestApp({ ENABLE_TELEMETRY: 'true', LOG_LEVEL: 'DEBUG', ENVIRONMENT: 'quiet' });
    try {
      await t.app.get(TelemetryService).lastReport;
      const line = t.logs.find((l) => l.includes('[Telemetry] telemetry: {'));
      expect(line).toContain('"env":"quiet"');
      expect(t.logs.some((l) => l.includes('telemetry sent') || l.includes('telemetry not sent'))).toBe(
        false,
      );
    } finally {
      await t.close();
    }
  });
});

describe('startup telemetry with ENABLE_TELEMETRY=false', () => {
  it('nothing is counted, logged or sent', async () => {
    const receiver = await fakeReceiver();
    const t = await startTestApp({
      ENABLE_TELEMETRY: 'false',
      TELEMETRY_URL: receiver.url,
      LOG_LEVEL: 'DEBUG',
    });
    try {
      await t.app.get(TelemetryService).lastReport;
      await new Promise((r) => setTimeout(r, 500));
      expect(receiver.received).toEqual([]);
      expect(t.logs.some((l) => l.includes('[Telemetry]'))).toBe(false);
    } finally {
      await t.close();
      await receiver.close();
    }
  });
});

describe('POST /api/v1/analytics/telemetry/ (receiver)', () => {
  let t: TestApp;
  const post = (body: unknown) =>
    fetch(`${t.url}/api/v1/analytics/telemetry/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const rows = () =>
    queryDatabase(
      t.databaseUrl,
      'SELECT organisations, projects, environments, features, segments, users, debug_enabled, env, external_ip, remote_address FROM telemetry_reports ORDER BY id',
    );

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('valid report without credentials is stored with the sender’s address and echoed with 201', async () => {
    const report = {
      organisations: 1,
      projects: 2,
      environments: 3,
      features: 4,
      segments: 5,
      users: 6,
      debug_enabled: false,
      env: 'prod',
      external_ip: '203.0.113.7',
      unknown_field: 'ignored',
    };
    const res = await post(report);
    expect(res.status).toBe(201);
    const { unknown_field: _ignored, ...accepted } = report;
    expect(await res.json()).toEqual(accepted);
    expect(await rows()).toEqual([
      {
        organisations: 1,
        projects: 2,
        environments: 3,
        features: 4,
        segments: 5,
        users: 6,
        debug_enabled: false,
        env: 'prod',
        external_ip: '203.0.113.7',
        remote_address: '127.0.0.1',
      },
    ]);
  });

  it('report with missing, negative and mistyped fields gets 400 naming each field and stores nothing', async () => {
    const before = (await rows()).length;
    const res = await post({
      organisations: -1,
      projects: 'many',
      debug_enabled: 'perhaps',
      external_ip: 'nope',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      organisations: ['Ensure this value is greater than or equal to 0.'],
      projects: ['A valid integer is required.'],
      environments: ['This field is required.'],
      features: ['This field is required.'],
      segments: ['This field is required.'],
      users: ['This field is required.'],
      debug_enabled: ['Must be a valid boolean.'],
      env: ['This field is required.'],
      external_ip: ['Enter a valid IPv4 or IPv6 address.'],
    });
    expect((await rows()).length).toBe(before);
  });

  it('another install’s startup report is stored with exactly its counts', async () => {
    const databaseUrl = await seededDatabase();
    const sender = await startTestApp({
      DATABASE_URL: databaseUrl,
      ENABLE_TELEMETRY: 'true',
      TELEMETRY_URL: `${t.url}/api/v1/analytics/telemetry/`,
      ENVIRONMENT: 'sender',
    });
    try {
      await sender.app.get(TelemetryService).lastReport;
    } finally {
      await sender.close();
    }
    const stored = (await rows()).find((r) => r.env === 'sender');
    expect(stored).toEqual({
      ...EXPECTED_COUNTS,
      debug_enabled: false,
      env: 'sender',
      external_ip: externalIp ?? null,
      remote_address: '127.0.0.1',
    });
  });
});
