import { LoggingEmailService } from '../src/email/email.service';
import { Call, client, createEnvironment, createOrganisation, createProject, signUp } from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import { Receiver, startReceiver, until } from './support/webhook-receiver';

/**
 * Issue 16: a webhook delivery that failed for good is emailed to its organisation's webhook_notification_email
 * (as Flagsmith's webhooks.py does after its last retry): once per delivery, not per attempt, and only when the
 * organisation set an address.
 */
describe('webhook failure email', () => {
  let t: TestApp;
  let call: Call;
  let token: string;
  const receivers: Receiver[] = [];
  /** Each test its own receiver, so that no delivery of another test takes a status from its script. */
  const receiver = async (...script: number[]): Promise<Receiver> => {
    const r = await startReceiver();
    r.script.push(...script);
    receivers.push(r);
    return r;
  };
  let outbox: LoggingEmailService['outbox'];

  beforeAll(async () => {
    t = await startTestApp({
      TASK_PROCESSOR_SLEEP_INTERVAL_MS: '20',
      TASK_PROCESSOR_RETRY_BASE_DELAY_MS: '50',
      WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
    });
    call = client(t);
    token = (await signUp(call)).token;
    outbox = t.app.get(LoggingEmailService).outbox;
  });
  afterAll(async () => {
    await t?.close();
    receivers.forEach((r) => r.close());
  });

  /** An organisation (with `notify` as its webhook_notification_email, if given), a project and an environment. */
  async function organisation(notify: string | null) {
    const org = await createOrganisation(call, token, `Org ${Math.random().toString(36).slice(2, 8)}`);
    if (notify) {
      const patched = await call('PATCH', `/api/v1/organisations/${org.id}/`, {
        auth: token,
        body: { webhook_notification_email: notify },
      });
      expect([patched.status, patched.body.webhook_notification_email]).toEqual([200, notify]);
    }
    const project = await createProject(call, token, org.id, 'Checkout');
    const env = await createEnvironment(call, token, project.id, 'Staging');
    return { org, project, env };
  }

  async function environmentWebhook(apiKey: string, url: string): Promise<number> {
    const res = await call('POST', `/api/v1/environments/${apiKey}/webhooks/`, {
      auth: token,
      body: { url, enabled: true },
    });
    expect(res.status).toBe(201);
    return res.body.id as number;
  }

  /** Creates a feature and toggles its state in the environment: one FLAG_UPDATED delivery. */
  async function changeAFlag(projectId: number, apiKey: string): Promise<void> {
    const feature = await call('POST', `/api/v1/projects/${projectId}/features/`, {
      auth: token,
      body: { name: `flag_${Math.random().toString(36).slice(2, 8)}` },
    });
    expect(feature.status).toBe(201);
    const states = await call(
      'GET',
      `/api/v1/environments/${apiKey}/featurestates/?feature=${feature.body.id}`,
      {
        auth: token,
      },
    );
    const res = await call(
      'PATCH',
      `/api/v1/environments/${apiKey}/featurestates/${states.body.results[0].id}/`,
      {
        auth: token,
        body: { enabled: true },
      },
    );
    expect(res.status).toBe(200);
  }

  const finalState = (apiKey: string, hookId: number) =>
    until(
      'the delivery to be final',
      async () => {
        const res = await call('GET', `/api/v1/environments/${apiKey}/webhooks/${hookId}/deliveries/`, {
          auth: token,
        });
        const rows = res.body as { state: string; attempts: number }[];
        return rows.length && rows[0].state !== 'retrying' ? rows[0] : undefined;
      },
      20_000,
    );

  it('an environment webhook answering 500 three times → one email naming the URL, status, environment and project', async () => {
    const { project, env } = await organisation('alerts@example.com');
    const failing = await receiver(500, 500, 500);
    const hookId = await environmentWebhook(env.api_key, `${failing.url}/env-hook`);
    await changeAFlag(project.id, env.api_key);
    expect(await finalState(env.api_key, hookId)).toMatchObject({ state: 'failed', attempts: 3 });
    const mails = await until('the failure email', () => {
      const found = outbox.filter((m) => m.to === 'alerts@example.com');
      return found.length ? found : undefined;
    });
    await new Promise((r) => setTimeout(r, 300)); // no second email follows
    expect(outbox.filter((m) => m.to === 'alerts@example.com')).toHaveLength(1);
    const [mail] = mails;
    expect(mail.subject).toBe('Webhook delivery failed');
    expect(mail.text).toContain(`Webhook URL: ${failing.url}/env-hook`);
    expect(mail.text).toContain('HTTP status of the last attempt: 500');
    expect(mail.text).toContain('the environment "Staging" of the project "Checkout"');
    expect(mail.text).toContain('after 3 attempts');
    expect(mail.text).toContain('"event_type": "FLAG_UPDATED"');
    expect(mail.html).toContain('&#34;event_type&#34;: &#34;FLAG_UPDATED&#34;');
  });

  it('an organisation webhook refused for good (404, no retry) → one email naming the organisation', async () => {
    const { org } = await organisation('org-alerts@example.com');
    const refusing = await receiver(404);
    const hook = await call('POST', `/api/v1/organisations/${org.id}/webhooks/`, {
      auth: token,
      body: { url: `${refusing.url}/org-hook`, enabled: true },
    });
    expect(hook.status).toBe(201);
    // Any audited change of the organisation is an AUDIT_LOG_CREATED delivery.
    await createProject(call, token, org.id, 'Audited');
    const mail = await until('the failure email', () =>
      outbox.find((m) => m.to === 'org-alerts@example.com'),
    );
    expect(mail.text).toContain(`the organisation "${org.name}"`);
    expect(mail.text).toContain('HTTP status of the last attempt: 404');
    expect(mail.text).toContain('after 1 attempt;');
    expect(mail.text).toContain('"event_type": "AUDIT_LOG_CREATED"');
  });

  it('no webhook_notification_email, or a delivery that succeeds on a retry → no email', async () => {
    const before = outbox.length;
    const silent = await organisation(null);
    const failing = await receiver(500, 500, 500);
    const silentHook = await environmentWebhook(silent.env.api_key, failing.url);
    await changeAFlag(silent.project.id, silent.env.api_key);
    expect(await finalState(silent.env.api_key, silentHook)).toMatchObject({ state: 'failed' });

    const recovered = await organisation('recovered@example.com');
    const flaky = await receiver(503);
    const recoveredHook = await environmentWebhook(recovered.env.api_key, flaky.url);
    await changeAFlag(recovered.project.id, recovered.env.api_key);
    expect(await finalState(recovered.env.api_key, recoveredHook)).toMatchObject({
      state: 'succeeded',
      attempts: 2,
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(outbox.slice(before)).toEqual([]);
  });
});
