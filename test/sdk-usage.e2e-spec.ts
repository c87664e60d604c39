import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { UsageService } from '../src/usage/usage.service';
import { startTestApp, TestApp } from './support/app';
import { queryDatabase } from './support/database';
import { sdk, SdkFixture, seedSdkFixture } from './support/sdk-fixtures';

describe('SDK usage tracking and flag analytics (ENABLE_API_USAGE_TRACKING, InfluxDB)', () => {
  let influx: Server;
  const writes: { url: string; auth: string | undefined; body: string }[] = [];
  let t: TestApp;
  let f: SdkFixture;
  let api: string;

  beforeAll(async () => {
    influx = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        writes.push({ url: req.url ?? '', auth: req.headers.authorization, body });
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((r) => influx.listen(0, '127.0.0.1', r));
    t = await startTestApp({
      ENABLE_API_USAGE_TRACKING: 'true',
      INFLUXDB_URL: `http://127.0.0.1:${(influx.address() as AddressInfo).port}`,
      INFLUXDB_TOKEN: 'tok',
      INFLUXDB_ORG: 'org',
      INFLUXDB_BUCKET: 'usage',
    });
    f = await seedSdkFixture(t.app.get(DataSource));
    api = `${t.url}/api/v1`;
  });
  afterAll(async () => {
    await t.close();
    await new Promise<void>((r) => influx.close(() => r()));
  });

  const usageRows = () =>
    queryDatabase<{ resource: string; count: string }>(
      t.databaseUrl,
      'SELECT resource, count FROM api_usage_daily WHERE environment_id = $1 ORDER BY resource',
      [f.environmentId],
    );

  it('SDK requests counted per environment, resource and day: one row per key, not one per request', async () => {
    for (let i = 0; i < 30; i++) await sdk(api, '/flags/', f.clientKey);
    for (let i = 0; i < 3; i++) await sdk(api, '/identities/?identifier=u', f.clientKey);
    await sdk(api, '/environment-document/', f.serverKey);
    await sdk(api, '/traits/', f.serverKey, {
      method: 'POST',
      body: { identity: { identifier: 'u' }, trait_key: 'a', trait_value: 1 },
    });
    expect(await usageRows()).toEqual([]);
    await t.app.get(UsageService).flush();
    expect(await usageRows()).toEqual([
      { resource: 'environment_document', count: '1' },
      { resource: 'flags', count: '30' },
      { resource: 'identities', count: '3' },
      { resource: 'traits', count: '1' },
    ]);
  });

  it('a second flush adds to the same rows (upsert)', async () => {
    for (let i = 0; i < 5; i++) await sdk(api, '/flags/', f.serverKey);
    await t.app.get(UsageService).flush();
    expect((await usageRows()).find((r) => r.resource === 'flags')).toEqual({
      resource: 'flags',
      count: '35',
    });
  });

  it('requests refused for a bad key are not counted', async () => {
    await sdk(api, '/flags/', 'nope');
    await t.app.get(UsageService).flush();
    expect((await usageRows()).find((r) => r.resource === 'flags')?.count).toBe('35');
  });

  it('flag analytics: counts summed per feature and day; unknown features and non-integers dropped', async () => {
    await sdk(api, '/analytics/flags/', f.clientKey, {
      method: 'POST',
      body: { flag_on: 3, mv: 2, nope: 9, flag_off: 'x' },
    });
    await sdk(api, '/analytics/flags/', f.serverKey, { method: 'POST', body: { flag_on: 4 } });
    await t.app.get(UsageService).flush();
    const rows = await queryDatabase<{ feature_name: string; count: string }>(
      t.databaseUrl,
      'SELECT feature_name, count FROM feature_evaluations_daily WHERE environment_id = $1 ORDER BY feature_name',
      [f.environmentId],
    );
    expect(rows).toEqual([
      { feature_name: 'flag_on', count: '7' },
      { feature_name: 'mv', count: '2' },
    ]);
  });

  it('InfluxDB configured: the flush POSTs line protocol with the token to /api/v2/write', async () => {
    const lines = writes.flatMap((w) => w.body.split('\n'));
    expect(writes[0].url).toBe('/api/v2/write?org=org&bucket=usage&precision=s');
    expect(writes[0].auth).toBe('Token tok');
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(`^api_call,environment_id=${f.environmentId},resource=flags request_count=30i \\d+$`),
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^feature_evaluation,environment_id=${f.environmentId},feature_id=flag_on request_count=7i \\d+$`,
        ),
      ),
    );
  });

  it('counters still pending at shutdown are flushed by close()', async () => {
    const other = await startTestApp({ ENABLE_API_USAGE_TRACKING: 'true', DATABASE_URL: t.databaseUrl });
    await sdk(`${other.url}/api/v1`, '/environment-document/', f.serverKey);
    await other.close();
    expect((await usageRows()).find((r) => r.resource === 'environment_document')?.count).toBe('2');
  });
});
// Counting rules (ENABLE_API_USAGE_TRACKING=false, day roll-over, bounds, failed writes) are pinned without a
// server in src/usage/*.spec.ts; this file keeps what needs the real database, InfluxDB and app lifecycle.
