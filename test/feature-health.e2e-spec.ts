import { Call, client, createEnvironment, createOrganisation, createProject, signUp } from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import { queryDatabase } from './support/database';

describe('feature health providers, webhook and events (Flagsmith features/feature_health)', () => {
  let t: TestApp;
  let call: Call;
  let admin: { id: number; token: string; email: string };
  let org: { id: number };
  let project: { id: number };
  let prod: { id: number };
  let checkout: { id: number };
  let viewer: { id: number; token: string };
  let outsider: { token: string };
  const count = async (table: string) =>
    Number(
      (await queryDatabase<{ n: string }>(t.databaseUrl, `SELECT count(*)::text AS n FROM ${table}`))[0].n,
    );
  const providers = (projectId = project.id) => `/api/v1/projects/${projectId}/feature-health/providers/`;
  const events = (projectId = project.id) => `/api/v1/projects/${projectId}/feature-health/events/`;

  /** POSTs a payload to a webhook URL as a provider would: no credentials. */
  async function post(url: string, payload: unknown): Promise<{ status: number; body: unknown }> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
  }

  beforeAll(async () => {
    t = await startTestApp();
    call = client(t);
    admin = await signUp(call);
    org = await createOrganisation(call, admin.token, 'Acme');
    project = await createProject(call, admin.token, org.id, 'Web');
    await createEnvironment(call, admin.token, project.id, 'Dev');
    prod = await createEnvironment(call, admin.token, project.id, 'Prod');
    checkout = (
      await call('POST', `/api/v1/projects/${project.id}/features/`, {
        auth: admin.token,
        body: { name: 'checkout' },
      })
    ).body;
    const link = await call('POST', `/api/v1/organisations/${org.id}/invite-links/`, {
      auth: admin.token,
      body: {},
    });
    viewer = await signUp(call);
    await call('POST', `/api/v1/users/join/link/${link.body.hash}/`, { auth: viewer.token });
    await call('POST', `/api/v1/projects/${project.id}/user-permissions/`, {
      auth: admin.token,
      body: { user: viewer.id, permissions: ['VIEW_PROJECT'], admin: false },
    });
    const other = await signUp(call);
    await createOrganisation(call, other.token, 'Other');
    outsider = other;
  });
  afterAll(async () => {
    await t.close();
  });

  let webhookUrl: string;

  describe('providers', () => {
    it('create → 201 with the creator, the project and a webhook URL carrying a token; listed', async () => {
      const res = await call('POST', providers(), { auth: admin.token, body: { name: 'Webhook' } });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        created_by: admin.email,
        name: 'Webhook',
        project: project.id,
        webhook_url: expect.stringMatching(new RegExp(`^${t.url}/api/v1/feature-health/[A-Za-z0-9_-]{43}$`)),
      });
      webhookUrl = res.body.webhook_url;
      const list = await call('GET', providers(), { auth: viewer.token });
      expect(list.status).toBe(200);
      expect(list.body).toEqual([res.body]);
    });

    it('a second provider of the same name → 400, nothing written; an unknown name → 400', async () => {
      const before = await count('feature_health_providers');
      const dup = await call('POST', providers(), { auth: admin.token, body: { name: 'Webhook' } });
      expect(dup.status).toBe(400);
      expect(dup.body).toEqual({ non_field_errors: ['The fields name, project must make a unique set.'] });
      const unknown = await call('POST', providers(), { auth: admin.token, body: { name: 'Sample' } });
      expect(unknown.status).toBe(400);
      expect(unknown.body).toEqual({ name: ['"Sample" is not a valid choice.'] });
      expect(await count('feature_health_providers')).toBe(before);
    });

    it('create or delete without project admin → 403; another organisation → 404', async () => {
      expect(
        (await call('POST', providers(), { auth: viewer.token, body: { name: 'Grafana' } })).status,
      ).toBe(403);
      expect((await call('DELETE', `${providers()}Webhook/`, { auth: viewer.token })).status).toBe(403);
      expect((await call('GET', providers(), { auth: outsider.token })).status).toBe(404);
      expect(
        (await call('POST', providers(), { auth: outsider.token, body: { name: 'Grafana' } })).status,
      ).toBe(404);
    });
  });

  describe('webhook and events', () => {
    it('a Webhook event → 200; the feature is UNHEALTHY in that environment, with its reason', async () => {
      const reason = { text_blocks: [{ title: 'Errors', text: 'Error rate 12%' }], url_blocks: [] };
      const res = await post(webhookUrl, {
        feature: 'checkout',
        environment: 'Prod',
        status: 'unhealthy',
        reason,
      });
      expect(res.status).toBe(200);
      const list = await call('GET', events(), { auth: viewer.token });
      expect(list.status).toBe(200);
      expect(list.body).toEqual([
        {
          id: expect.any(Number),
          created_at: expect.any(String),
          environment: prod.id,
          feature: checkout.id,
          provider_name: 'Webhook',
          reason,
          type: 'UNHEALTHY',
        },
      ]);
    });

    it('a later event for the same feature and environment → only the latest is listed', async () => {
      expect(
        (await post(webhookUrl, { feature: 'checkout', environment: 'Prod', status: 'healthy' })).status,
      ).toBe(200);
      const list = await call('GET', events(), { auth: admin.token });
      expect(list.body).toEqual([
        expect.objectContaining({ environment: prod.id, type: 'HEALTHY', reason: null }),
      ]);
    });

    it('an event without environment → project-wide (environment null), listed beside the environment one', async () => {
      expect((await post(webhookUrl, { feature: 'checkout', status: 'unhealthy' })).status).toBe(200);
      const list = await call('GET', events(), { auth: admin.token });
      expect(
        list.body.map((e: { environment: number | null; type: string }) => [e.environment, e.type]),
      ).toEqual([
        [prod.id, 'HEALTHY'],
        [null, 'UNHEALTHY'],
      ]);
    });

    it('a bad path token → 404 and nothing written, whatever the body', async () => {
      const before = await count('feature_health_events');
      const bad = `${t.url}/api/v1/feature-health/not-a-token`;
      expect((await post(bad, { feature: 'checkout', status: 'unhealthy' })).status).toBe(404);
      expect((await post(bad, '[1, 2]')).status).toBe(404); // not the provider's format either
      expect(await count('feature_health_events')).toBe(before);
    });

    it('a malformed event → 400 in DRF’s shape, nothing written', async () => {
      const before = await count('feature_health_events');
      const missing = await post(webhookUrl, { feature: 'checkout' });
      expect(missing).toEqual({ status: 400, body: { status: ['This field is required.'] } });
      const wrong = await post(webhookUrl, {
        feature: 'checkout',
        status: 'broken',
        reason: { text_blocks: 'x' },
      });
      expect(wrong.status).toBe(400);
      expect(wrong.body).toEqual({
        status: ['"broken" is not a valid choice.'],
        reason: {
          text_blocks: ['Expected a list of items but got type "str".'],
          url_blocks: ['This field is required.'],
        },
      });
      expect((await post(webhookUrl, '[1, 2]')).status).toBe(400);
      const unknown = await post(webhookUrl, { feature: 'no-such-flag', status: 'unhealthy' });
      expect(unknown.status).toBe(400);
      expect(await count('feature_health_events')).toBe(before);
    });

    it('dismiss an UNHEALTHY event (EDIT_FEATURE) → a HEALTHY one saying who dismissed it', async () => {
      const unhealthy = (await call('GET', events(), { auth: admin.token })).body.find(
        (e: { type: string }) => e.type === 'UNHEALTHY',
      );
      expect((await call('POST', `${events()}${unhealthy.id}/dismiss/`, { auth: viewer.token })).status).toBe(
        403,
      );
      const res = await call('POST', `${events()}${unhealthy.id}/dismiss/`, { auth: admin.token });
      expect(res.status).toBe(204);
      const list = await call('GET', events(), { auth: admin.token });
      expect(list.body).toContainEqual(
        expect.objectContaining({
          environment: null,
          type: 'HEALTHY',
          reason: { text_blocks: [{ text: `Manually dismissed by ${admin.email}` }], url_blocks: [] },
        }),
      );
      expect((await call('POST', `${events()}999999/dismiss/`, { auth: admin.token })).status).toBe(404);
    });

    it('events and the webhook writes are audited', async () => {
      const audit = await queryDatabase<{ log: string }>(
        t.databaseUrl,
        `SELECT log FROM audit_logs WHERE project_id = $1 AND related_object_type = 'FEATURE_HEALTH' ORDER BY id`,
        [project.id],
      );
      expect(audit.map((a) => a.log)).toEqual([
        'Health provider Webhook set up for project Web.',
        expect.stringMatching(
          /^Health status changed to UNHEALTHY for feature checkout in environment Prod\./,
        ),
        'Health status changed to HEALTHY for feature checkout in environment Prod.\n\nProvided by Webhook',
        'Health status changed to UNHEALTHY for feature checkout.\n\nProvided by Webhook',
        expect.stringMatching(
          /^Health status changed to HEALTHY for feature checkout\.\n\nProvided by Webhook/,
        ),
      ]);
    });

    it('another organisation → 404 for the events list', async () => {
      expect((await call('GET', events(), { auth: outsider.token })).status).toBe(404);
    });

    it('a Grafana provider: a firing alert labelled with the feature → UNHEALTHY with the alert’s links', async () => {
      const created = await call('POST', providers(), { auth: admin.token, body: { name: 'Grafana' } });
      expect(created.status).toBe(201);
      const alert = {
        status: 'firing',
        labels: { alertname: 'High latency', flagsmith_feature: 'checkout', flagsmith_environment: 'Prod' },
        annotations: { description: 'p99 over 2s' },
        startsAt: '2025-01-02T03:04:05Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://grafana.local/alerting/1',
        fingerprint: 'abc123',
      };
      expect((await post(created.body.webhook_url, { alerts: [alert] })).status).toBe(200);
      const list = await call('GET', events(), { auth: admin.token });
      expect(list.body).toContainEqual({
        id: expect.any(Number),
        created_at: '2025-01-02T03:04:05.000Z',
        environment: prod.id,
        feature: checkout.id,
        provider_name: 'Grafana',
        reason: {
          text_blocks: [{ title: 'High latency', text: 'p99 over 2s' }],
          url_blocks: [{ title: 'Alert', url: 'http://grafana.local/alerting/1' }],
        },
        type: 'UNHEALTHY',
      });
      const webhookEvent = await post(created.body.webhook_url, { feature: 'checkout', status: 'unhealthy' });
      expect(webhookEvent).toEqual({ status: 400, body: { alerts: ['This field is required.'] } });
    });

    it('delete a provider by name (any case) → 204; its URL then answers 404; again → 404', async () => {
      expect((await call('DELETE', `${providers()}webhook/`, { auth: admin.token })).status).toBe(204);
      expect((await post(webhookUrl, { feature: 'checkout', status: 'unhealthy' })).status).toBe(404);
      expect((await call('DELETE', `${providers()}Webhook/`, { auth: admin.token })).status).toBe(404);
      expect(
        (await call('GET', providers(), { auth: admin.token })).body.map((p: { name: string }) => p.name),
      ).toEqual(['Grafana']);
    });
  });
});
