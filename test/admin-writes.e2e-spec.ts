/**
 * The admin panel's writes go through the API's domain services: for segments, rules, conditions, identities,
 * traits, server-side keys and permission grants, a write made through AdminJS's own API (what its forms post,
 * over real HTTP against the built server) is (a) audited as the API's write is, (b) seen by the SDK on the very
 * next request, and (c) refused with the API's message, writing nothing, where the API refuses it (a rule nested
 * past the depth limit, an invalid condition, …). Needs `npm run build` (it starts dist/src/main.js).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, queryDatabase } from './support/database';
import { freePort } from './support/pg-cluster';
import { ServerProcess, spawnServer } from './support/server-process';

jest.setTimeout(200_000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- loosely typed JSON bodies
type Json = any;

const ADMIN_EMAIL = 'root@example.com';
const ADMIN_PASSWORD = 'admin-writes-pass-42';

interface PanelAnswer {
  record?: { params: Record<string, unknown>; errors: Record<string, { message: string }> };
  notice?: { message: string; type: string };
}

describe('admin panel writes (through the domain services)', () => {
  let server: ServerProcess;
  let base: string;
  let databaseUrl: string;
  let cookie: string;
  let token: string;
  let org: Json;
  let project: Json;
  let env: Json;

  async function api(method: string, path: string, body?: unknown, auth = token) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(auth ? { authorization: `Token ${auth}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
  async function ok(method: string, path: string, body?: unknown) {
    const res = await api(method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
  const sdk = async (path: string, key: string) => {
    const res = await fetch(`${base}/api/v1${path}`, { headers: { 'x-environment-key': key } });
    return { status: res.status, body: await res.json() };
  };

  /** An AdminJS action as its forms post it (multipart), signed in, from the panel's own origin. */
  async function panel(path: string, fields: Record<string, string | string[]> = {}): Promise<PanelAnswer> {
    const form = new FormData();
    for (const [key, value] of Object.entries(fields)) {
      if (Array.isArray(value)) value.forEach((v, i) => form.append(`${key}.${i}`, v));
      else form.append(key, value);
    }
    const res = await fetch(`${base}/admin/api/resources/${path}`, {
      method: 'POST',
      headers: { cookie, origin: base },
      body: form,
    });
    if (res.status !== 200) throw new Error(`panel ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as PanelAnswer;
  }
  const created = (answer: PanelAnswer) => {
    if (answer.notice?.type !== 'success') throw new Error(`panel write refused: ${JSON.stringify(answer)}`);
    return Number(answer.record?.params.id);
  };

  const db = <T extends object>(sql: string, params: unknown[] = []) =>
    queryDatabase<T>(databaseUrl, sql, params);
  const auditCount = async () =>
    Number((await db<{ n: string }>('SELECT count(*) AS n FROM audit_logs'))[0].n);
  /** The audit lines written since `after` (id), with their author. */
  const auditSince = (after: number) =>
    db<{ log: string; email: string | null; related_object_type: string | null }>(
      `SELECT a.log, u.email, a.related_object_type FROM audit_logs a LEFT JOIN users u ON u.id = a.author_id
        WHERE a.id > $1 ORDER BY a.id`,
      [after],
    );
  const lastAuditId = async () =>
    Number((await db<{ id: string | null }>('SELECT max(id) AS id FROM audit_logs'))[0].id ?? 0);
  const count = async (table: string) =>
    Number((await db<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0].n);

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = spawnServer({
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      DJANGO_SECRET_KEY: 'admin-writes-e2e-secret-key-0123456789-abcdefghij',
      ENABLE_TELEMETRY: 'false',
      LOG_LEVEL: 'WARNING',
      ENABLE_ADMIN_ACCESS_USER_PASS: 'true',
      ADMIN_JS_TMP_DIR: mkdtempSync(join(tmpdir(), 'flagport-adminjs-')),
    });
    await server.waitForOutput(/listening on/, 60_000);

    const signUp = await api(
      'POST',
      '/api/v1/auth/users/',
      { email: ADMIN_EMAIL, password: ADMIN_PASSWORD, superuser: true },
      '',
    );
    if (signUp.status !== 201) throw new Error(JSON.stringify(signUp.body));
    token = (signUp.body as { key: string }).key;
    org = await ok('POST', '/api/v1/organisations/', { name: 'Acme' });
    project = await ok('POST', '/api/v1/projects/', { name: 'Web', organisation: org.id });
    env = await ok('POST', '/api/v1/environments/', { name: 'Production', project: project.id });

    const login = await fetch(`${base}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
      body: new URLSearchParams({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }).toString(),
      redirect: 'manual',
    });
    const setCookie = login.headers.get('set-cookie') ?? '';
    if (login.status !== 302 || !setCookie) throw new Error(`panel login: ${login.status}`);
    cookie = setCookie.split(';')[0];
  });

  afterAll(() => server?.stop());

  describe('segments, rules and conditions (SegmentsService, as PATCH /projects/{pk}/segments/{id}/)', () => {
    let serverKey: string;
    let segmentId: number;
    /** The segment as the SDK's environment document serves it. */
    const documentSegment = async (name: string) => {
      const res = await sdk('/environment-document/', serverKey);
      expect(res.status).toBe(200);
      return (res.body.project.segments as Json[]).find((s) => s.name === name);
    };
    const rulesOf = async (id: number) =>
      db<{ id: number; rule_id: number | null; type: string }>(
        `WITH RECURSIVE t AS (SELECT id, rule_id, type FROM segment_rules WHERE segment_id = $1
           UNION ALL SELECT r.id, r.rule_id, r.type FROM segment_rules r JOIN t ON r.rule_id = t.id)
         SELECT * FROM t ORDER BY id`,
        [id],
      );

    beforeAll(async () => {
      serverKey = (await ok('POST', `/api/v1/environments/${env.api_key}/api-keys/`, { name: 'sdk' })).key;
    });

    it('a segment created in the panel is SegmentsService\'s: audited "New Segment created", in the SDK document at once', async () => {
      const audit = await lastAuditId();
      expect(await documentSegment('panel-made')).toBeUndefined();
      segmentId = created(
        await panel('Segment/actions/new', { name: 'panel-made', projectId: String(project.id) }),
      );
      expect(await auditSince(audit)).toEqual([
        { log: 'New Segment created: panel-made', email: ADMIN_EMAIL, related_object_type: 'SEGMENT' },
      ]);
      // The API refuses a segment without rules: the panel's starts with one empty ALL rule.
      expect((await documentSegment('panel-made'))?.rules).toEqual([
        expect.objectContaining({ type: 'ALL', rules: [], conditions: [] }),
      ]);
      const renamed = await panel(`Segment/records/${segmentId}/edit`, { name: 'panel-segment' });
      expect(renamed.notice?.type).toBe('success');
      expect(await documentSegment('panel-segment')).toBeDefined();
      expect((await auditSince(audit)).map((r) => r.log)).toEqual([
        'New Segment created: panel-made',
        'Segment updated: panel-segment',
      ]);
    });

    it('a rule and a condition added in the panel are written as the API writes the tree: audited, served at once', async () => {
      const [top] = await rulesOf(segmentId);
      const audit = await lastAuditId();
      const ruleId = created(await panel('SegmentRule/actions/new', { ruleId: String(top.id), type: 'ANY' }));
      const conditionId = created(
        await panel('SegmentCondition/actions/new', {
          ruleId: String(ruleId),
          property: 'plan',
          operator: 'EQUAL',
          value: 'pro',
        }),
      );
      expect(await auditSince(audit)).toEqual([
        { log: 'Segment updated: panel-segment', email: ADMIN_EMAIL, related_object_type: 'SEGMENT' },
        { log: 'Segment updated: panel-segment', email: ADMIN_EMAIL, related_object_type: 'SEGMENT' },
      ]);
      const served = await documentSegment('panel-segment');
      expect(served.rules[0].rules).toEqual([
        expect.objectContaining({
          type: 'ANY',
          conditions: [expect.objectContaining({ property_: 'plan', operator: 'EQUAL', value: 'pro' })],
        }),
      ]);

      const edited = await panel(`SegmentCondition/records/${conditionId}/edit`, { value: 'enterprise' });
      expect(edited.notice?.type).toBe('success');
      expect((await documentSegment('panel-segment')).rules[0].rules[0].conditions[0].value).toBe(
        'enterprise',
      );
      const retyped = await panel(`SegmentRule/records/${ruleId}/edit`, { type: 'NONE' });
      expect(retyped.notice?.type).toBe('success');
      expect((await documentSegment('panel-segment')).rules[0].rules[0].type).toBe('NONE');
      expect(await auditCount()).toBe(audit + 4);

      const deleted = await panel(`SegmentCondition/records/${conditionId}/delete`);
      expect(deleted.notice?.type).toBe('success');
      expect((await documentSegment('panel-segment')).rules[0].rules[0].conditions).toEqual([]);
      const ruleGone = await panel(`SegmentRule/records/${ruleId}/delete`);
      expect(ruleGone.notice?.type).toBe('success');
      expect((await documentSegment('panel-segment')).rules[0].rules).toEqual([]);
    });

    it('concurrent panel edits of one segment are applied one after the other: every added condition lands', async () => {
      const [top] = await rulesOf(segmentId);
      const audit = await auditCount();
      const properties = ['race-a', 'race-b', 'race-c', 'race-d'];

      // Each edit reads the stored tree and writes it back whole: without the segment's row lock around both,
      // a later write would drop the conditions the others added in between.
      const answers = await Promise.all(
        properties.map((property) =>
          panel('SegmentCondition/actions/new', {
            ruleId: String(top.id),
            property,
            operator: 'EQUAL',
            value: 'x',
          }),
        ),
      );

      answers.forEach(created);
      const stored = await db<{ property: string }>(
        'SELECT property FROM segment_conditions WHERE rule_id = $1 ORDER BY property',
        [top.id],
      );
      expect(stored.map((c) => c.property)).toEqual(properties);
      const served = await documentSegment('panel-segment');
      expect(served.rules[0].conditions.map((c: Json) => c.property_).sort()).toEqual(properties);
      expect(await auditCount()).toBe(audit + properties.length);

      for (const id of answers.map(created))
        expect((await panel(`SegmentCondition/records/${id}/delete`)).notice?.type).toBe('success');
    });

    it("a rule nested past the API's depth limit is refused with its message; nothing is written", async () => {
      const [top] = await rulesOf(segmentId);
      const second = created(await panel('SegmentRule/actions/new', { ruleId: String(top.id), type: 'ANY' }));
      const before = { rules: await rulesOf(segmentId), audit: await auditCount() };

      const third = await panel('SegmentRule/actions/new', { ruleId: String(second), type: 'ALL' });

      expect(third.notice?.type).toBe('error');
      expect(third.notice?.message).toContain('Rules must not be nested more than 2 levels deep.');
      expect(third.record?.errors.segmentId?.message).toBe(
        'Rules must not be nested more than 2 levels deep.',
      );
      expect(await rulesOf(segmentId)).toEqual(before.rules);
      expect(await auditCount()).toBe(before.audit);
    });

    it("an invalid condition (unknown operator, value over the limit) is refused with the API's message; nothing is written", async () => {
      const [top] = await rulesOf(segmentId);
      const before = { conditions: await count('segment_conditions'), audit: await auditCount() };

      const badOperator = await panel('SegmentCondition/actions/new', {
        ruleId: String(top.id),
        property: 'plan',
        operator: 'NOPE',
        value: 'x',
      });
      expect(badOperator.notice?.type).toBe('error');
      expect(badOperator.record?.errors.operator?.message).toBe('"NOPE" is not a valid choice.');
      const tooLong = await panel('SegmentCondition/actions/new', {
        ruleId: String(top.id),
        property: 'plan',
        operator: 'EQUAL',
        value: 'x'.repeat(10_000),
      });
      expect(tooLong.notice?.type).toBe('error');
      expect(tooLong.record?.errors.value?.message).toMatch(
        /^Ensure this field has no more than \d+ characters\.$/,
      );

      expect(await count('segment_conditions')).toBe(before.conditions);
      expect(await auditCount()).toBe(before.audit);
    });

    it('a segment deleted in the panel is audited "Segment deleted" and leaves the SDK document at once', async () => {
      const audit = await lastAuditId();
      expect((await panel(`Segment/records/${segmentId}/delete`)).notice?.type).toBe('success');
      expect((await auditSince(audit)).map((r) => r.log)).toEqual(['Segment deleted: panel-segment']);
      expect(await documentSegment('panel-segment')).toBeUndefined();
    });
  });

  describe('identities and traits (IdentitiesService)', () => {
    const sdkIdentity = async (identifier: string) => {
      const res = await sdk(`/identities/?identifier=${identifier}`, env.api_key);
      expect(res.status).toBe(200);
      return {
        traits: (res.body.traits as Json[]).map((t) => ({
          trait_key: t.trait_key,
          trait_value: t.trait_value,
        })),
      };
    };

    it('an identity and a trait written in the panel are audited as the API audits them and the SDK sees them at once', async () => {
      // The SDK knows (and caches) the identity before the panel writes its trait.
      expect((await sdkIdentity('alice')).traits).toEqual([]);
      const [alice] = await db<{ id: number }>("SELECT id FROM identities WHERE identifier = 'alice'");
      const audit = await lastAuditId();

      const traitId = created(
        await panel('Trait/actions/new', {
          identityId: String(alice.id),
          traitKey: 'plan',
          valueType: 'unicode',
          stringValue: 'pro',
        }),
      );
      expect((await sdkIdentity('alice')).traits).toEqual([{ trait_key: 'plan', trait_value: 'pro' }]);
      expect((await panel(`Trait/records/${traitId}/edit`, { stringValue: 'enterprise' })).notice?.type).toBe(
        'success',
      );
      expect((await sdkIdentity('alice')).traits).toEqual([{ trait_key: 'plan', trait_value: 'enterprise' }]);

      const bobId = created(
        await panel('Identity/actions/new', { identifier: 'bob', environmentId: String(env.id) }),
      );
      await panel('Trait/actions/new', {
        identityId: String(bobId),
        traitKey: 'age',
        valueType: 'int',
        integerValue: '42',
      });
      expect((await sdkIdentity('bob')).traits).toEqual([{ trait_key: 'age', trait_value: 42 }]);
      expect((await panel(`Identity/records/${bobId}/delete`)).notice?.type).toBe('success');
      // Deleted: the SDK's next request for bob starts a new identity, without the trait.
      expect((await sdkIdentity('bob')).traits).toEqual([]);

      expect(await auditSince(audit)).toEqual(
        [
          "Trait 'plan' set for identity 'alice'",
          "Trait 'plan' updated for identity 'alice'",
          'New Identity created: bob',
          "Trait 'age' set for identity 'bob'",
          'Identity deleted: bob',
        ].map((log) => ({ log, email: ADMIN_EMAIL, related_object_type: 'IDENTITY' })),
      );
    });

    it("a duplicate identifier or trait key, or a bad trait value, is refused with the API's message; nothing is written", async () => {
      const [alice] = await db<{ id: number }>("SELECT id FROM identities WHERE identifier = 'alice'");
      const before = {
        identities: await count('identities'),
        traits: await count('traits'),
        audit: await auditCount(),
      };
      const dup = await panel('Identity/actions/new', { identifier: 'alice', environmentId: String(env.id) });
      expect(dup.record?.errors.identifier?.message).toBe(
        "Identity with identifier 'alice' already exists in this environment",
      );
      const sameKey = await panel('Trait/actions/new', {
        identityId: String(alice.id),
        traitKey: 'plan',
        stringValue: 'x',
      });
      expect(sameKey.notice).toMatchObject({
        type: 'error',
        message: 'The fields identity, trait_key must make a unique set.',
      });
      const badInt = await panel('Trait/actions/new', {
        identityId: String(alice.id),
        traitKey: 'n',
        valueType: 'int',
        integerValue: '1e400',
      });
      expect(badInt.notice?.type).toBe('error');
      expect(await count('identities')).toBe(before.identities);
      expect(await count('traits')).toBe(before.traits);
      expect(await auditCount()).toBe(before.audit);
    });
  });

  describe('server-side keys (EnvironmentsService)', () => {
    it('a key created in the panel works at once, deactivated in the panel it is refused at once; unaudited as in the API', async () => {
      const audit = await auditCount();
      const keyId = created(
        await panel('EnvironmentApiKey/actions/new', { name: 'panel key', environmentId: String(env.id) }),
      );
      const [{ key }] = await db<{ key: string }>('SELECT key FROM environment_api_keys WHERE id = $1', [
        keyId,
      ]);
      expect(key).toMatch(/^ser\./);
      expect((await sdk('/environment-document/', key)).status).toBe(200);

      expect((await panel(`EnvironmentApiKey/records/${keyId}/edit`, { active: 'false' })).notice?.type).toBe(
        'success',
      );
      expect((await sdk('/environment-document/', key)).status).toBe(403);
      // The API writes no audit record for server-side keys (as Flagsmith): neither does the panel.
      expect(await auditCount()).toBe(audit);

      const blank = await panel('EnvironmentApiKey/actions/new', { name: '', environmentId: String(env.id) });
      expect(blank.record?.errors.name?.message).toBe('This field may not be blank.');
      const moved = await panel(`EnvironmentApiKey/records/${keyId}/edit`, { environmentId: '999999' });
      expect(moved.record?.errors.environmentId?.message).toBe(
        'Cannot be changed; create a new record instead.',
      );
      expect(await count('environment_api_keys')).toBe(2);
    });
  });

  describe('permission grants and memberships (GrantsService, MembersService)', () => {
    it('a project grant written in the panel gives the user access at once, and takes it away at once; unaudited as in the API', async () => {
      const bob = await api(
        'POST',
        '/api/v1/auth/users/',
        { email: 'bob@example.com', password: 'bob-Pass-123456' },
        '',
      );
      const bobToken = (bob.body as { key: string }).key;
      const asBob = () => api('GET', `/api/v1/projects/${project.id}/`, undefined, bobToken);
      const audit = await auditCount();

      // Not a member yet: the API refuses to grant (only members may be granted).
      const early = await panel('ProjectUserPermission/actions/new', {
        projectId: String(project.id),
        userId: String(bob.body.id),
        permissions: ['VIEW_PROJECT'],
      });
      expect(early.record?.errors.userId?.message).toBe(
        `Invalid pk "${bob.body.id}" - object does not exist.`,
      );
      created(
        await panel('OrganisationMembership/actions/new', {
          organisationId: String(org.id),
          userId: String(bob.body.id),
          role: 'USER',
        }),
      );
      expect((await asBob()).status).toBe(403);

      const bad = await panel('ProjectUserPermission/actions/new', {
        projectId: String(project.id),
        userId: String(bob.body.id),
        permissions: ['NOT_A_KEY'],
      });
      expect(bad.notice?.type).toBe('error');
      expect(bad.record?.errors.permissions?.message).toContain('"NOT_A_KEY" is not a valid choice.');
      expect(await count('project_user_permissions')).toBe(0);

      const grantId = created(
        await panel('ProjectUserPermission/actions/new', {
          projectId: String(project.id),
          userId: String(bob.body.id),
          permissions: ['VIEW_PROJECT'],
        }),
      );
      expect((await asBob()).status).toBe(200);
      expect(
        (
          await panel(`ProjectUserPermission/records/${grantId}/edit`, {
            permissions: ['CREATE_ENVIRONMENT'],
          })
        ).notice?.type,
      ).toBe('success');
      expect((await asBob()).status).toBe(403);
      const again = await panel('ProjectUserPermission/actions/new', {
        projectId: String(project.id),
        userId: String(bob.body.id),
        permissions: [],
      });
      expect(again.notice?.message).toContain('Permissions for this user already exist.');
      expect((await panel(`ProjectUserPermission/records/${grantId}/delete`)).notice?.type).toBe('success');
      expect(await count('project_user_permissions')).toBe(0);
      // The API writes no audit record for grants or memberships (as Flagsmith): neither does the panel.
      expect(await auditCount()).toBe(audit);
    });
  });

  it('"Unlock login" is recorded in the audit log, authored by the superuser', async () => {
    const [bob] = await db<{ id: number }>("SELECT id FROM users WHERE email = 'bob@example.com'");
    await db(
      `INSERT INTO login_failures (username, ip_address, failures_since_start, attempt_time)
       VALUES ('bob@example.com', '198.51.100.7', 10, now())`,
    );
    const audit = await lastAuditId();
    const res = await panel(`User/records/${bob.id}/unlockLogin`);
    expect(res.notice?.message).toBe('bob@example.com unlocked: failed logins cleared');
    expect(await db('SELECT 1 FROM login_failures WHERE username = $1', ['bob@example.com'])).toEqual([]);
    expect(await auditSince(audit)).toEqual([
      {
        log: 'User login unlocked (admin panel): bob@example.com',
        email: ADMIN_EMAIL,
        related_object_type: null,
      },
    ]);
  });
});
