import { normalisePath } from '../src/openapi/openapi';
import { startTestApp, TestApp } from './support/app';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the parsed OpenAPI document
type Json = any;

/** The P0 management endpoints of docs/contracts/admin-api.md (path parameters written {}), plus the P0 SDK ones. */
const P0: readonly string[] = [
  // §1
  'POST /api/v1/auth/login/',
  'POST /api/v1/auth/users/',
  'GET /api/v1/auth/users/me/',
  'POST /api/v1/auth/logout/',
  'DELETE /api/v1/auth/token/',
  // §2
  'GET /api/v1/users/config/init/',
  'POST /api/v1/users/config/init/',
  'GET /health/liveness/',
  'GET /health/readiness/',
  // §0 / §3
  'GET /api/v1/organisations/permissions/',
  'GET /api/v1/projects/permissions/',
  'GET /api/v1/environments/permissions/',
  'GET /api/v1/organisations/',
  'POST /api/v1/organisations/',
  'GET /api/v1/organisations/{}/',
  'PUT /api/v1/organisations/{}/',
  'PATCH /api/v1/organisations/{}/',
  'DELETE /api/v1/organisations/{}/',
  'GET /api/v1/organisations/{}/projects/',
  'GET /api/v1/organisations/{}/users/',
  'GET /api/v1/organisations/{}/my-permissions/',
  // §4
  'GET /api/v1/projects/',
  'POST /api/v1/projects/',
  'GET /api/v1/projects/{}/',
  'PUT /api/v1/projects/{}/',
  'PATCH /api/v1/projects/{}/',
  'DELETE /api/v1/projects/{}/',
  'GET /api/v1/projects/{}/environments/',
  'GET /api/v1/projects/{}/my-permissions/',
  // §5
  'GET /api/v1/environments/',
  'POST /api/v1/environments/',
  'GET /api/v1/environments/{}/',
  'PUT /api/v1/environments/{}/',
  'PATCH /api/v1/environments/{}/',
  'DELETE /api/v1/environments/{}/',
  'POST /api/v1/environments/{}/clone/',
  'GET /api/v1/environments/{}/my-permissions/',
  'GET /api/v1/environments/{}/api-keys/',
  'POST /api/v1/environments/{}/api-keys/',
  'PUT /api/v1/environments/{}/api-keys/{}/',
  'PATCH /api/v1/environments/{}/api-keys/{}/',
  'DELETE /api/v1/environments/{}/api-keys/{}/',
  // §6
  'GET /api/v1/projects/{}/features/',
  'POST /api/v1/projects/{}/features/',
  'GET /api/v1/projects/{}/features/{}/',
  'PUT /api/v1/projects/{}/features/{}/',
  'PATCH /api/v1/projects/{}/features/{}/',
  'DELETE /api/v1/projects/{}/features/{}/',
  'GET /api/v1/projects/{}/features/{}/mv-options/',
  'POST /api/v1/projects/{}/features/{}/mv-options/',
  'GET /api/v1/projects/{}/features/{}/mv-options/{}/',
  'PUT /api/v1/projects/{}/features/{}/mv-options/{}/',
  'PATCH /api/v1/projects/{}/features/{}/mv-options/{}/',
  'DELETE /api/v1/projects/{}/features/{}/mv-options/{}/',
  // §7
  'GET /api/v1/environments/{}/featurestates/',
  'GET /api/v1/environments/{}/featurestates/{}/',
  'PUT /api/v1/environments/{}/featurestates/{}/',
  'PATCH /api/v1/environments/{}/featurestates/{}/',
  // §8
  'GET /api/v1/projects/{}/segments/',
  'POST /api/v1/projects/{}/segments/',
  'GET /api/v1/projects/{}/segments/{}/',
  'PUT /api/v1/projects/{}/segments/{}/',
  'PATCH /api/v1/projects/{}/segments/{}/',
  'DELETE /api/v1/projects/{}/segments/{}/',
  'GET /api/v1/features/feature-segments/',
  'POST /api/v1/features/feature-segments/',
  'DELETE /api/v1/features/feature-segments/{}/',
  'POST /api/v1/features/feature-segments/update-priorities/',
  'POST /api/v1/environments/{}/features/{}/create-segment-override/',
  // §9
  'GET /api/v1/environments/{}/identities/',
  'POST /api/v1/environments/{}/identities/',
  'GET /api/v1/environments/{}/identities/{}/',
  'DELETE /api/v1/environments/{}/identities/{}/',
  'GET /api/v1/environments/{}/identities/{}/featurestates/',
  'POST /api/v1/environments/{}/identities/{}/featurestates/',
  'GET /api/v1/environments/{}/identities/{}/featurestates/{}/',
  'PUT /api/v1/environments/{}/identities/{}/featurestates/{}/',
  'PATCH /api/v1/environments/{}/identities/{}/featurestates/{}/',
  'DELETE /api/v1/environments/{}/identities/{}/featurestates/{}/',
  'GET /api/v1/environments/{}/identities/{}/featurestates/all/',
  'GET /api/v1/environments/{}/identities/{}/traits/',
  'POST /api/v1/environments/{}/identities/{}/traits/',
  'PUT /api/v1/environments/{}/identities/{}/traits/{}/',
  'PATCH /api/v1/environments/{}/identities/{}/traits/{}/',
  'DELETE /api/v1/environments/{}/identities/{}/traits/{}/',
  // docs/contracts/sdk-api.md
  'GET /api/v1/flags/',
  'GET /api/v1/identities/',
  'POST /api/v1/identities/',
  'GET /api/v1/environment-document/',
  'POST /api/v1/traits/',
  'PUT /api/v1/traits/bulk/',
  'POST /api/v1/analytics/flags/',
];

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

