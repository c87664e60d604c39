import { ContractDocument, routeKey } from './support/contract';
import { NOT_YET_SCHEMA_FIRST } from './support/contract-allowlist';
import { routeRecorder } from './support/management-api';
import { startTestApp, TestApp } from './support/app';

/**
 * The contract test's allowlist (test/support/contract-allowlist.ts) against the app: it names only real routes
 * without schemas, and every route without schemas is on it — so it can only shrink, and a new route must come with
 * schemas. (Each app of the e2e suite checks the exchanges it served when it closes: test/support/contract.ts.)
 */
describe('contract allowlist', () => {
  let t: TestApp;
  let doc: ContractDocument;
  const recorder = routeRecorder();
  beforeAll(async () => {
    t = await startTestApp({}, { beforeListen: (app) => recorder.beforeListen(app) });
    doc = ContractDocument.of(t.app);
  });
  afterAll(async () => {
    await t.close();
  });

  const keys = () => [...new Set(recorder.routes.map((r) => routeKey(r.method, r.path)))].sort();

  it('lists no route that has schemas and no route that does not exist', () => {
    const registered = new Set(keys());
    expect([...NOT_YET_SCHEMA_FIRST].filter((key) => doc.isStrict(key))).toEqual([]);
    expect([...NOT_YET_SCHEMA_FIRST].filter((key) => !registered.has(key))).toEqual([]);
  });

  it('every route without schemas is on the allowlist (new routes are schema-first)', () => {
    expect(keys().filter((key) => !doc.isStrict(key) && !NOT_YET_SCHEMA_FIRST.has(key))).toEqual([]);
  });

  it('the projects and tags routes are schema-first', () => {
    for (const key of [
      'GET /api/v1/projects/',
      'POST /api/v1/projects/',
      'PATCH /api/v1/projects/{}/',
      'GET /api/v1/projects/{}/tags/',
      'DELETE /api/v1/projects/{}/tags/{}/',
    ])
      expect([key, doc.isStrict(key)]).toEqual([key, true]);
  });
});
