import { OFREPApi, OFREPApiUnauthorizedError } from '@openfeature/ofrep-core';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { OpenFeature, type Client, type EvaluationDetails, type FlagValue } from '@openfeature/server-sdk';
import { DataSource } from 'typeorm';
import { startTestApp, TestApp } from './support/app';
import { sdk } from './support/sdk-fixtures';
import { REALISTIC_DATASET, seedDataset, SeededDataset, TraitValue } from './support/seed-dataset';

/** One flag of a `/api/v1/identities/` answer. */
interface IdentityFlag {
  id: number;
  feature: { name: string };
  feature_state_value: string | number | boolean | null;
  enabled: boolean;
  identity: number | null;
  feature_segment: number | null;
  variant: string | null;
}

interface Expected {
  value: string | number | boolean;
  reason: string;
  variant: string | undefined;
  enabled: boolean;
}

interface DocumentState {
  django_id: number;
  multivariate_feature_state_values: { multivariate_feature_option: { id: number; value: unknown } }[];
}

interface EnvironmentDocument {
  feature_states: DocumentState[];
  project: { segments: { feature_states: DocumentState[] }[] };
  identity_overrides: { identity_features: DocumentState[] }[];
}

const IDENTITIES = 500;

/** Runs `task` over `items` with at most `limit` in flight. */
async function mapLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await task(items[next++]);
    }),
  );
}

/**
 * The unmodified OpenFeature clients from npm against the server: `@openfeature/server-sdk` with the OFREP provider
 * (single-flag endpoint) and `@openfeature/ofrep-core`'s API client (bulk endpoint) must report, for every flag of
 * 500 generated identities, the value, reason and variant that our `/api/v1/identities/` answer implies.
 */