describe('OpenAPI document and Swagger UI', () => {
  let t: TestApp;
  let doc: Json;
  /** "METHOD /normalised/path/" → operation */
  const operations = new Map<string, Json>();
  beforeAll(async () => {
    t = await startTestApp();
    const res = await fetch(`${t.url}/api/v1/docs.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    doc = JSON.parse(await res.text());
    for (const [path, item] of Object.entries<Json>(doc.paths))
      for (const method of METHODS)
        if (item[method])
          operations.set(`${method.toUpperCase()} ${normalisePath(path)}`, { path, ...item[method] });
  });
  afterAll(async () => {
    await t.close();
  });

  it('is an OpenAPI 3 document with Token, Api-Key and X-Environment-Key security schemes', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(doc.components.securitySchemes).toMatchObject({
      Token: { type: 'apiKey', in: 'header', name: 'Authorization' },
      'Api-Key': { type: 'apiKey', in: 'header', name: 'Authorization' },
      'X-Environment-Key': { type: 'apiKey', in: 'header', name: 'X-Environment-Key' },
    });
  });

  it('lists every P0 path of docs/contracts/admin-api.md and docs/contracts/sdk-api.md with the trailing slash', () => {
    const missing = P0.filter((key) => !operations.has(key));
    expect(missing).toEqual([]);
    for (const path of Object.keys(doc.paths)) expect([path, path.endsWith('/')]).toEqual([path, true]);
  });

  it('tags operations per module and declares every path parameter', () => {
    const tags = new Set(doc.tags.map((tag: Json) => tag.name));
    for (const name of [
      'organisations',
      'projects',
      'environments',
      'features',
      'segments',
      'identities',
      'sdk',
    ])
      expect(tags).toContain(name);
    expect(operations.get('POST /api/v1/projects/{}/segments/').tags).toEqual(['segments']);
    expect(operations.get('GET /api/v1/environments/{}/identities/').tags).toEqual(['identities']);
    for (const [key, op] of operations) {
      expect([key, op.tags?.length]).toEqual([key, 1]);
      const declared = (op.parameters ?? []).filter((p: Json) => p.in === 'path').map((p: Json) => p.name);
      const inPath = [...(op.path as string).matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      expect([key, declared.sort()]).toEqual([key, inPath.sort()]);
    }
  });

  it('marks authenticated routes with Token/Api-Key, public ones with none, and describes P0 request bodies', () => {
    expect(operations.get('GET /api/v1/projects/').security).toEqual([{ Token: [] }, { 'Api-Key': [] }]);
    expect(operations.get('POST /api/v1/auth/login/').security).toEqual([]);
    expect(operations.get('GET /api/v1/flags/').security).toEqual([{ 'X-Environment-Key': [] }]);
    expect(operations.get('POST /api/v1/projects/{}/features/').description).toContain('CREATE_FEATURE');
    for (const key of P0) {
      if (!/^(POST|PUT|PATCH) /.test(key) || key.endsWith('/logout/')) continue;
      const body = operations.get(key).requestBody;
      expect([key, body?.content?.['application/json']?.schema]).toEqual([key, expect.any(Object)]);
    }
    const override = operations.get('POST /api/v1/environments/{}/features/{}/create-segment-override/');
    expect(override.requestBody.content['application/json'].schema.required).toEqual([
      'feature_state_value',
      'feature_segment',
    ]);
  });

  it('every $ref resolves to a component (declared next to its domain with S.component)', () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(refs.length).toBeGreaterThan(10);
    expect([...new Set(refs)].filter((name) => !doc.components.schemas[name])).toEqual([]);
  });

  it('/api/v1/docs/ is the Swagger UI page and its scripts and styles are served locally', async () => {
    for (const url of ['/api/v1/docs/', '/api/v1/docs']) {
      const res = await fetch(`${t.url}${url}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      const html = await res.text();
      expect(html).toContain('id="swagger-ui"');
      const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
      expect(assets.length).toBeGreaterThanOrEqual(4);
      for (const asset of assets) {
        expect(asset.startsWith('/api/v1/docs/')).toBe(true);
        const file = await fetch(`${t.url}${asset}`);
        expect([asset, file.status]).toEqual([asset, 200]);
        expect((await file.arrayBuffer()).byteLength).toBeGreaterThan(100);
      }
    }
    const init = await (await fetch(`${t.url}/api/v1/docs/swagger-initializer.js`)).text();
    expect(init).toContain('/api/v1/docs.json');
    expect((await fetch(`${t.url}/api/v1/docs/package.json`)).status).toBe(404);
    expect((await fetch(`${t.url}/api/v1/docs/..%2F..%2Fpackage.json`)).status).toBe(404);
  });
});
