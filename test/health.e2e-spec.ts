import { startTestApp, TestApp } from './support/app';

describe('health probes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(['/health/liveness/', '/health/liveness'])(
    'liveness %s answers 200 {"status":"ok"}',
    async (path) => {
      const res = await fetch(`${t.url}${path}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    },
  );

  it.each([
    '/health/readiness/',
    '/health/readiness',
    '/health/',
    '/health',
    '/healthcheck/',
    '/healthcheck',
  ])('readiness %s with a healthy database and no pending migration answers 200', async (path) => {
    const res = await fetch(`${t.url}${path}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; details: Record<string, { status: string }> };
    expect(body.status).toBe('ok');
    expect(body.details.database.status).toBe('up');
    expect(body.details.migrations.status).toBe('up');
  });
});
