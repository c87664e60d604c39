import { DataSource, EntityManager } from 'typeorm';
import { Environment } from '../src/environments/environment.entity';
import { EnvironmentChangesService } from '../src/environments/environment-changes.service';
import { FeatureState } from '../src/features/feature.entity';
import { Project } from '../src/projects/project.entity';
import { RealtimeService } from '../src/realtime/realtime.service';
import { isUpdate, openSse, SseStream, updatedAtOf } from './realtime-support';
import { startTestApp, TestApp } from './support/app';
import { randomKey, sdk, SdkFixture, seedSdkFixture, waitUntil } from './support/sdk-fixtures';

const TOKEN = 'sse-test-token';

/**
 * Two instances (A and B) of the server on one database: streams held on either must get the events of changes
 * made through either, from THE change notification (in-process on the writer, LISTEN/NOTIFY on the other).
 */
describe('real-time updates: GET /sse/environments/{key}/stream', () => {
  let a: TestApp;
  let b: TestApp;
  let f: SdkFixture;
  const open: SseStream[] = [];

  const stream = async (app: TestApp, key: string, headers: Record<string, string> = {}) => {
    const s = await openSse(`${app.url}/sse/environments/${key}/stream`, headers);
    open.push(s);
    return s;
  };
  const documentUpdatedAt = async (app: TestApp, key: string) =>
    Number((await sdk(app.url, '/api/v1/flags/', key)).headers.get('x-flagsmith-document-updated-at'));
  const change = (
    app: TestApp,
    work: (m: EntityManager, changes: EnvironmentChangesService) => Promise<void>,
  ) => app.app.get(DataSource).transaction((m) => work(m, app.app.get(EnvironmentChangesService)));
  const toggle = (app: TestApp, fixture: SdkFixture, enabled: boolean) =>
    change(app, async (m, changes) => {
      await m.update(FeatureState, { id: fixture.stateIds.flag_on }, { enabled });
      await changes.environmentsChanged(m, [fixture.environmentId]);
    });

  beforeAll(async () => {
    a = await startTestApp({ SSE_AUTHENTICATION_TOKEN: TOKEN });
    b = await startTestApp({ DATABASE_URL: a.databaseUrl, SSE_AUTHENTICATION_TOKEN: TOKEN });
    f = await seedSdkFixture(a.app.get(DataSource), { project: { enableRealtimeUpdates: true } });
  });

  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('answers an event stream without authentication, CORS open, starting with the current updated_at', async () => {
    const s = await stream(a, f.clientKey, { origin: 'https://app.example.com' });
    expect(s.status).toBe(200);
    expect(s.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(s.headers.get('access-control-allow-origin')).toBe('*');
    expect(s.headers.get('cache-control')).toContain('no-cache');
    const first = await s.next(isUpdate);
    expect(first.data).toMatch(/^\{"updated_at": \d+\.\d+\}$/);
    expect(updatedAtOf(first)).toBe(await documentUpdatedAt(a, f.clientKey));
  });

  it('a change through instance A reaches a stream held on instance B within 1 s, with the new document updated_at', async () => {
    const s = await stream(b, f.clientKey);
    const initial = updatedAtOf(await s.next(isUpdate));
    await toggle(a, f, false);
    const committed = Date.now();
    // The change's own updated_at (A dropped its snapshot in-process). An earlier change's NOTIFY may still reach B
    // after the stream opened, so wait for this change's event rather than taking the first one.
    const target = await documentUpdatedAt(a, f.clientKey);
    expect(target).toBeGreaterThan(initial);
    const event = await s.next((e) => isUpdate(e) && updatedAtOf(e) === target, 1000);
    expect(event.at - committed).toBeLessThan(1000);
    expect(await documentUpdatedAt(b, f.clientKey)).toBe(target);
    await toggle(a, f, true);
  });

  it('a change through the instance holding the stream sends exactly one event (in-process and NOTIFY paths agree)', async () => {
    const s = await stream(a, f.clientKey);
    await s.next(isUpdate);
    await toggle(a, f, false);
    await s.next(isUpdate, 1000);
    expect((await s.during(500)).filter(isUpdate)).toEqual([]);
    await toggle(a, f, true);
  });

  it('a project-wide change fans out to the stream of every environment of the project', async () => {
    const second = await a.app
      .get(DataSource)
      .transaction((m) =>
        m.save(m.create(Environment, { name: 'Staging', apiKey: randomKey(), projectId: f.projectId })),
      );
    const s1 = await stream(a, f.clientKey);
    const s2 = await stream(b, second.apiKey);
    await s1.next(isUpdate);
    await s2.next(isUpdate);
    await change(b, (m, changes) => changes.projectChanged(m, f.projectId));
    await expect(s1.next(isUpdate, 1000)).resolves.toBeDefined();
    await expect(s2.next(isUpdate, 1000)).resolves.toBeDefined();
  });

  it('a server-side key opens the stream of its environment', async () => {
    const s = await stream(a, f.serverKey);
    await s.next(isUpdate);
    await toggle(b, f, false);
    await expect(s.next(isUpdate, 1000)).resolves.toBeDefined();
    await toggle(b, f, true);
  });

  it('unknown key: 404', async () => {
    const res = await fetch(`${a.url}/sse/environments/no-such-key/stream`);
    expect(res.status).toBe(404);
  });

  it('enable_realtime_updates off: no events, neither on connect nor on change; turning it on sends one', async () => {
    const off = await seedSdkFixture(a.app.get(DataSource));
    const s = await stream(b, off.clientKey);
    expect(s.status).toBe(200);
    await toggle(a, off, false);
    expect((await s.during(700)).filter(isUpdate)).toEqual([]);
    await change(a, async (m, changes) => {
      await m.update(Project, { id: off.projectId }, { enableRealtimeUpdates: true });
      await changes.projectChanged(m, off.projectId);
    });
    const event = await s.next(isUpdate, 1000);
    expect(updatedAtOf(event)).toBe(await documentUpdatedAt(b, off.clientKey));
  });

  it('a client that goes away is forgotten', async () => {
    const hub = a.app.get(RealtimeService).hub;
    const before = hub.size;
    const s = await stream(a, f.clientKey);
    await s.next(isUpdate);
    expect(hub.size).toBe(before + 1);
    s.close();
    await waitUntil(async () => hub.size === before, 2000);
  });

  it('a deleted environment ends its streams', async () => {
    const gone = await seedSdkFixture(a.app.get(DataSource), { project: { enableRealtimeUpdates: true } });
    const s = await stream(b, gone.clientKey);
    await s.next(isUpdate);
    await change(a, async (m, changes) => {
      await changes.environmentsDeleted(m, [{ id: gone.environmentId, apiKey: gone.clientKey }]);
      await m.query('DELETE FROM environments WHERE id = $1', [gone.environmentId]);
    });
    await expect(
      Promise.race([s.ended, new Promise((_, no) => setTimeout(no, 2000))]),
    ).resolves.toBeUndefined();
  });

  describe('POST /sse/environments/{key}/queue-change (upstream compatibility)', () => {
    const queue = (app: TestApp, key: string, authorization: string | undefined, body: unknown) =>
      fetch(`${app.url}/sse/environments/${key}/queue-change`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(authorization === undefined ? {} : { authorization }),
        },
        body: JSON.stringify(body),
      });

    it('with the token: the given updated_at reaches the streams on every instance', async () => {
      const onA = await stream(a, f.clientKey);
      const onB = await stream(b, f.clientKey);
      await onA.next(isUpdate);
      await onB.next(isUpdate);
      const res = await queue(a, f.clientKey, `Token ${TOKEN}`, {
        updated_at: '2031-02-03T04:05:06.123456+00:00',
      });
      expect(res.status).toBe(200);
      const expected = Date.UTC(2031, 1, 3, 4, 5, 6) / 1000 + 0.123456;
      expect(updatedAtOf(await onA.next(isUpdate, 1000))).toBeCloseTo(expected, 6);
      expect(updatedAtOf(await onB.next(isUpdate, 1000))).toBeCloseTo(expected, 6);

      // A queued value (even a future one) does not hold back the events of later changes.
      await toggle(a, f, false);
      expect(updatedAtOf(await onB.next(isUpdate, 1000))).toBe(await documentUpdatedAt(b, f.clientKey));
      await toggle(a, f, true);
    });

    it('without the token or with a wrong one: 401 "Invalid authorization header"', async () => {
      for (const authorization of [undefined, 'Token wrong', `Bearer ${TOKEN}`]) {
        const res = await queue(a, f.clientKey, authorization, { updated_at: '2031-02-03T04:05:06Z' });
        expect([res.status, await res.json()]).toEqual([401, { detail: 'Invalid authorization header' }]);
      }
    });

    it('a body without a valid updated_at: 400', async () => {
      for (const body of [{}, { updated_at: 'yesterday' }, []]) {
        const res = await queue(a, f.clientKey, `Token ${TOKEN}`, body);
        expect(res.status).toBe(400);
      }
    });
  });

  it('closing the application ends open streams (they never hold shutdown)', async () => {
    const c = await startTestApp({ DATABASE_URL: a.databaseUrl });
    const s = await openSse(`${c.url}/sse/environments/${f.clientKey}/stream`);
    await s.next(isUpdate);
    const started = Date.now();
    await c.close();
    await s.ended;
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
