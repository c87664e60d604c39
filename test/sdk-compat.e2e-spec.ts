import { Flagsmith } from 'flagsmith-nodejs';
import { createFlagsmithInstance } from 'flagsmith/isomorphic';
import { DataSource } from 'typeorm';
import { startTestApp, TestApp } from './support/app';
import { REALISTIC_DATASET, seedDataset, SeededDataset } from './support/seed-dataset';

type Snapshot = Record<string, { enabled: boolean; value: unknown }>;

interface NodeFlags {
  allFlags(): { featureName: string; enabled: boolean; value: unknown }[];
}

function snapshotOf(flags: NodeFlags): Snapshot {
  const out: Snapshot = {};
  for (const flag of flags.allFlags())
    out[flag.featureName] = { enabled: flag.enabled, value: flag.value ?? null };
  return out;
}

/** Runs `task` over `items` with at most `limit` in flight. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await task(items[index]);
      }
    }),
  );
  return results;
}

/**
 * The official SDKs from npm, unmodified, against the running server: remote evaluation (the server's engine)
 * and local evaluation (the SDK's own engine over our environment document) must agree for every identity.
 */
describe('official SDK clients against the server', () => {
  let t: TestApp;
  let data: SeededDataset;
  let apiUrl: string;
  let remote: Flagsmith;
  let local: Flagsmith;
  const remoteResults = new Map<string, Snapshot>();

  beforeAll(async () => {
    t = await startTestApp();
    data = await seedDataset(t.app.get(DataSource), REALISTIC_DATASET);
    apiUrl = `${t.url}/api/v1/`;
    remote = new Flagsmith({ environmentKey: data.serverKey, apiUrl, enableAnalytics: false });
    local = new Flagsmith({
      environmentKey: data.serverKey,
      apiUrl,
      enableLocalEvaluation: true,
      environmentRefreshIntervalSeconds: 3600,
      enableAnalytics: false,
    });
  }, 120000);

  afterAll(async () => {
    await remote?.close();
    await local?.close();
    await t?.close();
  });

  it('flagsmith-nodejs environment flags: remote and local evaluation agree', async () => {
    const remoteFlags = snapshotOf(await remote.getEnvironmentFlags());
    const localFlags = snapshotOf(await local.getEnvironmentFlags());
    expect(Object.keys(remoteFlags)).toHaveLength(REALISTIC_DATASET.features);
    expect(localFlags).toEqual(remoteFlags);
  });

  it('flagsmith-nodejs identity flags for 1000 identities: remote and local evaluation agree for every flag', async () => {
    const mismatches: string[] = [];
    await mapLimited(data.identities, 8, async ({ identifier, traits }) => {
      const [r, l] = await Promise.all([
        remote.getIdentityFlags(identifier, traits),
        local.getIdentityFlags(identifier, traits),
      ]);
      const remoteSnapshot = snapshotOf(r);
      remoteResults.set(identifier, remoteSnapshot);
      const localSnapshot = snapshotOf(l);
      for (const name of new Set([...Object.keys(remoteSnapshot), ...Object.keys(localSnapshot)])) {
        if (JSON.stringify(remoteSnapshot[name]) !== JSON.stringify(localSnapshot[name])) {
          mismatches.push(
            `${identifier}/${name}: remote ${JSON.stringify(remoteSnapshot[name])} local ${JSON.stringify(localSnapshot[name])}`,
          );
        }
      }
    });
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(remoteResults.size).toBe(REALISTIC_DATASET.identities);
  }, 180000);

  it('dataset exercises segment overrides, identity overrides and multivariate splits (the comparison is not vacuous)', () => {
    const values = (feature: string) =>
      new Set([...remoteResults.values()].map((s) => JSON.stringify(s[feature]?.value)));
    const all = [...remoteResults.values()].flatMap((s) => Object.values(s).map((f) => String(f.value)));
    expect(all.some((v) => v.startsWith('override_for_'))).toBe(true);
    expect(all.some((v) => /^segment_\d+_override$/.test(v))).toBe(true);
    expect(values('feature_000').size).toBeGreaterThan(1); // a multivariate feature splits identities
  });

  it('flagsmith browser/JS client in Node with a client key: identity flags equal the remote server-key flags minus server-only features', async () => {
    const sample = data.identities.slice(0, 100);
    const serverOnly = data.featureNames[data.featureNames.length - 1];
    const mismatches: string[] = [];
    await mapLimited(sample, 4, async ({ identifier, traits }) => {
      const client = createFlagsmithInstance();
      await client.init({
        environmentID: data.clientKey,
        api: apiUrl,
        identity: identifier,
        traits,
        enableAnalytics: false,
        fetch: globalThis.fetch,
      });
      const flags = client.getAllFlags() as Record<string, { enabled: boolean; value: unknown }>;
      const expected = { ...remoteResults.get(identifier) };
      delete expected[serverOnly];
      const actual: Snapshot = {};
      for (const [name, flag] of Object.entries(flags))
        actual[name] = { enabled: flag.enabled, value: flag.value ?? null };
      if (JSON.stringify(sortKeys(actual)) !== JSON.stringify(sortKeys(expected)))
        mismatches.push(identifier);
    });
    expect(mismatches).toEqual([]);
  }, 120000);
});

function sortKeys(snapshot: Snapshot): Snapshot {
  return Object.fromEntries(Object.entries(snapshot).sort(([a], [b]) => a.localeCompare(b)));
}
