import { createHmac } from 'node:crypto';
import { createServer } from 'node:net';
import { AddressInfo } from 'node:net';
import { AUDIT_LOG_RECORDED, UnitOfWork } from '../src/common/unit-of-work';
import { JobQueueRepository } from '../src/jobs/job-queue.repository';
import { Call, client, createEnvironment, createOrganisation, createProject, signUp } from './api-helpers';
import { Json, SEGMENT_RULES } from './support/management-api';
import { startTestApp, TestApp } from './support/app';
import { Received, Receiver, startReceiver, until } from './support/webhook-receiver';

const INTERNAL = 'URLs must not target internal or private network addresses.';

/** The events one path of the receiver got, parsed. */
function eventsAt(receiver: Receiver, path: string): { event_type: string; data: Json }[] {
  return receiver.received.filter((r) => r.path === path).map((r: Received) => JSON.parse(r.body));
}

describe('webhook events: organisation webhooks, flag deletes, overrides, test call, delivery history', () => {
  let t: TestApp;
  let call: Call;
  let admin: { token: string; email: string };
  let member: { token: string };
  let outsider: { token: string };
  let orgId: number;
  let otherOrgId: number;
  let project: number;
  let envKey: string;
  let envId: number;
  let receiver: Receiver;

  beforeAll(async () => {
    t = await startTestApp({
      TASK_PROCESSOR_SLEEP_INTERVAL_MS: '20',
      TASK_PROCESSOR_RETRY_BASE_DELAY_MS: '100',
      WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
    });
    call = client(t);
    receiver = await startReceiver();
    admin = await signUp(call);
    const org = await createOrganisation(call, admin.token);
    orgId = org.id;
    project = (await createProject(call, admin.token, org.id)).id;
    const env = await createEnvironment(call, admin.token, project);
    envKey = env.api_key;
    envId = env.id;
    member = await signUp(call);
    const link = await call('POST', `/api/v1/organisations/${orgId}/invite-links/`, {
      auth: admin.token,
      body: {},
    });
    expect(
      (await call('POST', `/api/v1/users/join/link/${link.body.hash}/`, { auth: member.token })).status,
    ).toBe(200);
    outsider = await signUp(call);
    otherOrgId = (await createOrganisation(call, outsider.token, 'Other')).id;
  });
  afterAll(async () => {
    await t?.close();
    receiver?.close();
  });

  const orgHooks = (id = orgId) => `/api/v1/organisations/${id}/webhooks/`;
  const envHooks = () => `/api/v1/environments/${envKey}/webhooks/`;

  async function hook(path: string, url: string, secret = ''): Promise<number> {
    const res = await call('POST', path, { auth: admin.token, body: { url, secret } });
    expect(res.status).toBe(201);
    return res.body.id as number;
  }

  async function newFeature(name: string): Promise<{ id: number; stateId: number }> {
    const feature = await call('POST', `/api/v1/projects/${project}/features/`, {
      auth: admin.token,
      body: { name },
    });
    expect(feature.status).toBe(201);
    const states = await call(
      'GET',
      `/api/v1/environments/${envKey}/featurestates/?feature=${feature.body.id}`,
      {
        auth: admin.token,
      },
    );
    return { id: feature.body.id, stateId: states.body.results[0].id };
  }

  describe('organisation webhooks', () => {
    it('CRUD: create → retrieve → list → PATCH only the field sent → PUT → DELETE, each read back', async () => {
      const created = await call('POST', orgHooks(), {
        auth: admin.token,
        body: { url: 'https://example.com/org', secret: 'k' },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ url: 'https://example.com/org', enabled: true, secret: 'k' });
      const id = created.body.id as number;
      expect((await call('GET', `${orgHooks()}${id}/`, { auth: admin.token })).body).toEqual(created.body);
      const patched = await call('PATCH', `${orgHooks()}${id}/`, {
        auth: admin.token,
        body: { enabled: false },
      });
      expect(patched.body).toMatchObject({ url: 'https://example.com/org', enabled: false, secret: 'k' });
      const put = await call('PUT', `${orgHooks()}${id}/`, {
        auth: admin.token,
        body: { url: 'https://example.com/org2', enabled: false },
      });
      expect(put.body).toMatchObject({ url: 'https://example.com/org2', enabled: false, secret: 'k' });
      expect((await call('GET', orgHooks(), { auth: admin.token })).body).toEqual([put.body]);
      expect((await call('DELETE', `${orgHooks()}${id}/`, { auth: admin.token })).status).toBe(204);
      expect((await call('GET', orgHooks(), { auth: admin.token })).body).toEqual([]);
      expect((await call('GET', `${orgHooks()}${id}/`, { auth: admin.token })).status).toBe(404);
    });

    it('bad input: no URL, an internal address, a secret over 255 → 400 naming the field, nothing stored', async () => {
      const cases: [unknown, string, string][] = [
        [{}, 'url', 'This field is required.'],
        [{ url: 'http://192.168.1.1/' }, 'url', INTERNAL],
        [
          { url: 'https://example.com/', secret: 'x'.repeat(256) },
          'secret',
          'Ensure this field has no more than 255 characters.',
        ],
      ];
      for (const [body, field, message] of cases)
        expect(await call('POST', orgHooks(), { auth: admin.token, body })).toEqual({
          status: 400,
          body: { [field]: [message] },
        });
      expect((await call('GET', orgHooks(), { auth: admin.token })).body).toEqual([]);
    });

    it('a member who is not an admin → 403; another organisation → 404, its webhooks untouched', async () => {
      expect((await call('GET', orgHooks(), { auth: member.token })).status).toBe(403);
      expect(
        (await call('POST', orgHooks(), { auth: member.token, body: { url: 'https://example.com/m' } }))
          .status,
      ).toBe(403);
      const theirs = await call('POST', orgHooks(otherOrgId), {
        auth: outsider.token,
        body: { url: 'https://example.com/theirs', enabled: false },
      });
      expect(theirs.status).toBe(201);
      expect((await call('GET', orgHooks(otherOrgId), { auth: admin.token })).status).toBe(404);
      expect((await call('GET', `${orgHooks()}${theirs.body.id}/`, { auth: admin.token })).status).toBe(404);
      expect((await call('DELETE', `${orgHooks()}${theirs.body.id}/`, { auth: admin.token })).status).toBe(
        404,
      );
      expect((await call('GET', orgHooks(otherOrgId), { auth: outsider.token })).body).toHaveLength(1);
    });

    it('an audit record → AUDIT_LOG_CREATED signed to the organisation webhook; a flag change → FLAG_UPDATED too', async () => {
      const id = await hook(orgHooks(), `${receiver.url}/org-audit`, 'org-secret');
      const feature = await newFeature('audited_flag');
      const audit = await until('the AUDIT_LOG_CREATED', () =>
        eventsAt(receiver, '/org-audit').find(
          (e) =>
            e.event_type === 'AUDIT_LOG_CREATED' &&
            e.data.log === 'New Flag / Remote Config created: audited_flag',
        ),
      );
      expect(audit.data).toMatchObject({
        project: { id: project },
        related_object_id: feature.id,
        related_object_type: 'FEATURE',
        author: { email: admin.email },
      });
      const listed = await call('GET', `/api/v1/projects/${project}/audit/`, { auth: admin.token });
      const row = listed.body.results.find((r: { log: string }) => r.log === audit.data.log);
      expect(audit.data).toEqual(row);
      const raw = receiver.received.find((r) => r.path === '/org-audit')!;
      expect(raw.headers['x-flagsmith-signature']).toBe(
        createHmac('sha256', 'org-secret').update(raw.body).digest('hex'),
      );
      await call('PATCH', `/api/v1/environments/${envKey}/featurestates/${feature.stateId}/`, {
        auth: admin.token,
        body: { enabled: true },
      });
      const flag = await until('the FLAG_UPDATED', () =>
        eventsAt(receiver, '/org-audit').find((e) => e.event_type === 'FLAG_UPDATED'),
      );
      expect(flag.data.new_state).toMatchObject({ enabled: true, feature: { name: 'audited_flag' } });
      await call('DELETE', `${orgHooks()}${id}/`, { auth: admin.token });
    });

    it('a write that rolls back after recording its audit line → nothing enqueued, nothing sent', async () => {
      const id = await hook(orgHooks(), `${receiver.url}/org-rollback`);
      const jobs = t.app.get(JobQueueRepository);
      const before = (await jobs.list(AUDIT_LOG_RECORDED)).length;
      await expect(
        t.app.get(UnitOfWork).run(async (tx) => {
          tx.audit({ log: 'never committed', organisationId: orgId, projectId: project });
          await Promise.resolve();
          throw new Error('the write fails after its audit line');
        }),
      ).rejects.toThrow('the write fails');
      // A committed one through the same path is enqueued (the count proves the probe can see one).
      await t.app.get(UnitOfWork).run(async (tx) => {
        tx.audit({ log: 'committed', organisationId: orgId, projectId: project });
        await Promise.resolve();
      });
      expect((await jobs.list(AUDIT_LOG_RECORDED)).length).toBe(before + 1);
      await until('the committed one', () =>
        eventsAt(receiver, '/org-rollback').find((e) => e.data.log === 'committed'),
      );
      expect(eventsAt(receiver, '/org-rollback').filter((e) => e.data.log === 'never committed')).toEqual([]);
      await call('DELETE', `${orgHooks()}${id}/`, { auth: admin.token });
    });

    it('no enabled organisation webhook → an audit record enqueues no AUDIT_LOG_CREATED job', async () => {
      const jobs = t.app.get(JobQueueRepository);
      const before = (await jobs.list(AUDIT_LOG_RECORDED)).length;
      await newFeature('unfollowed_flag');
      expect((await jobs.list(AUDIT_LOG_RECORDED)).length).toBe(before);
    });
  });

  describe('flag events of every feature-state writer', () => {
    let hookId: number;
    beforeAll(async () => {
      hookId = await hook(envHooks(), `${receiver.url}/env-events`);
    });
    afterAll(async () => {
      await call('DELETE', `${envHooks()}${hookId}/`, { auth: admin.token });
    });
    const flagEvents = (name: string) =>
      eventsAt(receiver, '/env-events').filter(
        (e) => (e.data.new_state ?? e.data.previous_state)?.feature?.name === name,
      );

    it('segment override created → FLAG_UPDATED with its segment; removed → FLAG_DELETED with it as previous_state', async () => {
      const feature = await newFeature('segmented');
      const segment = await call('POST', `/api/v1/projects/${project}/segments/`, {
        auth: admin.token,
        body: { name: 'pros', rules: SEGMENT_RULES },
      });
      const override = await call(
        'POST',
        `/api/v1/environments/${envKey}/features/${feature.id}/create-segment-override/`,
        {
          auth: admin.token,
          body: {
            enabled: true,
            feature_state_value: { type: 'unicode', string_value: 'pro' },
            feature_segment: { segment: segment.body.id },
          },
        },
      );
      expect(override.status).toBe(201);
      const updated = await until('FLAG_UPDATED', () =>
        flagEvents('segmented').find((e) => e.event_type === 'FLAG_UPDATED'),
      );
      expect(updated.data.new_state).toMatchObject({
        enabled: true,
        feature_state_value: 'pro',
        environment: { id: envId },
        feature_segment: { segment: { id: segment.body.id, name: 'pros' }, priority: 0 },
      });
      expect(updated.data.previous_state).toBeUndefined();
      const slot = override.body.feature_segment.id as number;
      expect(
        (await call('DELETE', `/api/v1/features/feature-segments/${slot}/`, { auth: admin.token })).status,
      ).toBe(204);
      const deleted = await until('FLAG_DELETED', () =>
        flagEvents('segmented').find((e) => e.event_type === 'FLAG_DELETED'),
      );
      expect(deleted.data.new_state).toBeNull();
      expect(deleted.data.previous_state).toMatchObject({
        enabled: true,
        feature_state_value: 'pro',
        feature_segment: { segment: { id: segment.body.id } },
      });
      expect(deleted.data.changed_by).toBe(admin.email);
    });

    it('identity override created, updated, removed → FLAG_UPDATED, FLAG_UPDATED (previous), FLAG_DELETED', async () => {
      const feature = await newFeature('personal');
      const identity = await call('POST', `/api/v1/environments/${envKey}/identities/`, {
        auth: admin.token,
        body: { identifier: 'carol' },
      });
      const base = `/api/v1/environments/${envKey}/identities/${identity.body.id}/featurestates/`;
      const created = await call('POST', base, {
        auth: admin.token,
        body: { feature: feature.id, enabled: true, feature_state_value: 'for carol' },
      });
      expect(created.status).toBe(201);
      await call('PATCH', `${base}${created.body.id}/`, { auth: admin.token, body: { enabled: false } });
      expect((await call('DELETE', `${base}${created.body.id}/`, { auth: admin.token })).status).toBe(204);
      const events = await until('three events', () => {
        const got = flagEvents('personal');
        return got.length >= 3 ? got : undefined;
      });
      expect(events.map((e) => e.event_type)).toEqual(['FLAG_UPDATED', 'FLAG_UPDATED', 'FLAG_DELETED']);
      expect(events[0].data.new_state).toMatchObject({
        enabled: true,
        feature_state_value: 'for carol',
        identity: identity.body.id,
        identity_identifier: 'carol',
      });
      expect(events[1].data).toMatchObject({
        new_state: { enabled: false },
        previous_state: { enabled: true },
      });
      expect(events[2].data).toMatchObject({
        new_state: null,
        previous_state: { enabled: false, identity_identifier: 'carol' },
      });
    });

    it('a feature deleted → FLAG_DELETED for its environment default state', async () => {
      const feature = await newFeature('doomed');
      expect(
        (await call('DELETE', `/api/v1/projects/${project}/features/${feature.id}/`, { auth: admin.token }))
          .status,
      ).toBe(204);
      const deleted = await until('FLAG_DELETED', () =>
        flagEvents('doomed').find((e) => e.event_type === 'FLAG_DELETED'),
      );
      expect(deleted.data).toMatchObject({
        new_state: null,
        previous_state: { enabled: false, identity: null, feature_segment: null, environment: { id: envId } },
      });
    });
  });

  describe('POST /api/v1/webhooks/test/', () => {
    const test = (body: unknown, token = admin.token) =>
      call('POST', '/api/v1/webhooks/test/', { auth: token, body });

    it('environment scope → the FLAG_UPDATED sample, signed; 200 with the receiver status', async () => {
      const res = await test({
        webhook_url: `${receiver.url}/test-env`,
        scope: { type: 'environment', id: envKey },
        secret: 'sample',
      });
      expect(res).toEqual({ status: 200, body: { detail: 'Webhook test successful', status: 200 } });
      const [raw] = receiver.received.filter((r) => r.path === '/test-env');
      expect(raw.headers['x-flagsmith-signature']).toBe(
        createHmac('sha256', 'sample').update(raw.body).digest('hex'),
      );
      expect(JSON.parse(raw.body)).toMatchObject({
        event_type: 'FLAG_UPDATED',
        data: {
          changed_by: 'user@domain.com',
          new_state: { feature: { name: 'test_feature' } },
          previous_state: { enabled: false },
        },
      });
    });

    it('organisation scope → the AUDIT_LOG_CREATED sample, unsigned without a secret', async () => {
      const res = await test({
        webhook_url: `${receiver.url}/test-org`,
        scope: { type: 'organisation', id: String(orgId) },
      });
      expect(res.status).toBe(200);
      const [raw] = receiver.received.filter((r) => r.path === '/test-org');
      expect(raw.headers['x-flagsmith-signature']).toBeUndefined();
      expect(JSON.parse(raw.body)).toMatchObject({
        event_type: 'AUDIT_LOG_CREATED',
        data: { log: 'New Flag / Remote Config created: my_feature' },
      });
    });

    it('receiver answers 500 → 400 naming its status; unreachable → 400 "Could not connect"', async () => {
      receiver.script.push(500);
      expect(
        await test({ webhook_url: `${receiver.url}/test-500`, scope: { type: 'environment', id: envKey } }),
      ).toEqual({
        status: 400,
        body: { detail: 'Webhook returned error status', body: 'Webhook returned HTTP 500.', status: 500 },
      });
      // A port nothing listens on: bind one, then free it.
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const port = (probe.address() as AddressInfo).port;
      await new Promise((resolve) => probe.close(resolve));
      expect(
        await test({ webhook_url: `http://127.0.0.1:${port}/`, scope: { type: 'environment', id: envKey } }),
      ).toEqual({
        status: 400,
        body: {
          detail: 'Could not connect to webhook URL',
          body: 'Please check the URL, and ensure it is valid and accessible from the server.',
        },
      });
    });

    it('not an admin of the scope, or no scope id → 403; another organisation → 404; bad body → 400; nothing sent', async () => {
      const url = `${receiver.url}/test-refused`;
      expect(
        (await test({ webhook_url: url, scope: { type: 'organisation', id: String(orgId) } }, member.token))
          .status,
      ).toBe(403);
      expect(
        (await test({ webhook_url: url, scope: { type: 'environment', id: envKey } }, member.token)).status,
      ).toBe(403);
      expect((await test({ webhook_url: url, scope: { type: 'environment' } })).status).toBe(403);
      expect(
        (await test({ webhook_url: url, scope: { type: 'organisation', id: String(otherOrgId) } })).status,
      ).toBe(404);
      expect(await test({ webhook_url: url })).toEqual({
        status: 400,
        body: { scope: ['This field is required.'] },
      });
      expect(
        (await test({ webhook_url: 'ftp://x', scope: { type: 'environment', id: envKey } })).body,
      ).toEqual({
        webhook_url: ['Enter a valid http(s) URL.'],
      });
      expect((await test({ webhook_url: url, scope: { type: 'project', id: '1' } })).body).toEqual({
        scope: { type: ['"project" is not a valid choice.'] },
      });
      expect(
        await test({ webhook_url: 'http://10.1.2.3/', scope: { type: 'environment', id: envKey } }),
      ).toEqual({
        status: 400,
        body: { webhook_url: [INTERNAL] },
      });
      expect(receiver.received.filter((r) => r.path === '/test-refused')).toEqual([]);
    });
  });

  describe('delivery history', () => {
    it('a success, a retried success and a final failure → each with its status, attempts and time, newest first', async () => {
      const id = await hook(envHooks(), `${receiver.url}/history`);
      const feature = await newFeature('historic');
      const toggle = (enabled: boolean) =>
        call('PATCH', `/api/v1/environments/${envKey}/featurestates/${feature.stateId}/`, {
          auth: admin.token,
          body: { enabled },
        });
      const history = () => call('GET', `${envHooks()}${id}/deliveries/`, { auth: admin.token });
      const settled = (n: number) =>
        until(`${n} settled deliveries`, async () => {
          const res = await history();
          const done = res.body.filter((d: { state: string }) => d.state !== 'retrying');
          return done.length >= n ? res.body : undefined;
        });
      await toggle(true);
      await settled(1);
      receiver.script.push(503);
      await toggle(false);
      await settled(2);
      receiver.script.push(404);
      await toggle(true);
      const rows = await settled(3);
      expect(rows).toMatchObject([
        {
          event_type: 'FLAG_UPDATED',
          state: 'failed',
          attempts: 1,
          status_code: 404,
          error: 'receiver answered 404',
        },
        { event_type: 'FLAG_UPDATED', state: 'succeeded', attempts: 2, status_code: 200, error: null },
        { event_type: 'FLAG_UPDATED', state: 'succeeded', attempts: 1, status_code: 200, error: null },
      ]);
      for (const row of rows)
        expect(Date.parse(row.last_attempt_at)).toBeGreaterThanOrEqual(Date.parse(row.created_at) - 1000);
      // Another environment's caller, or an unknown webhook id: 404.
      expect((await call('GET', `${envHooks()}999999/deliveries/`, { auth: admin.token })).status).toBe(404);
      expect((await call('GET', `${envHooks()}${id}/deliveries/`, { auth: outsider.token })).status).toBe(
        404,
      );
      await call('DELETE', `${envHooks()}${id}/`, { auth: admin.token });
    });

    it('an organisation webhook → its deliveries at /organisations/{id}/webhooks/{id}/deliveries/ (admins only)', async () => {
      const id = await hook(orgHooks(), `${receiver.url}/org-history`);
      await newFeature('org_historic');
      const rows = await until('a delivery', async () => {
        const res = await call('GET', `${orgHooks()}${id}/deliveries/`, { auth: admin.token });
        return res.body.find((d: { state: string }) => d.state === 'succeeded') ? res.body : undefined;
      });
      expect(rows[0]).toMatchObject({ event_type: 'AUDIT_LOG_CREATED', attempts: 1, status_code: 200 });
      expect((await call('GET', `${orgHooks()}${id}/deliveries/`, { auth: member.token })).status).toBe(403);
      await call('DELETE', `${orgHooks()}${id}/`, { auth: admin.token });
    });
  });

  describe('without WEBHOOK_ALLOWED_NETWORKS', () => {
    let strict: TestApp;
    let strictCall: Call;
    let token: string;
    let org: number;
    beforeAll(async () => {
      strict = await startTestApp({ TASK_PROCESSOR_SLEEP_INTERVAL_MS: '20' });
      strictCall = client(strict);
      token = (await signUp(strictCall)).token;
      org = (await createOrganisation(strictCall, token)).id;
    });
    afterAll(async () => {
      await strict?.close();
    });

    it('an organisation webhook or a test call to 127.0.0.1 → 400 naming the URL field; by name → refused, nothing sent', async () => {
      expect(
        await strictCall('POST', orgHooks(org), { auth: token, body: { url: `${receiver.url}/strict-org` } }),
      ).toEqual({ status: 400, body: { url: [INTERNAL] } });
      const scope = { type: 'organisation', id: String(org) };
      expect(
        await strictCall('POST', '/api/v1/webhooks/test/', {
          auth: token,
          body: { webhook_url: `${receiver.url}/strict-test`, scope },
        }),
      ).toEqual({ status: 400, body: { webhook_url: [INTERNAL] } });
      const port = new URL(receiver.url).port;
      expect(
        await strictCall('POST', '/api/v1/webhooks/test/', {
          auth: token,
          body: { webhook_url: `http://localhost:${port}/strict-test`, scope },
        }),
      ).toEqual({ status: 400, body: { webhook_url: [INTERNAL] } });
      expect(receiver.received.filter((r) => r.path.startsWith('/strict-'))).toEqual([]);
    });
  });
});
