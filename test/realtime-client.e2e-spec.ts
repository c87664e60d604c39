import { EventSource } from 'eventsource';
import { JSDOM } from 'jsdom';
import { DataSource } from 'typeorm';
import { EnvironmentChangesService } from '../src/environments/environment-changes.service';
import { FeatureState } from '../src/features/feature.entity';
import { RealtimeService } from '../src/realtime/realtime.service';
import { startTestApp, TestApp } from './support/app';
import { SdkFixture, seedSdkFixture, waitUntil } from './support/sdk-fixtures';

type FlagsmithModule = Pick<typeof import('flagsmith'), 'createFlagsmithInstance'>;
type Flagsmith = ReturnType<FlagsmithModule['createFlagsmithInstance']>;

interface Change {
  readonly at: number;
  readonly flagOn: { enabled: boolean; value: unknown } | undefined;
}

/**
 * The unmodified `flagsmith` JS client from npm in a jsdom page (its XMLHttpRequest, so CORS applies), with
 * `realtime: true` and `eventSourceUrl` pointing at this server (EventSource from the `eventsource` package, as
 * jsdom has none): a flag toggled on the server reaches the page's onChange within 1 s, including when the change
 * is made through another instance than the one the page talks to.
 */
describe('flagsmith JS client with realtime: true against this server', () => {
  let a: TestApp;
  let b: TestApp;
  let f: SdkFixture;
  let flagsmithModule: FlagsmithModule;
  let dom: JSDOM;
  const clients: Flagsmith[] = [];

  const globals = globalThis as unknown as Record<string, unknown>;
  const installed = [
    'window',
    'document',
    'navigator',
    'XMLHttpRequest',
    'EventSource',
    'FlagsmithEventSource',
  ];
  const previous = new Map(installed.map((name) => [name, globals[name]]));

  beforeAll(async () => {
    // flagsmith JS 10 sends Flagsmith-SDK-User-Agent, which the default CORS allow-list lacks (a page's preflight
    // fails without it): allowed here through the setting.
    const cors = { FLAGSMITH_CORS_EXTRA_ALLOW_HEADERS: 'sentry-trace,flagsmith-sdk-user-agent' };
    a = await startTestApp(cors);
    b = await startTestApp({ ...cors, DATABASE_URL: a.databaseUrl });
    f = await seedSdkFixture(a.app.get(DataSource), { project: { enableRealtimeUpdates: true } });

    dom = new JSDOM('<!doctype html><html><body></body></html>', { url: 'http://page.example.com/' });
    globals.window = dom.window;
    globals.document = dom.window.document;
    Object.defineProperty(globalThis, 'navigator', { value: dom.window.navigator, configurable: true });
    globals.XMLHttpRequest = dom.window.XMLHttpRequest;
    globals.EventSource = EventSource;
    // The client reads window/EventSource when it is loaded: load it now that the page exists.
    flagsmithModule = await import('flagsmith');
  });

  afterAll(async () => {
    for (const client of clients)
      (client as unknown as { eventSource?: { close(): void } }).eventSource?.close();
    dom?.window.close();
    for (const [name, value] of previous) {
      if (name === 'navigator') Object.defineProperty(globalThis, 'navigator', { value, configurable: true });
      else globals[name] = value;
    }
    await b?.close();
    await a?.close();
  });

  /** A page's client on `app` (API and event source), recording every onChange with the value of flag_on. */
  async function pageClient(app: TestApp): Promise<{ client: Flagsmith; changes: Change[] }> {
    const client = flagsmithModule.createFlagsmithInstance();
    clients.push(client);
    const changes: Change[] = [];
    const hub = app.app.get(RealtimeService).hub;
    const streamsBefore = hub.size;
    await client.init({
      environmentID: f.clientKey,
      api: `${app.url}/api/v1/`,
      realtime: true,
      eventSourceUrl: `${app.url}/`,
      enableAnalytics: false,
      onChange: () => {
        const flag = client.getAllFlags().flag_on as { enabled: boolean; value: unknown } | undefined;
        changes.push({ at: Date.now(), flagOn: flag && { enabled: flag.enabled, value: flag.value } });
      },
    });
    await waitUntil(async () => hub.size > streamsBefore, 5000);
    // Let the connect event settle (its updated_at equals the client's own timestamp: no refetch).
    await new Promise((r) => setTimeout(r, 300));
    return { client, changes };
  }

  /** Toggles flag_on through `app` (the path the management API takes); returns when it committed. */
  async function toggleThrough(app: TestApp, enabled: boolean, value: string): Promise<number> {
    await app.app.get(DataSource).transaction(async (m) => {
      await m.update(FeatureState, { id: f.stateIds.flag_on }, { enabled, stringValue: value });
      await app.app.get(EnvironmentChangesService).environmentsChanged(m, [f.environmentId]);
    });
    return Date.now();
  }

  it('toggling a flag on the server fires onChange with the new value within 1 s', async () => {
    const { client, changes } = await pageClient(a);
    expect(client.hasFeature('flag_on')).toBe(true);
    const seen = changes.length;

    const committed = await toggleThrough(a, false, 'realtime-1');
    await waitUntil(async () => changes.slice(seen).some((c) => c.flagOn?.enabled === false), 1000, 10);
    const change = changes.slice(seen).find((c) => c.flagOn?.enabled === false)!;
    expect(change.at - committed).toBeLessThan(1000);
    expect(change.flagOn).toEqual({ enabled: false, value: 'realtime-1' });
    expect(client.hasFeature('flag_on')).toBe(false);
    expect(client.getValue('flag_on')).toBe('realtime-1');
  });

  it('a change made through another instance reaches the page connected to this one within 1 s', async () => {
    const { client, changes } = await pageClient(b);
    const seen = changes.length;

    const committed = await toggleThrough(a, true, 'realtime-2');
    await waitUntil(async () => changes.slice(seen).some((c) => c.flagOn?.value === 'realtime-2'), 1000, 10);
    const change = changes.slice(seen).find((c) => c.flagOn?.value === 'realtime-2')!;
    expect(change.at - committed).toBeLessThan(1000);
    expect(change.flagOn).toEqual({ enabled: true, value: 'realtime-2' });
    expect(client.hasFeature('flag_on')).toBe(true);
  });
});
