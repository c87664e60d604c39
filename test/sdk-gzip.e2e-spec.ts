import { request as httpRequest } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { DataSource } from 'typeorm';
import { startTestApp, TestApp } from './support/app';
import { seedDataset, SeededDataset } from './support/seed-dataset';

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** A request with node:http (fetch would decode the body and hide what was sent). */
function call(
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}

function get(url: string, headers: Record<string, string>): Promise<RawResponse> {
  return call('GET', url, headers);
}

const SMALL_DATASET = {
  features: 12,
  multivariateFeatures: 2,
  segments: 3,
  identities: 2,
  traitsPerIdentity: 2,
  identityOverrides: 1,
  seed: 7,
};

describe('SDK pre-serialised responses with ENABLE_GZIP_COMPRESSION=true', () => {
  let t: TestApp;
  let data: SeededDataset;
  let api: string;

  beforeAll(async () => {
    t = await startTestApp({ ENABLE_GZIP_COMPRESSION: 'true', ENABLE_API_USAGE_TRACKING: 'false' });
    data = await seedDataset(t.app.get(DataSource), SMALL_DATASET);
    api = `${t.url}/api/v1`;
  });
  afterAll(() => t.close());

  it.each([
    ['/flags/', 'clientKey', ['x-environment-key', 'accept-encoding']],
    ['/environment-document/', 'serverKey', ['accept-encoding']],
  ] as const)(
    'GET %s accepting gzip → gzip bytes that decode to the plain body, same ETag, Vary names Accept-Encoding',
    async (path, key, vary) => {
      const plain = await get(`${api}${path}`, { 'x-environment-key': data[key] });
      const zipped = await get(`${api}${path}`, {
        'x-environment-key': data[key],
        'accept-encoding': 'gzip, deflate, br',
      });
      expect(plain.status).toBe(200);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.body.length).toBeGreaterThan(1024);
      expect(zipped.status).toBe(200);
      expect(zipped.headers['content-encoding']).toBe('gzip');
      expect(zipped.body.length).toBeLessThan(plain.body.length);
      expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
      expect(zipped.headers.etag).toBe(plain.headers.etag);
      for (const res of [plain, zipped]) {
        expect(String(res.headers.vary).toLowerCase().split(/,\s*/)).toEqual(
          expect.arrayContaining([...vary]),
        );
      }
    },
  );

  it('GET /flags/ twice accepting gzip → the same compressed bytes (kept with the snapshot)', async () => {
    const headers = { 'x-environment-key': data.clientKey, 'accept-encoding': 'gzip' };
    const first = await get(`${api}/flags/`, headers);
    const second = await get(`${api}/flags/`, headers);
    expect(second.body.equals(first.body)).toBe(true);
  });

  it.each([
    ['gzip;q=0', undefined],
    ['gzip;q=0, *', undefined],
    ['identity', undefined],
    ['*', 'gzip'],
    ['br;q=1.0, GZIP;q=0.5', 'gzip'],
    ['x-gzip', 'gzip'],
  ])('GET /flags/ with Accept-Encoding "%s" → content-encoding %s', async (accept, encoding) => {
    const res = await get(`${api}/flags/`, {
      'x-environment-key': data.clientKey,
      'accept-encoding': accept,
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe(encoding);
    const text = (encoding === 'gzip' ? gunzipSync(res.body) : res.body).toString('utf8');
    expect((JSON.parse(text) as unknown[]).length).toBeGreaterThan(0);
  });

  it('GET /flags/ with a matching If-None-Match while accepting gzip → 304 with no body', async () => {
    const first = await get(`${api}/flags/`, {
      'x-environment-key': data.clientKey,
      'accept-encoding': 'gzip',
    });
    const again = await get(`${api}/flags/`, {
      'x-environment-key': data.clientKey,
      'accept-encoding': 'gzip',
      'if-none-match': String(first.headers.etag),
    });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it('GET /flags/?feature= (one small flag) accepting gzip → sent as it is (under the 1 kB threshold)', async () => {
    const res = await get(`${api}/flags/?feature=${encodeURIComponent(data.featureNames[0])}`, {
      'x-environment-key': data.clientKey,
      'accept-encoding': 'gzip',
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect((JSON.parse(res.body.toString('utf8')) as { feature: { name: string } }).feature.name).toBe(
      data.featureNames[0],
    );
  });
  it.each([
    [
      'POST',
      '/identities/',
      { identifier: 'gzip-user', traits: [{ trait_key: 'plan', trait_value: 'pro' }] },
    ],
    ['POST', '/identities/', { identifier: 'gzip-transient', transient: true }],
    ['GET', '/identities/?identifier=gzip-user', undefined],
  ] as const)(
    '%s %s accepting gzip → gzip bytes decoding to the same JSON as the plain answer',
    async (method, path, body) => {
      const headers = { 'x-environment-key': data.serverKey, 'content-type': 'application/json' };
      const plain = await call(method, `${api}${path}`, headers, body);
      const zipped = await call(method, `${api}${path}`, { ...headers, 'accept-encoding': 'gzip' }, body);
      expect(plain.status).toBe(200);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(zipped.status).toBe(200);
      expect(zipped.headers['content-encoding']).toBe('gzip');
      expect(JSON.parse(gunzipSync(zipped.body).toString('utf8'))).toEqual(
        JSON.parse(plain.body.toString('utf8')),
      );
      for (const res of [plain, zipped]) expect(String(res.headers.vary)).toMatch(/accept-encoding/i);
    },
  );

  it('GET /identities/ accepting gzip after a trait write → the gzip bytes carry the new trait (not a stale copy)', async () => {
    const headers = { 'x-environment-key': data.serverKey, 'content-type': 'application/json' };
    const url = `${api}/identities/?identifier=gzip-cached`;
    const traitsOf = async (): Promise<unknown> => {
      const res = await call('GET', url, { ...headers, 'accept-encoding': 'gzip' });
      expect(res.headers['content-encoding']).toBe('gzip');
      return (JSON.parse(gunzipSync(res.body).toString('utf8')) as { traits: unknown }).traits;
    };
    expect(await traitsOf()).toEqual([]);
    expect(await traitsOf()).toEqual([]);
    const write = await call('POST', `${api}/identities/`, headers, {
      identifier: 'gzip-cached',
      traits: [{ trait_key: 'plan', trait_value: 'enterprise' }],
    });
    expect(write.status).toBe(200);
    expect(await traitsOf()).toEqual([
      expect.objectContaining({ trait_key: 'plan', trait_value: 'enterprise' }),
    ]);
  });

  it('OFREP bulk evaluation without a targetingKey accepting gzip → gzipped, decoding to the plain answer', async () => {
    const url = `${t.url}/ofrep/v1/evaluate/flags`;
    const headers = { 'x-api-key': data.clientKey, 'content-type': 'application/json' };
    const plain = await call('POST', url, headers, { context: {} });
    const zipped = await call('POST', url, { ...headers, 'accept-encoding': 'gzip' }, { context: {} });
    expect(plain.body.length).toBeGreaterThan(1024);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(String(zipped.headers.vary)).toMatch(/accept-encoding/i);
    expect(JSON.parse(gunzipSync(zipped.body).toString('utf8'))).toEqual(
      JSON.parse(plain.body.toString('utf8')),
    );
  });

  it('OFREP bulk evaluation accepting gzip → gzipped, decoding to the same JSON as the plain answer', async () => {
    const url = `${t.url}/ofrep/v1/evaluate/flags`;
    const headers = { 'x-api-key': data.clientKey, 'content-type': 'application/json' };
    const body = { context: { targetingKey: 'gzip-user', plan: 'pro' } };
    const plain = await call('POST', url, headers, body);
    const zipped = await call('POST', url, { ...headers, 'accept-encoding': 'gzip' }, body);
    expect(plain.status).toBe(200);
    expect(plain.body.length).toBeGreaterThan(1024);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(zipped.body).toString('utf8'))).toEqual(
      JSON.parse(plain.body.toString('utf8')),
    );
  });

  it('PUT /traits/bulk/ accepting gzip → a small echo is sent as it is', async () => {
    const res = await call(
      'PUT',
      `${api}/traits/bulk/`,
      { 'x-environment-key': data.serverKey, 'content-type': 'application/json', 'accept-encoding': 'gzip' },
      [{ identity: { identifier: 'gzip-user' }, trait_key: 'tier', trait_value: 2 }],
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(res.body.toString('utf8'))).toEqual([
      expect.objectContaining({ trait_key: 'tier', trait_value: 2 }),
    ]);
  });
});

describe('SDK pre-serialised responses with gzip off (the default)', () => {
  let t: TestApp;
  let data: SeededDataset;

  beforeAll(async () => {
    t = await startTestApp({ ENABLE_API_USAGE_TRACKING: 'false' });
    data = await seedDataset(t.app.get(DataSource), SMALL_DATASET);
  });
  afterAll(() => t.close());

  it('GET /flags/ accepting gzip → plain JSON, Vary without Accept-Encoding', async () => {
    const res = await get(`${t.url}/api/v1/flags/`, {
      'x-environment-key': data.clientKey,
      'accept-encoding': 'gzip',
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(String(res.headers.vary).toLowerCase()).not.toContain('accept-encoding');
    expect((JSON.parse(res.body.toString('utf8')) as unknown[]).length).toBeGreaterThan(0);
  });
});
