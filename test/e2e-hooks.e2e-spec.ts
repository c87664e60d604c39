import { client } from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import { queryDatabase } from './support/database';

/**
 * Flagsmith's e2e hooks (`api/e2etests/`): POST /api/v1/e2etests/teardown/ with ENABLE_FE_E2E and the
 * X-E2E-Test-Auth-Token header deletes the e2e accounts and their organisations and seeds them again.
 */
const TOKEN = 'e2e-token-for-tests';
const ADMIN = 'e2e_user@flagsmithe2etestdomain.io';
const PASSWORD = 'Str0ngp4ssw0rd!';

async function teardown(t: TestApp, token?: string) {
  const headers: Record<string, string> = token === undefined ? {} : { 'x-e2e-test-auth-token': token };
  const res = await fetch(`${t.url}/api/v1/e2etests/teardown/`, { method: 'POST', headers });
  return { status: res.status, text: await res.text() };
}

describe('e2e hooks, enabled with a token', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ENABLE_FE_E2E: 'true', E2E_TEST_AUTH_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await t.close();
  });

  it('teardown without the header answers 401 and writes nothing', async () => {
    const res = await teardown(t);
    expect(res.status).toBe(401);
    expect(JSON.parse(res.text)).toEqual({ detail: 'Authentication credentials were not provided.' });
    expect(await queryDatabase(t.databaseUrl, 'SELECT id FROM users')).toEqual([]);
  });

  it('teardown with a wrong token answers 401 and writes nothing', async () => {
    expect((await teardown(t, `${TOKEN}x`)).status).toBe(401);
    expect(await queryDatabase(t.databaseUrl, 'SELECT id FROM organisations')).toEqual([]);
  });

  it('teardown with the token answers 204 and seeds the users, organisations, projects and environments of Flagsmith', async () => {
    const res = await teardown(t, TOKEN);
    expect(res).toEqual({ status: 204, text: '' });
    const orgs = await queryDatabase<{ name: string; projects: number }>(
      t.databaseUrl,
      `SELECT o.name, count(p.id)::int AS projects FROM organisations o LEFT JOIN projects p ON p.organisation_id = o.id
        GROUP BY o.id ORDER BY o.id`,
    );
    expect(orgs).toEqual([
      { name: 'Bullet Train Ltd', projects: 7 },
      { name: 'E2E Separate Org', projects: 0 },
      { name: 'E2E Billing Org', projects: 0 },
    ]);
    const users = await queryDatabase<{ email: string }>(
      t.databaseUrl,
      'SELECT email FROM users ORDER BY id',
    );
    expect(users.map((u) => u.email.split('@')[0])).toEqual([
      'e2e_user',
      'e2e_non_admin_user_with_org_permissions',
      'e2e_non_admin_user_with_project_permissions',
      'e2e_non_admin_user_with_env_permissions',
      'e2e_non_admin_user_with_a_role',
      'e2e_separate_test_user',
      'e2e_billing_user',
    ]);
    const envs = await queryDatabase<{ project: string; name: string; identities: number }>(
      t.databaseUrl,
      `SELECT p.name AS project, e.name, count(i.id)::int AS identities FROM environments e
        JOIN projects p ON p.id = e.project_id LEFT JOIN identities i ON i.environment_id = e.id
        GROUP BY p.id, e.id ORDER BY e.id`,
    );
    expect(envs).toHaveLength(8);
    expect(envs.slice(0, 2)).toEqual([
      { project: 'My Test Project', name: 'Development', identities: 0 },
      { project: 'My Test Project', name: 'Production', identities: 0 },
    ]);
    expect(envs.slice(2).every((e) => e.name === 'Development' && e.identities === 1)).toBe(true);
  });

  it('the seeded admin signs in with Flagsmith e2e password and sees its organisation as ADMIN', async () => {
    const call = client(t);
    const login = await call('POST', '/api/v1/auth/login/', { body: { email: ADMIN, password: PASSWORD } });
    expect(login.status).toBe(200);
    const orgs = await call('GET', '/api/v1/organisations/', { auth: login.body.key });
    expect(orgs.body.results.map((o: { name: string; role: string }) => [o.name, o.role])).toEqual([
      ['Bullet Train Ltd', 'ADMIN'],
    ]);
  });

  it('the seeded permissions are the ones Flagsmith grants', async () => {
    const rows = await queryDatabase<{ who: string; level: string; permissions: string[] }>(
      t.databaseUrl,
      `SELECT split_part(u.email, '@', 1) AS who, 'organisation' AS level, g.permissions FROM organisation_user_permissions g JOIN users u ON u.id = g.user_id
       UNION ALL SELECT split_part(u.email, '@', 1), 'project:' || p.name, g.permissions FROM project_user_permissions g JOIN users u ON u.id = g.user_id JOIN projects p ON p.id = g.project_id
       UNION ALL SELECT split_part(u.email, '@', 1), 'environment', g.permissions FROM environment_user_permissions g JOIN users u ON u.id = g.user_id
       ORDER BY 2, 1`,
    );
    expect(rows).toEqual([
      {
        who: 'e2e_non_admin_user_with_env_permissions',
        level: 'environment',
        permissions: ['VIEW_ENVIRONMENT', 'UPDATE_FEATURE_STATE', 'VIEW_IDENTITIES'],
      },
      {
        who: 'e2e_non_admin_user_with_org_permissions',
        level: 'organisation',
        permissions: ['CREATE_PROJECT', 'MANAGE_USER_GROUPS'],
      },
      {
        who: 'e2e_non_admin_user_with_project_permissions',
        level: 'project:My Test Project 5 Project Permission',
        permissions: ['VIEW_PROJECT', 'CREATE_ENVIRONMENT', 'CREATE_FEATURE', 'VIEW_AUDIT_LOG'],
      },
      {
        who: 'e2e_non_admin_user_with_env_permissions',
        level: 'project:My Test Project 6 Env Permission',
        permissions: ['VIEW_PROJECT', 'CREATE_FEATURE'],
      },
    ]);
  });

  it('a second teardown deletes what the suite made in the e2e organisations and seeds the same data again', async () => {
    const call = client(t);
    const login = await call('POST', '/api/v1/auth/login/', { body: { email: ADMIN, password: PASSWORD } });
    const orgId = (await call('GET', '/api/v1/organisations/', { auth: login.body.key })).body.results[0].id;
    const made = await call('POST', '/api/v1/projects/', {
      auth: login.body.key,
      body: { name: 'Made by a test', organisation: orgId },
    });
    expect(made.status).toBe(201);
    const signUp = await call('POST', '/api/v1/auth/users/', {
      body: {
        email: 'e2e_signup_user@flagsmithe2etestdomain.io',
        password: PASSWORD,
        first_name: 'A',
        last_name: 'B',
      },
    });
    expect(signUp.status).toBe(201);
    const other = await call('POST', '/api/v1/auth/users/', {
      body: { email: 'bystander@example.com', password: PASSWORD, first_name: 'C', last_name: 'D' },
    });

    expect((await teardown(t, TOKEN)).status).toBe(204);
    const projects = await queryDatabase<{ name: string }>(t.databaseUrl, 'SELECT name FROM projects');
    expect(projects.map((p) => p.name)).not.toContain('Made by a test');
    expect(projects).toHaveLength(7);
    const emails = (await queryDatabase<{ email: string }>(t.databaseUrl, 'SELECT email FROM users')).map(
      (u) => u.email,
    );
    expect(emails).toHaveLength(8);
    expect(emails).toContain('bystander@example.com');
    expect(emails).not.toContain('e2e_signup_user@flagsmithe2etestdomain.io');
    expect(other.status).toBe(201);
  });
});

describe('e2e hooks, off by default', () => {
  it('without ENABLE_FE_E2E the teardown route does not exist, even with the token configured and sent', async () => {
    const t = await startTestApp({ E2E_TEST_AUTH_TOKEN: TOKEN });
    try {
      expect((await teardown(t, TOKEN)).status).toBe(404);
      expect(await queryDatabase(t.databaseUrl, 'SELECT id FROM users')).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('with ENABLE_FE_E2E but no E2E_TEST_AUTH_TOKEN every teardown is refused', async () => {
    const t = await startTestApp({ ENABLE_FE_E2E: 'true' });
    try {
      expect((await teardown(t, '')).status).toBe(401);
      expect((await teardown(t)).status).toBe(401);
      expect(await queryDatabase(t.databaseUrl, 'SELECT id FROM users')).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
