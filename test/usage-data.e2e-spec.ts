import { UsageService } from '../src/usage/usage.service';
import { Call, client, createEnvironment, createOrganisation, createProject, signUp } from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import { queryDatabase } from './support/database';
import { sdk } from './support/sdk-fixtures';

/** UTC day `daysBefore` days ago, YYYY-MM-DD. */
const day = (daysBefore = 0) => new Date(Date.now() - daysBefore * 86_400_000).toISOString().slice(0, 10);

describe('usage data, evaluation data, environment metrics and lifecycle counts (Flagsmith app_analytics)', () => {
  let t: TestApp;
  let call: Call;
  let admin: { id: number; token: string };
  let org: { id: number };
  let project: { id: number };
  let dev: { id: number; api_key: string };
  let prod: { id: number; api_key: string };
  let flag: { id: number };
  let member: { id: number; token: string };
  let outsider: { token: string; org: { id: number }; project: { id: number } };
  const db = (sql: string, params: unknown[] = []) => queryDatabase(t.databaseUrl, sql, params);

  beforeAll(async () => {
    t = await startTestApp({ ENABLE_API_USAGE_TRACKING: 'true' });
    call = client(t);
    admin = await signUp(call);
    org = await createOrganisation(call, admin.token, 'Acme');
    project = await createProject(call, admin.token, org.id, 'Web');
    // Flags created enabled are enabled in every environment (Flagsmith's default; flagport's is still true).
    await call('PATCH', `/api/v1/projects/${project.id}/`, {
      auth: admin.token,
      body: { prevent_flag_defaults: false },
    });
    dev = await createEnvironment(call, admin.token, project.id, 'Dev');
    prod = await createEnvironment(call, admin.token, project.id, 'Prod');
    const created = await call('POST', `/api/v1/projects/${project.id}/features/`, {
      auth: admin.token,
      body: { name: 'checkout', default_enabled: true },
    });
    expect(created.status).toBe(201);
    flag = created.body;
    expect(
      (
        await call('POST', `/api/v1/projects/${project.id}/features/`, {
          auth: admin.token,
          body: { name: 'banner' },
        })
      ).status,
    ).toBe(201);

    // A member of the organisation (not an admin) who may view the project.
    const link = await call('POST', `/api/v1/organisations/${org.id}/invite-links/`, {
      auth: admin.token,
      body: {},
    });
    member = await signUp(call);
    await call('POST', `/api/v1/users/join/link/${link.body.hash}/`, { auth: member.token });
    const grant = await call('POST', `/api/v1/projects/${project.id}/user-permissions/`, {
      auth: admin.token,
      body: { user: member.id, permissions: ['VIEW_PROJECT'], admin: false },
    });
    expect(grant.status).toBe(201);

    const other = await signUp(call);
    const otherOrg = await createOrganisation(call, other.token, 'Other');
    outsider = {
      token: other.token,
      org: otherOrg,
      project: await createProject(call, other.token, otherOrg.id),
    };
  });
  afterAll(async () => {
    await t.close();
  });

  describe('GET /organisations/{id}/usage-data/', () => {
    beforeAll(async () => {
      const api = `${t.url}/api/v1`;
      for (let i = 0; i < 3; i++) expect((await sdk(api, '/flags/', dev.api_key)).status).toBe(200);
      expect((await sdk(api, '/identities/?identifier=ann', dev.api_key)).status).toBe(200);
      expect((await sdk(api, '/flags/', prod.api_key)).status).toBe(200);
      await t.app.get(UsageService).flush();
      // An older day, written as the usage flush writes it: inside the 90-day window, outside the 30-day one.
      await db(
        `INSERT INTO api_usage_daily (environment_id, resource, day, count) VALUES ($1, 'traits', $2, 7)`,
        [dev.id, day(40)],
      );
    });

    const usage = (query = '', token = admin.token) =>
      call('GET', `/api/v1/organisations/${org.id}/usage-data/${query}`, { auth: token });

    it('real SDK requests → one entry per day with the counts per resource, labels {}', async () => {
      const res = await usage();
      expect(res.status).toBe(200);
      expect(res.body).toEqual([
        { flags: 4, identities: 1, traits: 0, environment_document: 0, day: day(), labels: {} },
      ]);
    });

    it('environment_id and project_id filter the counted environments', async () => {
      expect((await usage(`?environment_id=${prod.id}`)).body).toEqual([
        { flags: 1, identities: 0, traits: 0, environment_document: 0, day: day(), labels: {} },
      ]);
      expect((await usage(`?project_id=${project.id}`)).body[0].flags).toBe(4);
      expect((await usage(`?project_id=${outsider.project.id}`)).body).toEqual([]);
    });

    it('period=90_day_period → the older day too, in day order', async () => {
      const res = await usage('?period=90_day_period');
      expect(res.status).toBe(200);
      expect(res.body.map((d: { day: string; traits: number }) => [d.day, d.traits])).toEqual([
        [day(40), 7],
        [day(), 0],
      ]);
    });

    it('a billing period → 404 as Flagsmith answers an organisation without billing terms', async () => {
      for (const period of ['current_billing_period', 'previous_billing_period']) {
        const res = await usage(`?period=${period}`);
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ detail: 'No billing periods found for this organisation.' });
      }
    });

    it('an SDK label filter → [] (flagport records no labels)', async () => {
      expect((await usage('?user_agent=flagsmith-js-sdk/9.0.0')).body).toEqual([]);
    });

    it('bad input → 400 in DRF’s shape', async () => {
      const res = await usage('?period=yearly&project_id=abc');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        period: ['"yearly" is not a valid choice.'],
        project_id: ['A valid integer is required.'],
      });
    });

    it('total-count → the last 30 days of requests', async () => {
      const res = await call('GET', `/api/v1/organisations/${org.id}/usage-data/total-count/`, {
        auth: admin.token,
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ count: 5 });
    });

    it('a member who is not an organisation admin → 403; another organisation → 404', async () => {
      expect((await usage('', member.token)).status).toBe(403);
      expect((await usage('', outsider.token)).status).toBe(404);
      const total = await call('GET', `/api/v1/organisations/${org.id}/usage-data/total-count/`, {
        auth: outsider.token,
      });
      expect(total.status).toBe(404);
    });
  });

  describe('GET /projects/{p}/features/{id}/evaluation-data/', () => {
    const url = (query: string, featureId = flag.id, projectId = project.id) =>
      `/api/v1/projects/${projectId}/features/${featureId}/evaluation-data/${query}`;

    beforeAll(async () => {
      const api = `${t.url}/api/v1`;
      const posted = await sdk(api, '/analytics/flags/', dev.api_key, {
        method: 'POST',
        body: { checkout: 5, banner: 1 },
      });
      expect(posted.status).toBe(200);
      await sdk(api, '/analytics/flags/', prod.api_key, { method: 'POST', body: { checkout: 2 } });
      await t.app.get(UsageService).flush();
      await db(
        `INSERT INTO feature_evaluations_daily (environment_id, feature_name, day, count) VALUES ($1, 'checkout', $2, 9)`,
        [dev.id, day(10)],
      );
    });

    it('SDK-reported evaluations → per day of that environment, in day order', async () => {
      const res = await call('GET', url(`?period=30&environment_id=${dev.id}`), { auth: member.token });
      expect(res.status).toBe(200);
      expect(res.body).toEqual([
        { day: day(10), count: 9, labels: {} },
        { day: day(), count: 5, labels: {} },
      ]);
      expect((await call('GET', url(`?environment_id=${prod.id}`), { auth: member.token })).body).toEqual([
        { day: day(), count: 2, labels: {} },
      ]);
    });

    it('period=7 → only the last 7 days', async () => {
      const res = await call('GET', url(`?period=7&environment_id=${dev.id}`), { auth: admin.token });
      expect(res.body).toEqual([{ day: day(), count: 5, labels: {} }]);
    });

    it('environment_id missing or not a number → 400', async () => {
      const missing = await call('GET', url('?period=30'), { auth: admin.token });
      expect(missing.status).toBe(400);
      expect(missing.body).toEqual({ environment_id: ['This field is required.'] });
      const bad = await call('GET', url('?environment_id=x&period=y'), { auth: admin.token });
      expect(bad.body).toEqual({
        environment_id: ['A valid integer is required.'],
        period: ['A valid integer is required.'],
      });
    });

    it('another project’s feature or environment, or another organisation → 404', async () => {
      expect(
        (await call('GET', url(`?environment_id=${dev.id}`, 999999), { auth: admin.token })).status,
      ).toBe(404);
      const foreignEnv = await createEnvironment(call, outsider.token, outsider.project.id, 'Theirs');
      expect((await call('GET', url(`?environment_id=${foreignEnv.id}`), { auth: admin.token })).status).toBe(
        404,
      );
      expect((await call('GET', url(`?environment_id=${dev.id}`), { auth: outsider.token })).status).toBe(
        404,
      );
    });
  });

  describe('GET /environments/{key}/metrics/', () => {
    it('counts total and enabled features and overrides, in Flagsmith’s rank order', async () => {
      const identity = await call('POST', `/api/v1/environments/${dev.api_key}/identities/`, {
        auth: admin.token,
        body: { identifier: 'vip' },
      });
      const override = await call(
        'POST',
        `/api/v1/environments/${dev.api_key}/identities/${identity.body.id}/featurestates/`,
        { auth: admin.token, body: { feature: flag.id, enabled: false } },
      );
      expect(override.status).toBe(201);
      const res = await call('GET', `/api/v1/environments/${dev.api_key}/metrics/`, { auth: admin.token });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        metrics: [
          { name: 'total_features', description: 'Total features', entity: 'features', rank: 1, value: 2 },
          {
            name: 'enabled_features',
            description: 'Features enabled',
            entity: 'features',
            rank: 2,
            value: 1,
          },
          {
            name: 'segment_overrides',
            description: 'Segment overrides',
            entity: 'segments',
            rank: 3,
            value: 0,
          },
          {
            name: 'identity_overrides',
            description: 'Identity overrides',
            entity: 'identities',
            rank: 4,
            value: 1,
          },
        ],
      });
    });

    it('not an environment admin → 403; another organisation → 404', async () => {
      expect(
        (await call('GET', `/api/v1/environments/${dev.api_key}/metrics/`, { auth: member.token })).status,
      ).toBe(403);
      expect(
        (await call('GET', `/api/v1/environments/${dev.api_key}/metrics/`, { auth: outsider.token })).status,
      ).toBe(404);
    });
  });

  describe('GET /environments/{id}/feature-lifecycle-counts/', () => {
    it('a feature with a permanent tag → permanent, the others new (keyed by environment id)', async () => {
      const tag = await call('POST', `/api/v1/projects/${project.id}/tags/`, {
        auth: admin.token,
        body: { label: 'keep', is_permanent: true },
      });
      const tagged = await call('PATCH', `/api/v1/projects/${project.id}/features/${flag.id}/`, {
        auth: admin.token,
        body: { tags: [tag.body.id] },
      });
      expect(tagged.status).toBe(200);
      const res = await call('GET', `/api/v1/environments/${dev.id}/feature-lifecycle-counts/`, {
        auth: admin.token,
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        new: 1,
        live: 0,
        stale: 0,
        permanent: 1,
        needs_monitoring: 0,
        to_remove: 0,
      });
    });

    it('another organisation’s environment, or an api key instead of an id → 404', async () => {
      const path = (ref: string | number) => `/api/v1/environments/${ref}/feature-lifecycle-counts/`;
      expect((await call('GET', path(dev.id), { auth: outsider.token })).status).toBe(404);
      expect((await call('GET', path('abc'), { auth: admin.token })).status).toBe(404);
    });
  });
});