describe('OpenFeature OFREP clients against the server', () => {
  let t: TestApp;
  let data: SeededDataset;
  let client: Client;
  /** Feature state id → whether it has multivariate values (a non-control variant means a percentage split). */
  const multivariateStates = new Map<number, boolean>();
  /** Feature state id → its options' ids by value: OFREP names an option without a key by its id (ofrep.md §7). */
  const optionIds = new Map<number, Map<unknown, number>>();
  const expected = new Map<string, Record<string, Expected>>();

  const contextOf = (identity: { identifier: string; traits: Record<string, TraitValue> }) => ({
    targetingKey: identity.identifier,
    ...identity.traits,
  });

  function expectationOf(flag: IdentityFlag): Expected {
    const split = multivariateStates.get(flag.id) === true && flag.variant !== 'control';
    const reason = !flag.enabled
      ? 'DISABLED'
      : split
        ? 'SPLIT'
        : flag.identity !== null || flag.feature_segment !== null
          ? 'TARGETING_MATCH'
          : 'STATIC';
    return {
      value: flag.feature_state_value ?? flag.enabled,
      reason,
      variant: flag.variant ?? optionIds.get(flag.id)?.get(flag.feature_state_value)?.toString(),
      enabled: flag.enabled,
    };
  }

  beforeAll(async () => {
    t = await startTestApp();
    data = await seedDataset(t.app.get(DataSource), REALISTIC_DATASET);
    const doc = (
      await sdk(t.url, '/api/v1/environment-document/', data.serverKey)
    ).json<EnvironmentDocument>();
    const states = [
      ...doc.feature_states,
      ...doc.project.segments.flatMap((s) => s.feature_states),
      ...doc.identity_overrides.flatMap((i) => i.identity_features),
    ];
    for (const s of states) {
      multivariateStates.set(s.django_id, s.multivariate_feature_state_values.length > 0);
      optionIds.set(
        s.django_id,
        new Map(
          s.multivariate_feature_state_values.map((v) => [
            v.multivariate_feature_option.value,
            v.multivariate_feature_option.id,
          ]),
        ),
      );
    }

    await mapLimited(data.identities.slice(0, IDENTITIES), 8, async ({ identifier }) => {
      const res = await sdk(
        t.url,
        `/api/v1/identities/?identifier=${encodeURIComponent(identifier)}`,
        data.serverKey,
      );
      const flags: Record<string, Expected> = {};
      for (const flag of res.json<{ flags: IdentityFlag[] }>().flags)
        flags[flag.feature.name] = expectationOf(flag);
      expected.set(identifier, flags);
    });

    await OpenFeature.setProviderAndWait(
      new OFREPProvider({ baseUrl: t.url, headers: [['X-API-Key', data.serverKey]] }),
    );
    client = OpenFeature.getClient();
  }, 180000);

  afterAll(async () => {
    await OpenFeature.close();
    await t?.close();
  });

  it('the expectations exercise every reason and variants (the comparison is not vacuous)', () => {
    const all = [...expected.values()].flatMap((flags) => Object.values(flags));
    const reasons = new Set(all.map((e) => e.reason));
    expect([...reasons].sort()).toEqual(['DISABLED', 'SPLIT', 'STATIC', 'TARGETING_MATCH']);
    expect(all.some((e) => e.variant !== undefined && e.variant !== 'control')).toBe(true);
    // An option without a key: its id as the variant.
    expect(all.some((e) => e.reason === 'SPLIT' && /^\d+$/.test(e.variant ?? ''))).toBe(true);
    expect(all.some((e) => String(e.value).startsWith('override_for_'))).toBe(true);
  });

  it('ofrep-core OFREPApi bulk: every flag of 500 identities has the value, reason and variant of /identities/; the ETag re-poll gets 304', async () => {
    const api = new OFREPApi(t.url);
    const headers: [string, string][] = [['X-API-Key', data.serverKey]];
    const mismatches: string[] = [];
    let notModified = 0;
    await mapLimited(data.identities.slice(0, IDENTITIES), 8, async (identity) => {
      const result = await api.postBulkEvaluateFlags({ context: contextOf(identity) }, { headers });
      if (result.httpStatus !== 200) throw new Error(`bulk answered ${result.httpStatus}`);
      const want = expected.get(identity.identifier)!;
      const got: Record<string, Expected> = {};
      for (const flag of result.value.flags ?? []) {
        if (!('value' in flag)) throw new Error(`flag failed: ${JSON.stringify(flag)}`);
        got[flag.key ?? ''] = {
          value: flag.value as string | number | boolean,
          reason: flag.reason ?? '',
          variant: flag.variant,
          enabled: (flag.metadata as { enabled: boolean }).enabled,
        };
      }
      if (JSON.stringify(sorted(got)) !== JSON.stringify(sorted(want)))
        mismatches.push(`${identity.identifier}: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);

      const etag = result.httpResponse.headers.get('etag');
      const again = await api.postBulkEvaluateFlags(
        { context: contextOf(identity) },
        { headers: [...headers, ['If-None-Match', etag ?? '']] },
      );
      if (again.httpStatus === 304) notModified++;
    });
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(notModified).toBe(IDENTITIES);
  }, 120000);

  it('server-sdk + OFREPProvider: 10 flags of each of 500 identities (every flag 100 times, every identity override) resolve to the value, reason and variant of /identities/', async () => {
    const mismatches: string[] = [];
    const names = data.featureNames;
    // One request per flag: 10 per identity in rotation, plus the identity's overridden flags.
    const jobs = data.identities.slice(0, IDENTITIES).flatMap((identity, i) => {
      const want = expected.get(identity.identifier)!;
      const picked = new Set(Array.from({ length: 10 }, (_, k) => names[(i * 10 + k) % names.length]));
      for (const [name, e] of Object.entries(want))
        if (String(e.value).startsWith('override_for_')) picked.add(name);
      return [...picked].filter((flag) => flag in want).map((flag) => ({ identity, flag }));
    });
    await mapLimited(jobs, 16, async ({ identity, flag }) => {
      const want = expected.get(identity.identifier)![flag];
      const context = contextOf(identity);
      let details: EvaluationDetails<FlagValue>;
      if (typeof want.value === 'boolean')
        details = await client.getBooleanDetails(flag, !want.value, context);
      else if (typeof want.value === 'number') details = await client.getNumberDetails(flag, -1, context);
      else details = await client.getStringDetails(flag, '<default>', context);
      const got = {
        value: details.value,
        reason: details.reason,
        variant: details.variant,
        enabled: details.flagMetadata.enabled,
      };
      if (JSON.stringify(got) !== JSON.stringify(want))
        mismatches.push(`${identity.identifier}/${flag}: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
    });
    expect(jobs.length).toBeGreaterThanOrEqual(IDENTITIES * 10);
    expect(new Set(jobs.map((j) => j.flag)).size).toBe(REALISTIC_DATASET.features);
    expect(mismatches.slice(0, 5)).toEqual([]);
  }, 180000);

  it('server-sdk + OFREPProvider: unknown flag → FLAG_NOT_FOUND with the default value', async () => {
    const details = await client.getStringDetails('no_such_flag', 'fallback', { targetingKey: 'user_1' });
    expect(details).toMatchObject({ value: 'fallback', reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
  });

  it('server-sdk + OFREPProvider: a type the flag does not have → TYPE_MISMATCH with the default value', async () => {
    const name = data.featureNames[0]; // multivariate, string values
    const details = await client.getNumberDetails(name, 7, { targetingKey: 'user_1' });
    expect(details).toMatchObject({ value: 7, reason: 'ERROR', errorCode: 'TYPE_MISMATCH' });
  });

  it('server-sdk + OFREPProvider: a malformed context → INVALID_CONTEXT with the default value', async () => {
    const details = await client.getBooleanDetails(data.featureNames[5], true, {
      targetingKey: 'a\u0000b',
    });
    expect(details).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'INVALID_CONTEXT' });
  });

  it('server-sdk + OFREPProvider with a bad key: an error result with the default value, never a crash', async () => {
    const bad = OpenFeature.getClient('bad-key');
    await OpenFeature.setProviderAndWait(
      'bad-key',
      new OFREPProvider({ baseUrl: t.url, headers: [['X-API-Key', 'not-a-key']] }),
    );
    const details = await bad.getBooleanDetails(data.featureNames[5], true, { targetingKey: 'user_1' });
    expect(details).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'GENERAL' });
  });

  it('OFREPApi bulk with a bad key throws the unauthorized error; a malformed context gets INVALID_CONTEXT', async () => {
    const api = new OFREPApi(t.url);
    await expect(
      api.postBulkEvaluateFlags({ context: { targetingKey: 'x' } }, { headers: [['X-API-Key', 'nope']] }),
    ).rejects.toBeInstanceOf(OFREPApiUnauthorizedError);
    const result = await api.postBulkEvaluateFlags(
      { context: { targetingKey: 'a\u0001b' } },
      { headers: [['X-API-Key', data.clientKey]] },
    );
    expect(result.httpStatus).toBe(400);
    expect(result.value).toMatchObject({ errorCode: 'INVALID_CONTEXT' });
  });

  it('OFREPApi bulk with the client key: server-only features are left out, the rest equals the server-key answer', async () => {
    const api = new OFREPApi(t.url);
    const identity = data.identities[3];
    const result = await api.postBulkEvaluateFlags(
      { context: contextOf(identity) },
      { headers: [['Authorization', `Bearer ${data.clientKey}`]] },
    );
    if (result.httpStatus !== 200) throw new Error(`bulk answered ${result.httpStatus}`);
    const serverOnly = data.featureNames[data.featureNames.length - 1];
    const keys = (result.value.flags ?? []).map((f) => f.key);
    expect(keys).not.toContain(serverOnly);
    expect(keys).toHaveLength(REALISTIC_DATASET.features - 1);
  });
});

function sorted(flags: Record<string, Expected>): Record<string, Expected> {
  return Object.fromEntries(Object.entries(flags).sort(([a], [b]) => a.localeCompare(b)));
}
