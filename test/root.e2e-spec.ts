import { startTestApp, TestApp } from './support/app';

/** `GET /` names where to go (it answered 404 before): the admin panel, the API docs, the probes. */
describe('GET /', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ADMIN_PANEL_ENABLED: 'true' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('GET / from a script → 200 JSON naming /admin/, the docs and the health routes, each of which answers', async () => {
    const res = await fetch(`${t.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { name: string; links: Record<string, string | null> };
    expect(body.name).toBe('flagport');
    expect(body.links).toMatchObject({
      admin: '/admin/',
      api_docs: '/api/v1/docs/',
      openapi: '/api/v1/docs.json',
      liveness: '/health/liveness/',
      readiness: '/health/readiness/',
      first_run: '/api/v1/users/config/init/',
    });
    for (const key of ['api_docs', 'openapi', 'liveness', 'readiness', 'first_run'])
      expect([key, (await fetch(`${t.url}${body.links[key]}`)).status]).toEqual([key, 200]);
  });

  it('GET / from a browser (Accept: text/html) → a page linking the admin panel and the docs', async () => {
    const res = await fetch(`${t.url}/`, { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('href="/admin/"');
    expect(html).toContain('href="/api/v1/docs/"');
    expect(html).toContain('href="/health/readiness/"');
  });
});

describe('GET / with the admin panel off', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('GET / with ADMIN_PANEL_ENABLED=false → links.admin is null and the page has no admin link', async () => {
    const body = (await (await fetch(`${t.url}/`)).json()) as { links: { admin: string | null } };
    expect(body.links.admin).toBeNull();
    const html = await (await fetch(`${t.url}/`, { headers: { accept: 'text/html' } })).text();
    expect(html).not.toContain('/admin/');
  });
});
