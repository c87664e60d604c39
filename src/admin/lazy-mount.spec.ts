import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { nestFastify } from '../http/fastify-options';
import { canonicalRequestTarget, LazyMount, LazyMountOptions } from './lazy-mount';

/** What the outer onResponse hook saw (the access log and metrics read the same). */
interface Seen {
  url: string;
  status: number;
  length: unknown;
  id: string;
}

/**
 * A real outer Fastify (Nest's copy) shaped like the API's: a JSON parser that reads bodies, an onRequest hook
 * that sets headers or refuses, an onResponse hook, a route of its own under /admin; and a LazyMount on it.
 */
async function setUp(fill: LazyMountOptions['fill']) {
  const outer = nestFastify()({ routerOptions: { ignoreTrailingSlash: true }, logger: false });
  outer.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
    done(null, JSON.parse(String(body))),
  );
  outer.addHook('onRequest', (request, reply, done) => {
    if (request.headers['x-refuse'] !== undefined) {
      void reply.code(403).send({ detail: 'refused' });
      return;
    }
    reply.header('x-request-id', request.id);
    reply.header('x-frame-options', 'DENY');
    done();
  });
  const seen: Seen[] = [];
  outer.addHook('onResponse', (request, reply, done) => {
    seen.push({
      url: request.url,
      status: reply.statusCode,
      length: reply.getHeader('content-length'),
      id: request.id,
    });
    done();
  });
  outer.get('/admin/login/google', () => ({ owner: 'outer' }));
  outer.get('/health', () => ({ ok: true }));
  const logs: string[] = [];
  const mount = new LazyMount({
    label: 'test panel',
    root: '/admin',
    methods: ['GET', 'POST'],
    innerOptions: { routerOptions: { ignoreTrailingSlash: true }, logger: false },
    fill,
    logger: { log: (message) => logs.push(message), error: (message) => logs.push(`ERROR ${message}`) },
  });
  await mount.register(outer);
  await outer.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(outer.server.address() as AddressInfo).port}`;
  return { outer, mount, logs, seen, base };
}

/** A panel that takes a moment to load: GET /admin, GET/POST /admin/echo (JSON and form bodies). */
function panel(counter: { fills: number }, failFirst = 0) {
  return async (inner: FastifyInstance) => {
    counter.fills++;
    await new Promise((done) => setTimeout(done, 100));
    if (counter.fills <= failFirst) throw new Error('cannot load the panel');
    inner.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
    inner.get('/admin', (request) => ({ page: 'home', id: request.id }));
    inner.post('/admin/echo', (request) => ({ body: request.body }));
  };
}

describe('LazyMount', () => {
  let app: Awaited<ReturnType<typeof setUp>> | undefined;
  afterEach(async () => {
    await app?.outer.close();
    app = undefined;
  });

  it('a fresh mount, given requests outside the root, to outer routes under it, of other methods or refused by an outer hook, loads nothing', async () => {
    const counter = { fills: 0 };
    app = await setUp(panel(counter));
    expect((await fetch(`${app.base}/health`)).status).toBe(200);
    expect((await fetch(`${app.base}/administrator`)).status).toBe(404);
    // Fastify's router prefers the outer instance's static route to the catch-all.
    expect(await (await fetch(`${app.base}/admin/login/google`)).json()).toEqual({ owner: 'outer' });
    expect((await fetch(`${app.base}/admin`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${app.base}/admin`, { headers: { 'x-refuse': '1' } })).status).toBe(403);
    expect(
      (await fetch(`${app.base}/admin/echo`, { method: 'POST', headers: { 'x-refuse': '1' } })).status,
    ).toBe(403);
    expect(counter.fills).toBe(0);
    expect(app.mount.loaded).toBe(false);
    expect(app.logs).toEqual([]);
  });

  it('the first request under the root loads the inner instance, which answers with the outer headers, request id and response record', async () => {
    const counter = { fills: 0 };
    app = await setUp(panel(counter));
    const res = await fetch(`${app.base}/admin/`, { headers: { 'x-request-id-in': 'x' } });
    const text = await res.text();
    const body = JSON.parse(text) as { page: string; id: string };
    expect(res.status).toBe(200);
    expect(body.page).toBe('home');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    // One request id: the inner instance uses the outer one.
    expect(res.headers.get('x-request-id')).toBe(body.id);
    expect(app.mount.loaded).toBe(true);
    expect(app.logs).toEqual([
      'loading the test panel (first request for /admin)',
      expect.stringMatching(/^test panel loaded in \d+ ms$/),
    ]);
    // The outer onResponse hook ran when the inner instance finished the raw response.
    await new Promise((done) => setImmediate(done));
    expect(app.seen).toEqual([
      { url: '/admin/', status: 200, length: String(Buffer.byteLength(text)), id: body.id },
    ]);
  });

  it('concurrent first requests share one load and are all answered', async () => {
    const counter = { fills: 0 };
    app = await setUp(panel(counter));
    const base = app.base;
    const answers = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        i % 2
          ? fetch(`${base}/admin`)
          : fetch(`${base}/admin/echo`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ i }),
            }),
      ),
    );
    expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200, 200]);
    expect(counter.fills).toBe(1);
    expect(app.logs.filter((line) => line.includes('loaded in'))).toHaveLength(1);
  });

  it('a POST body on the first request is left unread by the outer instance and parsed by the inner one', async () => {
    const counter = { fills: 0 };
    app = await setUp(panel(counter));
    const form = await fetch(`${app.base}/admin/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=root%40example.com&password=p%26ss',
    });
    expect(await form.json()).toEqual({ body: { email: 'root@example.com', password: 'p&ss' } });
    // The outer instance has a JSON parser of its own; the catch-all's scope must not use it either.
    const big = 'x'.repeat(300_000);
    const json = await fetch(`${app.base}/admin/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ big }),
    });
    expect(await json.json()).toEqual({ body: { big } });
    expect(counter.fills).toBe(1);
  });

  it('a failed load answers 503 with a JSON body and the outer headers, is logged, and the next request loads again', async () => {
    const counter = { fills: 0 };
    app = await setUp(panel(counter, 1));
    const first = await fetch(`${app.base}/admin`);
    expect(first.status).toBe(503);
    expect(first.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(first.headers.get('retry-after')).toBe('5');
    expect(first.headers.get('x-frame-options')).toBe('DENY');
    expect(await first.json()).toEqual({ detail: 'The test panel could not be loaded; try again shortly.' });
    expect(app.logs).toContainEqual(
      expect.stringMatching(/^ERROR test panel failed to load after \d+ ms: cannot load the panel$/),
    );
    expect(app.mount.loaded).toBe(false);
    const second = await fetch(`${app.base}/admin`);
    expect(second.status).toBe(200);
    expect(counter.fills).toBe(2);
    expect(app.mount.loaded).toBe(true);
  });

  it('closing the outer instance after a load closes the inner instance', async () => {
    let innerClosed = false;
    const counter = { fills: 0 };
    const fill = panel(counter);
    app = await setUp(async (inner) => {
      await fill(inner);
      inner.addHook('onClose', (_instance, done) => {
        innerClosed = true;
        done();
      });
    });
    expect((await fetch(`${app.base}/admin`)).status).toBe(200);
    await app.outer.close();
    app = undefined;
    expect(innerClosed).toBe(true);
  });
});

describe('canonicalRequestTarget', () => {
  it.each([
    ['/%61dmin/login', '/admin/login'],
    ['/adm%69n/%6Cogin?next=%2F', '/admin/login?next=%2F'],
    ['/%61%64%6d%69%6e', '/admin'],
    ['/admin#x', '/admin'],
    ['http://127.0.0.1:8000/admin/login?x=1', '/admin/login?x=1'],
    ['http://127.0.0.1:8000', '/'],
    ['/admin/%7E%2D%2E%5F', '/admin/~-._'],
  ])('a target spelt %s → %s, as the router reads it', (target, canonical) => {
    expect(canonicalRequestTarget(target)).toBe(canonical);
  });

  it.each(['/admin%2Flogin', '/admin/%25', '/admin/%40', '/admin/a%20b', '/admin//login'])(
    'a reserved escape or a slash in %s is kept as sent',
    (target) => {
      expect(canonicalRequestTarget(target)).toBe(target);
    },
  );
});
