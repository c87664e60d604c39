import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { client, createEnvironment, createOrganisation, createProject, signUp } from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import { REPO_ROOT } from './support/server-process';

describe('GET /version/ and the dashboard environment document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('/version/ on an install with no user reports has_users false, the package version and no enterprise/SaaS', async () => {
    const res = await fetch(`${t.url}/version/`);
    expect(res.status).toBe(200);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await res.json()).toEqual({
      ci_commit_sha: expect.any(String),
      image_tag: expect.any(String),
      has_email_provider: false, // the test harness sets EMAIL_BACKEND=none
      is_enterprise: false,
      is_saas: false,
      package_versions: { '.': pkg.version },
      self_hosted_data: { has_users: false, has_logins: false },
    });
  });

  it('/environments/{api_key}/document/ for a member equals the SDK document; another organisation gets 404', async () => {
    const call = client(t);
    const owner = await signUp(call);
    const org = await createOrganisation(call, owner.token, 'Doc Org');
    const project = await createProject(call, owner.token, org.id, 'Doc Project');
    const environment = await createEnvironment(call, owner.token, project.id, 'Doc Env');
    const key = await call('POST', `/api/v1/environments/${environment.api_key}/api-keys/`, {
      auth: owner.token,
      body: { name: 'sdk' },
    });
    expect(key.status).toBe(201);

    const dashboard = await call('GET', `/api/v1/environments/${environment.api_key}/document/`, {
      auth: owner.token,
    });
    expect(dashboard.status).toBe(200);
    const sdk = await fetch(`${t.url}/api/v1/environment-document/`, {
      headers: { 'x-environment-key': key.body.key },
    });
    expect(sdk.status).toBe(200);
    expect(dashboard.body).toEqual(await sdk.json());
    expect(dashboard.body.api_key).toBe(environment.api_key);

    const stranger = await signUp(call);
    const refused = await call('GET', `/api/v1/environments/${environment.api_key}/document/`, {
      auth: stranger.token,
    });
    expect(refused.status).toBe(404);
    expect((await call('GET', `/api/v1/environments/${environment.api_key}/document/`)).status).toBe(401);

    const version = (await (await fetch(`${t.url}/version/`)).json()) as {
      self_hosted_data: { has_users: boolean };
    };
    expect(version.self_hosted_data.has_users).toBe(true);
  });
});
