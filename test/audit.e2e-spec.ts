import { Call, client, createEnvironment, createProject } from './api-helpers';
import { grantProject, joinAsUser, makeWorld, QueryCounter, World } from './admin-fixtures';
import { startTestApp, TestApp } from './support/app';
import { queryDatabase } from './support/database';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- loosely typed JSON bodies
type Json = any;

const RULES = [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'plan', value: 'pro' }] }];

describe('audit log', () => {
  let t: TestApp;
  let call: Call;
  let w: World;
  let other: World;
  beforeAll(async () => {
    QueryCounter.install();
    t = await startTestApp();
    call = client(t);
    w = await makeWorld(call);
    other = await makeWorld(call, 'Other');
    for (const name of ['Audited one', 'Audited two']) {
      await call('POST', `/api/v1/projects/${w.project.id}/segments/`, {
        auth: w.admin.token,
        body: { name, rules: RULES },
      });
    }
    await call('POST', `/api/v1/environments/${w.env.api_key}/identities/`, {
      auth: w.admin.token,
      body: { identifier: 'audited-identity' },
    });
    await call('POST', `/api/v1/projects/${other.project.id}/segments/`, {
      auth: other.admin.token,
      body: { name: 'Their secret segment', rules: RULES },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('the project audit log lists its records newest first in the Flagsmith shape, paginated', async () => {
    const res = await call('GET', `/api/v1/projects/${w.project.id}/audit/?page_size=2`, {
      auth: w.admin.token,
    });
    expect(res.status).toBe(200);
    expect(res.body.count).toBeGreaterThanOrEqual(4);
    expect(res.body.results).toHaveLength(2);
    expect(res.body.next).toContain('page=2');
    const [newest] = res.body.results;
    expect(newest).toEqual({
      id: expect.any(Number),
      created_date: expect.any(String),
      log: 'New Identity created: audited-identity',
      author: {
        id: w.admin.id,
        email: w.admin.email,
        first_name: 'Ann',
        last_name: 'Lee',
        last_login: expect.anything(),
        uuid: expect.any(String),
      },
      environment: expect.objectContaining({ id: w.env.id, api_key: w.env.api_key }),
      project: expect.objectContaining({ id: w.project.id, organisation: w.org.id }),
      related_object_id: expect.any(Number),
      related_object_uuid: expect.any(String),
      related_object_type: 'IDENTITY',
      is_system_event: false,
    });
    expect(res.body.results[1].log).toBe('New Segment created: Audited two');
  });

  it('filters: search, environments, project and is_system_event narrow the list', async () => {
    const url = `/api/v1/projects/${w.project.id}/audit/`;
    const search = await call('GET', `${url}?search=audited%20ONE`, { auth: w.admin.token });
    expect(search.body.results.map((r: Json) => r.log)).toEqual(['New Segment created: Audited one']);
    const envs = await call('GET', `${url}?environments=${w.env.id}`, { auth: w.admin.token });
    expect(envs.body.results.every((r: Json) => r.environment?.id === w.env.id)).toBe(true);
    expect(envs.body.count).toBeGreaterThanOrEqual(1);
    const system = await call('GET', `${url}?is_system_event=true`, { auth: w.admin.token });
    expect(system.body.count).toBe(0);
    const human = await call('GET', `${url}?is_system_event=false`, { auth: w.admin.token });
    expect(human.body.count).toBeGreaterThanOrEqual(4);
    const all = await call('GET', `/api/v1/audit/?project=${w.project.id}`, { auth: w.admin.token });
    expect(all.body.results.every((r: Json) => r.project?.id === w.project.id)).toBe(true);
    for (const query of [
      'project=abc',
      'environments=x',
      'is_system_event=perhaps',
      `search=${'s'.repeat(257)}`,
    ]) {
      const bad = await call('GET', `${url}?${query}`, { auth: w.admin.token });
      expect([query, bad.status]).toEqual([query, 400]);
    }
  });

  it("GET /audit/ and the organisation log show only the caller's organisation records", async () => {
    const mine = await call('GET', '/api/v1/audit/?page_size=999', { auth: w.admin.token });
    expect(mine.status).toBe(200);
    const logs = mine.body.results.map((r: Json) => r.log);
    expect(logs).toContain('New Segment created: Audited one');
    expect(logs).not.toContain('New Segment created: Their secret segment');
    const org = await call('GET', `/api/v1/organisations/${w.org.id}/audit/?page_size=999`, {
      auth: w.admin.token,
    });
    expect(org.status).toBe(200);
    expect(org.body.results.map((r: Json) => r.log)).toContain('New Segment created: Audited two');
    expect(org.body.results.map((r: Json) => r.log)).not.toContain(
      'New Segment created: Their secret segment',
    );
    const theirs = await call('GET', '/api/v1/audit/?page_size=999', { auth: other.admin.token });
    expect(theirs.body.results.map((r: Json) => r.log)).toContain(
      'New Segment created: Their secret segment',
    );
    expect(theirs.body.results.map((r: Json) => r.log)).not.toContain('New Segment created: Audited one');
  });

  it('a record is retrieved with change_details and change_type; another organisation gets 404', async () => {
    const seg = (
      await call('POST', `/api/v1/projects/${w.project.id}/segments/`, {
        auth: w.admin.token,
        body: { name: 'Before', rules: RULES },
      })
    ).body;
    await call('PATCH', `/api/v1/projects/${w.project.id}/segments/${seg.id}/`, {
      auth: w.admin.token,
      body: { name: 'After' },
    });
    const [row] = await queryDatabase<{ id: number }>(
      t.databaseUrl,
      "SELECT id FROM audit_logs WHERE log = 'Segment updated: After'",
    );
    const res = await call('GET', `/api/v1/audit/${row.id}/`, { auth: w.admin.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: row.id, log: 'Segment updated: After', change_type: 'UPDATE' });
    expect(res.body.change_details).toContainEqual({ field: 'name', old: 'Before', new: 'After' });
    for (const path of [
      `/api/v1/audit/${row.id}/`,
      `/api/v1/projects/${w.project.id}/audit/${row.id}/`,
      `/api/v1/projects/${other.project.id}/audit/${row.id}/`,
      `/api/v1/organisations/${w.org.id}/audit/${row.id}/`,
      `/api/v1/organisations/${other.org.id}/audit/${row.id}/`,
      `/api/v1/projects/${w.project.id}/audit/`,
      `/api/v1/organisations/${w.org.id}/audit/`,
    ]) {
      const foreign = await call('GET', path, { auth: other.admin.token });
      expect([path, foreign.status, foreign.body]).toEqual([path, 404, { detail: 'Not found.' }]);
    }
    expect(
      (await call('GET', `/api/v1/projects/${w.project.id}/audit/${row.id}/`, { auth: w.admin.token }))
        .status,
    ).toBe(200);
    expect((await call('GET', '/api/v1/audit/999999/', { auth: w.admin.token })).status).toBe(404);
    expect((await call('GET', '/api/v1/audit/abc/', { auth: w.admin.token })).status).toBe(404);
  });

  it('VIEW_AUDIT_LOG opens the project log (and those records in /audit/) but not the organisation log', async () => {
    const member = await joinAsUser(call, w);
    const url = `/api/v1/projects/${w.project.id}/audit/`;
    expect((await call('GET', url, { auth: member.token })).status).toBe(403);
    expect((await call('GET', '/api/v1/audit/', { auth: member.token })).body.count).toBe(0);
    await grantProject(call, w, member.id, ['VIEW_PROJECT']);
    expect((await call('GET', url, { auth: member.token })).status).toBe(403);
    const auditor = await joinAsUser(call, w);
    await grantProject(call, w, auditor.id, ['VIEW_PROJECT', 'VIEW_AUDIT_LOG']);
    expect((await call('GET', url, { auth: auditor.token })).status).toBe(200);
    const all = await call('GET', '/api/v1/audit/?page_size=999', { auth: auditor.token });
    expect(all.body.count).toBeGreaterThan(0);
    expect(all.body.results.every((r: Json) => r.project?.id === w.project.id)).toBe(true);
    expect(
      (await call('GET', `/api/v1/organisations/${w.org.id}/audit/`, { auth: auditor.token })).status,
    ).toBe(403);
    expect((await call('GET', '/api/v1/audit/')).status).toBe(401);
  });

  it('listing 1 or 20 audit records costs the same number of queries', async () => {
    const project = await createProject(call, w.admin.token, w.org.id, 'Counted audit');
    const url = `/api/v1/projects/${project.id}/audit/?page_size=50`;
    const one = await QueryCounter.during(() => call('GET', url, { auth: w.admin.token }));
    for (let i = 0; i < 10; i++) await createEnvironment(call, w.admin.token, project.id, `env ${i}`);
    for (let i = 0; i < 10; i++) {
      await call('POST', `/api/v1/projects/${project.id}/segments/`, {
        auth: w.admin.token,
        body: { name: `counted ${i}`, rules: RULES },
      });
    }
    let count = 0;
    const many = await QueryCounter.during(async () => {
      count = (await call('GET', url, { auth: w.admin.token })).body.results.length;
    });
    expect(count).toBeGreaterThanOrEqual(20);
    expect(many).toBe(one);
  });
});
