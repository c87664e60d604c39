import { createHmac } from 'node:crypto';
import { JobQueueRepository } from '../src/jobs/job-queue.repository';
import { Call, client, createEnvironment, createOrganisation, createProject, signUp } from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import { Receiver, startReceiver, until } from './support/webhook-receiver';

const INTERNAL = 'URLs must not target internal or private network addresses.';

describe('environment webhooks', () => {
  let t: TestApp;
  let call: Call;
  let admin: { token: string; email: string };
  let outsider: { token: string };
  let envKey: string;
  let envId: number;
  let otherEnvKey: string;
  let project: number;
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
    project = (await createProject(call, admin.token, org.id)).id;
    const env = await createEnvironment(call, admin.token, project);
    envKey = env.api_key;
    envId = env.id;
    outsider = await signUp(call);
    const otherOrg = await createOrganisation(call, outsider.token, 'Other');
    const otherProject = await createProject(call, outsider.token, otherOrg.id);
    otherEnvKey = (await createEnvironment(call, outsider.token, otherProject.id)).api_key;
  });
  afterAll(async () => {
    await t?.close();
    receiver?.close();
  });

  const hooks = (key = envKey) => `/api/v1/environments/${key}/webhooks/`;

  async function toggleFlag(name: string, enabled: boolean): Promise<number> {
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
    const state = states.body.results[0];
    const patched = await call('PATCH', `/api/v1/environments/${envKey}/featurestates/${state.id}/`, {
      auth: admin.token,
      body: { enabled },
    });
    expect(patched.status).toBe(200);
    return feature.body.id as number;
  }

  it('CRUD: create → list → PATCH only the field sent → PUT → DELETE, each read back', async () => {
    const created = await call('POST', hooks(), {
      auth: admin.token,
      body: { url: `${receiver.url}/crud`, secret: 's3cret' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ url: `${receiver.url}/crud`, enabled: true, secret: 's3cret' });
    expect(typeof created.body.created_at).toBe('string');
    const id = created.body.id as number;

    const patched = await call('PATCH', `${hooks()}${id}/`, { auth: admin.token, body: { enabled: false } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ url: `${receiver.url}/crud`, enabled: false, secret: 's3cret' });

    const put = await call('PUT', `${hooks()}${id}/`, {
      auth: admin.token,
      body: { url: `${receiver.url}/crud2`, enabled: true },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ url: `${receiver.url}/crud2`, enabled: true, secret: 's3cret' });

    const listed = await call('GET', hooks(), { auth: admin.token });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([put.body]);

    expect((await call('DELETE', `${hooks()}${id}/`, { auth: admin.token })).status).toBe(204);
    expect((await call('GET', hooks(), { auth: admin.token })).body).toEqual([]);
    expect((await call('DELETE', `${hooks()}${id}/`, { auth: admin.token })).status).toBe(404);
  });

  it('bad input: no URL, a non-http URL, an internal address, a URL over 200 characters, a secret over 255 → 400 naming the field, nothing stored', async () => {
    const cases: [unknown, string, string][] = [
      [{}, 'url', 'This field is required.'],
      [{ url: 'ftp://example.com/x' }, 'url', 'Enter a valid http(s) URL.'],
      [{ url: 'http://10.0.0.1/' }, 'url', INTERNAL],
      [{ url: 'http://[::1]/' }, 'url', INTERNAL],
      [{ url: 'http://169.254.169.254/latest/meta-data/' }, 'url', INTERNAL],
      [{ url: 'not a url' }, 'url', 'Enter a valid URL.'],
      [
        { url: `https://example.com/${'a'.repeat(200)}` },
        'url',
        'Ensure this field has no more than 200 characters.',
      ],
      [
        { url: 'https://example.com/', secret: 'x'.repeat(256) },
        'secret',
        'Ensure this field has no more than 255 characters.',
      ],
    ];
    for (const [body, field, message] of cases) {
      const res = await call('POST', hooks(), { auth: admin.token, body });
      expect({ body, status: res.status, errors: res.body }).toEqual({
        body,
        status: 400,
        errors: { [field]: [message] },
      });
    }
    expect((await call('GET', hooks(), { auth: admin.token })).body).toEqual([]);
  });

  it("another organisation's environment → 404 on every route, its webhooks untouched", async () => {
    const theirs = await call('POST', hooks(otherEnvKey), {
      auth: outsider.token,
      body: { url: 'https://example.com/theirs' },
    });
    expect(theirs.status).toBe(201);
    expect((await call('GET', hooks(otherEnvKey), { auth: admin.token })).status).toBe(404);
    expect(
      (await call('POST', hooks(otherEnvKey), { auth: admin.token, body: { url: 'https://example.com/' } }))
        .status,
    ).toBe(404);
    // Their webhook's id under our own environment is not found either.
    expect(
      (await call('PATCH', `${hooks()}${theirs.body.id}/`, { auth: admin.token, body: { enabled: false } }))
        .status,
    ).toBe(404);
    expect((await call('DELETE', `${hooks()}${theirs.body.id}/`, { auth: admin.token })).status).toBe(404);
    expect((await call('GET', hooks(otherEnvKey), { auth: outsider.token })).body).toMatchObject([
      { enabled: true, url: 'https://example.com/theirs' },
    ]);
  });

  it('a flag change → FLAG_UPDATED POSTed with new and previous state, signed with the secret', async () => {
    const created = await call('POST', hooks(), {
      auth: admin.token,
      body: { url: `${receiver.url}/signed`, secret: 'shh' },
    });
    const disabled = await call('POST', hooks(), {
      auth: admin.token,
      body: { url: `${receiver.url}/disabled`, enabled: false },
    });
    const featureId = await toggleFlag('signed_flag', true);
    const delivery = await until('the delivery', () => receiver.received.find((r) => r.path === '/signed'));
    const expected = createHmac('sha256', 'shh').update(delivery.body).digest('hex');
    expect(delivery.headers['x-flagsmith-signature']).toBe(expected);
    expect(delivery.headers['content-type']).toBe('application/json');
    const body = JSON.parse(delivery.body);
    expect(body).toMatchObject({
      event_type: 'FLAG_UPDATED',
      data: {
        changed_by: admin.email,
        new_state: {
          enabled: true,
          environment: { id: envId },
          feature: { id: featureId, name: 'signed_flag', project: { id: project } },
          feature_segment: null,
          identity: null,
          identity_identifier: null,
          feature_state_value: null,
          multivariate_feature_state_values: [],
        },
        previous_state: { enabled: false },
      },
    });
    expect(body.data.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    // The body is sent with its keys sorted, as Flagsmith does.
    expect(Object.keys(body)).toEqual(['data', 'event_type']);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(receiver.received.filter((r) => r.path === '/disabled')).toEqual([]);
    for (const id of [created.body.id, disabled.body.id])
      await call('DELETE', `${hooks()}${id}/`, { auth: admin.token });
  });

  it('a receiver answering 503 → retried after the back-off; an unsigned webhook gets no signature header', async () => {
    const created = await call('POST', hooks(), {
      auth: admin.token,
      body: { url: `${receiver.url}/flaky` },
    });
    receiver.script.push(503);
    await toggleFlag('flaky_flag', true);
    await until('the second attempt', () => {
      const got = receiver.received.filter((r) => r.path === '/flaky');
      return got.length >= 2 ? got : undefined;
    });
    const got = receiver.received.filter((r) => r.path === '/flaky');
    expect(got).toHaveLength(2);
    expect(got[0].body).toBe(got[1].body);
    expect(got[1].headers['x-flagsmith-signature']).toBeUndefined();
    await call('DELETE', `${hooks()}${created.body.id}/`, { auth: admin.token });
  });

  it('a receiver answering 404 → one attempt, recorded failed, the write still 200', async () => {
    const created = await call('POST', hooks(), { auth: admin.token, body: { url: `${receiver.url}/gone` } });
    receiver.script.push(404);
    await toggleFlag('gone_flag', false);
    const [job] = await until('the failed delivery', async () => {
      const jobs = await t.app.get(JobQueueRepository).list('webhook.deliver');
      const failed = jobs.filter((j) => j.state === 'failed');
      return failed.length ? failed : undefined;
    });
    expect(job).toMatchObject({ attempts: 1, lastError: 'receiver answered 404' });
    expect(receiver.received.filter((r) => r.path === '/gone')).toHaveLength(1);
    await call('DELETE', `${hooks()}${created.body.id}/`, { auth: admin.token });
  });

  it('a receiver redirecting (302) → not followed: one attempt, failed, the target never requested', async () => {
    const created = await call('POST', hooks(), {
      auth: admin.token,
      body: { url: `${receiver.url}/moved` },
    });
    receiver.script.push(302);
    await toggleFlag('moved_flag', true);
    await until('the failed delivery', async () => {
      const jobs = await t.app.get(JobQueueRepository).list('webhook.deliver');
      return jobs.find((j) => j.state === 'failed' && j.lastError === 'receiver answered 302');
    });
    expect(receiver.received.filter((r) => r.path === '/moved')).toHaveLength(1);
    expect(receiver.received.filter((r) => r.path === '/redirected')).toEqual([]);
    await call('DELETE', `${hooks()}${created.body.id}/`, { auth: admin.token });
  });

  describe('without WEBHOOK_ALLOWED_NETWORKS', () => {
    let strict: TestApp;
    let strictCall: Call;
    let token: string;
    let key: string;
    let proj: number;

    beforeAll(async () => {
      strict = await startTestApp({ TASK_PROCESSOR_SLEEP_INTERVAL_MS: '20' });
      strictCall = client(strict);
      token = (await signUp(strictCall)).token;
      const org = await createOrganisation(strictCall, token);
      proj = (await createProject(strictCall, token, org.id)).id;
      key = (await createEnvironment(strictCall, token, proj)).api_key;
    });
    afterAll(async () => {
      await strict?.close();
    });

    it('a literal 127.0.0.1 URL → 400 naming url at create and at PATCH, nothing stored', async () => {
      const res = await strictCall('POST', hooks(key), {
        auth: token,
        body: { url: `${receiver.url}/strict` },
      });
      expect(res).toEqual({ status: 400, body: { url: [INTERNAL] } });
      const ok = await strictCall('POST', hooks(key), {
        auth: token,
        body: { url: 'https://example.com/x', enabled: false },
      });
      expect(ok.status).toBe(201);
      const patch = await strictCall('PATCH', `${hooks(key)}${ok.body.id}/`, {
        auth: token,
        body: { url: 'http://[::ffff:127.0.0.1]/' },
      });
      expect(patch).toEqual({ status: 400, body: { url: [INTERNAL] } });
      expect((await strictCall('GET', hooks(key), { auth: token })).body).toMatchObject([
        { url: 'https://example.com/x' },
      ]);
      await strictCall('DELETE', `${hooks(key)}${ok.body.id}/`, { auth: token });
    });

    it('a name resolving to loopback (localhost) → saved, but the delivery is refused and recorded failed', async () => {
      const port = new URL(receiver.url).port;
      const created = await strictCall('POST', hooks(key), {
        auth: token,
        body: { url: `http://localhost:${port}/by-name` },
      });
      expect(created.status).toBe(201);
      const feature = await strictCall('POST', `/api/v1/projects/${proj}/features/`, {
        auth: token,
        body: { name: 'n' },
      });
      const states = await strictCall(
        'GET',
        `/api/v1/environments/${key}/featurestates/?feature=${feature.body.id}`,
        {
          auth: token,
        },
      );
      const patched = await strictCall(
        'PATCH',
        `/api/v1/environments/${key}/featurestates/${states.body.results[0].id}/`,
        {
          auth: token,
          body: { enabled: true },
        },
      );
      expect(patched.status).toBe(200);
      const job = await until('the refused delivery', async () => {
        const jobs = await strict.app.get(JobQueueRepository).list('webhook.deliver');
        return jobs.find((j) => j.state === 'failed');
      });
      expect(job.attempts).toBe(1);
      expect(job.lastError).toMatch(/refused: localhost resolves to (127\.0\.0\.1|::1)/);
      expect(receiver.received.filter((r) => r.path === '/by-name')).toEqual([]);
    });
  });
});
