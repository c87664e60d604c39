import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest, IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startTestApp, TestApp } from './support/app';

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json: () => unknown;
}

/** Plain node:http so that Host can be set and compressed bodies are seen as sent. */
function send(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const text = body.toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            text,
            json: () => JSON.parse(text),
          });
        });
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

const BIG_ITEMS = Array.from({ length: 200 }, (_, i) => ({
  id: i,
  name: `feature_${i}`,
  enabled: i % 2 === 0,
}));

/** Test-only routes on the Fastify instance: a large JSON body, a crash, and a JSON echo. */
function addTestRoutes(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.get('/test/big/', async () => BIG_ITEMS);
  fastify.get('/test/boom/', async () => {
    throw new Error('secret internal detail at /srv/db password=hunter2');
  });
  fastify.post('/test/echo/', async (request) => ({ received: request.body ?? null }));
}

async function waitFor<T>(read: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('HTTP pipeline with JSON logs, gzip, an allow-list of hosts and an access log', () => {
  let t: TestApp;
  const dir = mkdtempSync(join(tmpdir(), 'flagport-http-'));
  const accessLog = join(dir, 'nested', 'access.log');

  beforeAll(async () => {
    t = await startTestApp(
      {
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'DEBUG',
        ENABLE_GZIP_COMPRESSION: 'true',
        DJANGO_ALLOWED_HOSTS: 'api.example.com,.flags.test,127.0.0.1',
        DJANGO_SECURE_REFERRER_POLICY: 'no-referrer',
        FLAGSMITH_CORS_EXTRA_ALLOW_HEADERS: 'X-Custom-One,x-custom-two',
        ACCESS_LOG_LOCATION: accessLog,
      },
      { beforeListen: addTestRoutes },
    );
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('LOG_FORMAT=json: every log line, Nest start-up lines included, is one JSON object', async () => {
    await send(t.url, '/test/boom/');
    expect(t.logs.length).toBeGreaterThan(3);
    for (const line of t.logs) {
      const record = JSON.parse(line);
      expect(typeof record).toBe('object');
      expect(typeof record.level).toBe('string');
      expect(typeof record.msg).toBe('string');
    }
    expect(t.logs.some((l) => JSON.parse(l).context === 'RoutesResolver')).toBe(true);
  });

  it('gzip on: a large response to a client accepting gzip is gzip-encoded', async () => {
    const res = await send(t.url, '/test/big/', {
      headers: { 'accept-encoding': 'gzip', host: '127.0.0.1' },
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(res.body).toString('utf8'))).toEqual(BIG_ITEMS);
  });

  it('gzip on: a response under the threshold is sent uncompressed', async () => {
    const res = await send(t.url, '/health/liveness/', { headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('gzip on: a client that does not accept gzip gets plain JSON', async () => {
    const res = await send(t.url, '/test/big/', { headers: { 'accept-encoding': 'identity' } });
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.json()).toEqual(BIG_ITEMS);
  });

  it.each([
    ['an exact host', 'api.example.com'],
    ['an exact host with a port', 'api.example.com:8000'],
    ['the bare domain of a .domain pattern', 'flags.test'],
    ['a subdomain of a .domain pattern', 'eu.app.flags.test'],
    ['an upper-case host', 'API.EXAMPLE.COM'],
  ])('allowed hosts: %s (%s) is served', async (_name, host) => {
    const res = await send(t.url, '/test/big/', { headers: { host } });
    expect(res.status).toBe(200);
  });

  it.each([
    ['another host', 'evil.example.org'],
    ['a look-alike suffix', 'notflags.test'],
    ['a subdomain of an exact host', 'x.api.example.com'],
  ])('allowed hosts: %s (%s) is refused with 400 JSON', async (_name, host) => {
    const res = await send(t.url, '/test/big/', { headers: { host } });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({ detail: `Invalid HTTP_HOST header: '${host}'.` });
  });

  it('allowed hosts: health probes by pod IP are exempt', async () => {
    const res = await send(t.url, '/health/liveness/', { headers: { host: '10.1.2.3:8000' } });
    expect(res.status).toBe(200);
  });

  it('security headers: Referrer-Policy from DJANGO_SECURE_REFERRER_POLICY, nosniff and DENY on every response', async () => {
    const res = await send(t.url, '/health/liveness/');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
  });

  it('CORS: a preflight asking for an extra allowed header is answered 200 with it allowed', async () => {
    const res = await send(t.url, '/api/v1/flags/', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.net',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'x-environment-key, x-custom-one',
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    const allowed = String(res.headers['access-control-allow-headers']).split(', ');
    expect(allowed).toEqual(
      expect.arrayContaining([
        'x-environment-key',
        'flagsmith-sdk-user-agent',
        'x-custom-one',
        'x-custom-two',
        'content-type',
        'authorization',
      ]),
    );
    expect(String(res.headers['access-control-allow-methods'])).toContain('POST');
    expect(res.body.length).toBe(0);
  });

  it('CORS: a plain cross-origin GET carries Access-Control-Allow-Origin: *; a same-origin one does not', async () => {
    const cross = await send(t.url, '/health/liveness/', { headers: { origin: 'https://app.example.net' } });
    expect(cross.headers['access-control-allow-origin']).toBe('*');
    const same = await send(t.url, '/health/liveness/');
    expect(same.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('request id: an incoming X-Request-Id is echoed', async () => {
    const res = await send(t.url, '/health/liveness/', { headers: { 'x-request-id': 'abc-123.xyz' } });
    expect(res.headers['x-request-id']).toBe('abc-123.xyz');
  });

  it('request id: without one (or with a malformed one) a fresh UUID is generated per request', async () => {
    const a = await send(t.url, '/health/liveness/');
    const b = await send(t.url, '/health/liveness/', { headers: { 'x-request-id': 'bad id with spaces' } });
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    expect(a.headers['x-request-id']).toMatch(uuid);
    expect(b.headers['x-request-id']).toMatch(uuid);
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
  });

  it('routes: answered with and without the trailing slash', async () => {
    expect((await send(t.url, '/test/big')).status).toBe(200);
    expect((await send(t.url, '/test/big/')).status).toBe(200);
  });

  it('errors: malformed JSON body → 400 {"detail": "JSON parse error - …"}', async () => {
    const res = await send(t.url, '/test/echo/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": ',
    });
    expect(res.status).toBe(400);
    expect((res.json() as { detail: string }).detail).toMatch(/^JSON parse error - /);
  });

  it('errors: an empty JSON body is read as no data, as DRF does', async () => {
    const res = await send(t.url, '/test/echo/', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': '0' },
    });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ received: null });
  });

  it('errors: an unsupported media type → 415 JSON naming it', async () => {
    const res = await send(t.url, '/test/echo/', {
      method: 'POST',
      headers: { 'content-type': 'application/x-flagport-unknown' },
      body: 'zzz',
    });
    expect(res.status).toBe(415);
    expect(res.json()).toEqual({
      detail: 'Unsupported media type "application/x-flagport-unknown" in request.',
    });
  });

  it('errors: a body over the limit → 413 {"detail": "Request body is too large."}', async () => {
    const big = `{"v":"${'x'.repeat(t.app.getHttpAdapter().getInstance().initialConfig.bodyLimit ?? 0)}"}`;
    const res = await send(t.url, '/test/echo/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    expect(res.status).toBe(413);
    expect(res.json()).toEqual({ detail: 'Request body is too large.' });
  });

  it('errors: an unknown route → 404 {"detail": "Not found."}', async () => {
    const res = await send(t.url, '/api/v1/does-not-exist/');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({ detail: 'Not found.' });
  });

  it('errors: an unexpected exception → 500 generic detail, no stack or message in the body, logged with the request id', async () => {
    const res = await send(t.url, '/test/boom/', { headers: { 'x-request-id': 'boom-req-1' } });
    expect(res.status).toBe(500);
    expect(res.json()).toEqual({ detail: 'A server error occurred.' });
    expect(res.text).not.toMatch(/hunter2|secret internal|at \//);
    const logged = t.logs.map((l) => JSON.parse(l)).find((r) => r.request_id === 'boom-req-1');
    expect(logged).toBeDefined();
    expect(logged.level).toBe('error');
    expect(logged.err.message).toContain('secret internal detail');
  });

  it('access log: LOG_FORMAT=json writes one JSON record per request to the file, folder created', async () => {
    await send(t.url, '/health/liveness/?probe=1', {
      headers: { 'x-request-id': 'access-json-1', 'user-agent': 'jest-ua' },
    });
    const record = await waitFor(() => {
      if (!existsSync(accessLog)) return undefined;
      return readFileSync(accessLog, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .find((r) => r.request_id === 'access-json-1');
    });
    expect(record).toMatchObject({
      method: 'GET',
      path: '/health/liveness/?probe=1',
      status: '200',
      user_agent: 'jest-ua',
    });
    expect(record.msg).toMatch(/"GET \/health\/liveness\/\?probe=1 HTTP\/1\.1" 200 /);
  });
});

describe('HTTP pipeline behind a proxy: X-Forwarded-Host, HTTPS redirect with exemptions, text access log', () => {
  let t: TestApp;
  const dir = mkdtempSync(join(tmpdir(), 'flagport-http-'));
  const accessLog = join(dir, 'access.log');

  beforeAll(async () => {
    t = await startTestApp(
      {
        DJANGO_ALLOWED_HOSTS: 'public.example.com',
        USE_X_FORWARDED_HOST: 'true',
        DJANGO_SECURE_SSL_REDIRECT: 'true',
        DJANGO_SECURE_REDIRECT_EXEMPT: '^test/big/?$,^api/v1/exempt',
        ACCESS_LOG_LOCATION: accessLog,
        ACCESS_LOG_FORMAT:
          '%(h)s|%(m)s|%(U)s|%(q)s|%(H)s|%(s)s|%(B)s|%(f)s|%(a)s|%({x-trace}i)s|%({x-request-id}o)s|%(zz)s|100%%|%(t)s|%(D)s|%(r)s',
      },
      { beforeListen: addTestRoutes },
    );
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gzip off: a large response is never compressed, even when the client accepts gzip', async () => {
    const res = await send(t.url, '/test/big/', {
      headers: { host: 'x', 'x-forwarded-host': 'public.example.com', 'accept-encoding': 'gzip' },
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.json()).toEqual(BIG_ITEMS);
  });

  it('USE_X_FORWARDED_HOST: the forwarded host is checked, not Host', async () => {
    const ok = await send(t.url, '/test/big/', {
      headers: { host: 'internal:8000', 'x-forwarded-host': 'public.example.com' },
    });
    expect(ok.status).toBe(200);
    const bad = await send(t.url, '/test/big/', {
      headers: { host: 'public.example.com', 'x-forwarded-host': 'evil.test' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json()).toEqual({ detail: "Invalid HTTP_HOST header: 'evil.test'." });
  });

  it('SSL redirect: plain HTTP → 301 to https on the forwarded host, path and query kept', async () => {
    const res = await send(t.url, '/api/v1/flags/?page=2', {
      headers: { 'x-forwarded-host': 'public.example.com' },
    });
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('https://public.example.com/api/v1/flags/?page=2');
  });

  it('SSL redirect: X-Forwarded-Proto: https marks the request secure → no redirect', async () => {
    const res = await send(t.url, '/api/v1/no-such-route/', {
      headers: { 'x-forwarded-host': 'public.example.com', 'x-forwarded-proto': 'https' },
    });
    expect(res.status).toBe(404); // reached routing: not redirected
  });

  it('SSL redirect: a path matching DJANGO_SECURE_REDIRECT_EXEMPT is served over HTTP', async () => {
    const res = await send(t.url, '/api/v1/exempt/thing', {
      headers: { 'x-forwarded-host': 'public.example.com' },
    });
    expect(res.status).toBe(404);
    const big = await send(t.url, '/test/big', { headers: { 'x-forwarded-host': 'public.example.com' } });
    expect(big.status).toBe(200);
  });

  it('SSL redirect: health probes are exempt from both redirect and host check', async () => {
    const res = await send(t.url, '/health/liveness/', { headers: { host: '10.0.0.7' } });
    expect(res.status).toBe(200);
  });

  it('access log: ACCESS_LOG_FORMAT atoms are rendered gunicorn-style, one line per request', async () => {
    await send(t.url, '/test/big/?a=1&b=2', {
      headers: {
        host: 'internal',
        'x-forwarded-host': 'public.example.com',
        'x-forwarded-proto': 'https',
        'x-request-id': 'access-text-1',
        'x-trace': 'tr-9',
        referer: 'https://ref.example/',
        'user-agent': 'agent "quoted"',
      },
    });
    const line = await waitFor(() =>
      existsSync(accessLog)
        ? readFileSync(accessLog, 'utf8')
            .split('\n')
            .find((l) => l.includes('access-text-1'))
        : undefined,
    );
    const fields = line.split('|');
    const size = Buffer.byteLength(JSON.stringify(BIG_ITEMS));
    expect(fields.slice(0, 12)).toEqual([
      '127.0.0.1',
      'GET',
      '/test/big/',
      'a=1&b=2',
      'HTTP/1.1',
      '200',
      String(size),
      'https://ref.example/',
      'agent \\"quoted\\"',
      'tr-9',
      'access-text-1',
      '-',
    ]);
    expect(fields[12]).toBe('100%');
    expect(fields[13]).toMatch(/^\[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\]$/);
    expect(fields[14]).toMatch(/^\d+$/);
    expect(fields[15]).toBe('GET /test/big/?a=1&b=2 HTTP/1.1');
  });
});

describe('HTTPS redirect with DJANGO_SECURE_SSL_HOST and a custom proxy header', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      DJANGO_SECURE_SSL_REDIRECT: 'true',
      DJANGO_SECURE_SSL_HOST: 'secure.example.com',
      SECURE_PROXY_SSL_HEADER_NAME: 'HTTP_X_SCHEME',
      SECURE_PROXY_SSL_HEADER_VALUE: 'secure',
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('redirects to the configured SSL host', async () => {
    const res = await send(t.url, '/api/v1/flags/', { headers: { host: 'plain.example.com' } });
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('https://secure.example.com/api/v1/flags/');
  });

  it('the header named by SECURE_PROXY_SSL_HEADER_NAME with the configured value marks the request secure', async () => {
    expect((await send(t.url, '/api/v1/no-such-route/', { headers: { 'x-scheme': 'secure' } })).status).toBe(
      404,
    );
    expect((await send(t.url, '/api/v1/flags/', { headers: { 'x-scheme': 'https' } })).status).toBe(301);
    expect((await send(t.url, '/api/v1/flags/', { headers: { 'x-forwarded-proto': 'https' } })).status).toBe(
      301,
    );
  });
});
