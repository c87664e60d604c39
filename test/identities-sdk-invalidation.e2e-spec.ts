import { hashedPercentage } from '../libs/engine/src';
import { Call, client } from './api-helpers';
import { envUpdatedAt, insertFeature, makeWorld, World } from './admin-fixtures';
import { startTestApp, TestApp } from './support/app';
import { sdk } from './support/sdk-fixtures';

/**
 * Admin identity and trait writes (docs/contracts/admin-api.md §9) against the SDK caches: they drop the identities they touch from
 * the SDK identity cache and bump the environment only when the environment document changes (an identity with
 * identity overrides renamed or deleted; identity override writes).
 */

interface Flag {
  feature: { name: string };
  enabled: boolean;
  feature_state_value: unknown;
}
interface IdentityOut {
  flags: Flag[];
  traits: { trait_key: string; trait_value: unknown }[];
}
interface DocumentOut {
  updated_at: string;
  identity_overrides: { identifier: string }[];
}

/** An environment with a segment override (plan == "pro") and a 50/50 multivariate feature, plus a server key. */
interface Setup {
  readonly w: World;
  readonly serverKey: string;
  readonly bySegmentId: number;
  readonly mvStateId: number;
  readonly identities: string;
}

describe('admin identity and trait writes → SDK caches', () => {
  let t: TestApp;
  let call: Call;
  let api: string;

  beforeAll(async () => {
    t = await startTestApp({ ENABLE_API_USAGE_TRACKING: 'false' });
    call = client(t);
    api = `${t.url}/api/v1`;
  });
  afterAll(() => t.close());

  let worlds = 0;
  async function setup(environment: Record<string, unknown> = {}): Promise<Setup> {
    const w = await makeWorld(call, `Invalidation ${++worlds}`);
    const token = w.admin.token;
    // Straight into the database (no change reported): before the SDK has loaded the environment.
    const bySegment = await insertFeature(t, w.project.id, 'by_segment', { enabled: false, value: 'base' });
    const mv = await insertFeature(t, w.project.id, 'mv', {
      enabled: true,
      value: 'control',
      variants: [
        { value: 'a', percentage: 50 },
        { value: 'b', percentage: 50 },
      ],
    });
    const segment = await call('POST', `/api/v1/projects/${w.project.id}/segments/`, {
      auth: token,
      body: {
        name: 'pro',
        rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'plan', value: 'pro' }] }],
      },
    });
    expect(segment.status).toBe(201);
    const override = await call(
      'POST',
      `/api/v1/environments/${w.env.api_key}/features/${bySegment.id}/create-segment-override/`,
      {
        auth: token,
        body: {
          enabled: true,
          feature_state_value: { type: 'unicode', string_value: 'from pro' },
          feature_segment: { segment: segment.body.id },
        },
      },
    );
    expect(override.status).toBe(201);
    if (Object.keys(environment).length > 0) {
      const patched = await call('PATCH', `/api/v1/environments/${w.env.api_key}/`, {
        auth: token,
        body: environment,
      });
      expect(patched.status).toBe(200);
    }
    const key = await call('POST', `/api/v1/environments/${w.env.api_key}/api-keys/`, {
      auth: token,
      body: { name: 'sdk' },
    });
    expect(key.status).toBe(201);
    return {
      w,
      serverKey: key.body.key as string,
      bySegmentId: bySegment.id,
      mvStateId: mv.states.find((s) => s.environmentId === w.env.id)!.id,
      identities: `/api/v1/environments/${w.env.api_key}/identities/`,
    };
  }

  const admin = (s: Setup, method: string, path: string, body?: unknown) =>
    call(method, `${s.identities}${path}`, { auth: s.w.admin.token, body });

  async function adminIdentity(s: Setup, identifier: string): Promise<number> {
    const res = await admin(s, 'POST', '', { identifier });
    expect(res.status).toBe(201);
    return res.body.id as number;
  }

  /** SDK GET /identities/?identifier= (get-or-create, stored traits). */
  async function sdkIdentity(s: Setup, identifier: string): Promise<IdentityOut> {
    const res = await sdk(api, `/identities/?identifier=${encodeURIComponent(identifier)}`, s.serverKey);
    expect(res.status).toBe(200);
    return res.json<IdentityOut>();
  }

  /** SDK transient POST /identities/: the stored identity if any, nothing created. */
  async function sdkTransient(s: Setup, identifier: string): Promise<IdentityOut> {
    const res = await sdk(api, '/identities/', s.serverKey, {
      method: 'POST',
      body: { identifier, transient: true },
    });
    expect(res.status).toBe(200);
    return res.json<IdentityOut>();
  }

  const value = (out: IdentityOut, name: string) =>
    out.flags.find((f) => f.feature.name === name)?.feature_state_value;
  const traits = (out: IdentityOut) => out.traits.map((tr) => [tr.trait_key, tr.trait_value]);

  /** SDK GET /environment-document/: the X-Flagsmith-Document-Updated-At header and the body. */
  async function document(s: Setup): Promise<{ updatedAt: string; body: DocumentOut }> {
    const res = await sdk(api, '/environment-document/', s.serverKey);
    expect(res.status).toBe(200);
    return { updatedAt: res.headers.get('x-flagsmith-document-updated-at')!, body: res.json<DocumentOut>() };
  }

  /** The environment's version as the SDK sees it (header and body) and as stored. */
  async function version(s: Setup) {
    const doc = await document(s);
    return { header: doc.updatedAt, body: doc.body.updated_at, stored: await envUpdatedAt(t, s.w.env.id) };
  }

  it('admin trait create, update (PATCH, PUT) and delete → SDK GET /identities/ serves each at once; the environment is not bumped', async () => {
    const s = await setup();
    const id = await adminIdentity(s, 'trait-user');
    expect(value(await sdkIdentity(s, 'trait-user'), 'by_segment')).toBe('base'); // cached from here on
    const before = await version(s);

    const created = await admin(s, 'POST', `${id}/traits/`, { trait_key: 'plan', string_value: 'pro' });
    expect(created.status).toBe(201);
    let out = await sdkIdentity(s, 'trait-user');
    expect([traits(out), value(out, 'by_segment')]).toEqual([[['plan', 'pro']], 'from pro']);

    const traitUrl = `${id}/traits/${created.body.id}/`;
    expect((await admin(s, 'PATCH', traitUrl, { string_value: 'free' })).status).toBe(200);
    out = await sdkIdentity(s, 'trait-user');
    expect([traits(out), value(out, 'by_segment')]).toEqual([[['plan', 'free']], 'base']);

    const put = await admin(s, 'PUT', traitUrl, {
      trait_key: 'plan',
      value_type: 'unicode',
      string_value: 'pro',
    });
    expect(put.status).toBe(200);
    expect(value(await sdkIdentity(s, 'trait-user'), 'by_segment')).toBe('from pro');

    expect((await admin(s, 'DELETE', traitUrl)).status).toBe(204);
    out = await sdkIdentity(s, 'trait-user');
    expect([traits(out), value(out, 'by_segment')]).toEqual([[], 'base']);

    expect(await version(s)).toEqual(before);
  });

  it.each([
    [
      'POST delete-traits',
      (s: Setup, _id: number, _traitId: number) =>
        call('POST', `/api/v1/environments/${s.w.env.api_key}/delete-traits/`, {
          auth: s.w.admin.token,
          body: { key: 'plan' },
        }),
    ],
    [
      'DELETE trait ?deleteAllMatchingTraits=true',
      (s: Setup, id: number, traitId: number) =>
        admin(s, 'DELETE', `${id}/traits/${traitId}/?deleteAllMatchingTraits=true`),
    ],
  ])(
    'admin %s → every identity cached by the SDK loses the trait at once; the environment is not bumped',
    async (_name, remove) => {
      const s = await setup();
      const traitIds: [number, number][] = [];
      for (const identifier of ['bulk-1', 'bulk-2']) {
        const id = await adminIdentity(s, identifier);
        const created = await admin(s, 'POST', `${id}/traits/`, { trait_key: 'plan', string_value: 'pro' });
        traitIds.push([id, created.body.id as number]);
        expect(value(await sdkIdentity(s, identifier), 'by_segment')).toBe('from pro'); // cached
      }
      const before = await version(s);
      expect((await remove(s, ...traitIds[0])).status).toBeLessThan(300);
      for (const identifier of ['bulk-1', 'bulk-2']) {
        const out = await sdkIdentity(s, identifier);
        expect([identifier, traits(out), value(out, 'by_segment')]).toEqual([identifier, [], 'base']);
      }
      expect(await version(s)).toEqual(before);
    },
  );

  it('admin identity delete, identity with an identity override → the environment document is bumped and no longer lists it; the SDK drops the override', async () => {
    const s = await setup();
    const id = await adminIdentity(s, 'vip');
    const override = await admin(s, 'POST', `${id}/featurestates/`, {
      feature: s.bySegmentId,
      enabled: true,
      feature_state_value: 'mine',
    });
    expect(override.status).toBe(201);
    expect(value(await sdkIdentity(s, 'vip'), 'by_segment')).toBe('mine');
    const before = await document(s);
    expect(before.body.identity_overrides.map((i) => i.identifier)).toEqual(['vip']);

    expect((await admin(s, 'DELETE', `${id}/`)).status).toBe(204);
    const after = await document(s);
    expect(Number(after.updatedAt)).toBeGreaterThan(Number(before.updatedAt));
    expect(after.body.identity_overrides).toEqual([]);
    expect(value(await sdkIdentity(s, 'vip'), 'by_segment')).toBe('base'); // a new identity, no override
  });

  it('admin identity delete, identity without overrides → the SDK no longer finds it; the environment is not bumped', async () => {
    const s = await setup();
    const id = await adminIdentity(s, 'plain');
    await admin(s, 'POST', `${id}/traits/`, { trait_key: 'plan', string_value: 'pro' });
    expect(value(await sdkTransient(s, 'plain'), 'by_segment')).toBe('from pro'); // cached with its trait
    const before = await version(s);

    expect((await admin(s, 'DELETE', `${id}/`)).status).toBe(204);
    const out = await sdkTransient(s, 'plain');
    expect([traits(out), value(out, 'by_segment')]).toEqual([[], 'base']);
    expect(await version(s)).toEqual(before);
  });

  it('admin identity rename, identity without overrides → the SDK finds it under the new identifier (even one it knew as absent) and not under the old; the environment is not bumped', async () => {
    const s = await setup();
    const id = await adminIdentity(s, 'old-name');
    await admin(s, 'POST', `${id}/traits/`, { trait_key: 'plan', string_value: 'pro' });
    expect(traits(await sdkTransient(s, 'old-name'))).toEqual([['plan', 'pro']]); // cached
    expect(traits(await sdkTransient(s, 'new-name'))).toEqual([]); // cached as absent
    const before = await version(s);

    const renamed = await admin(s, 'PATCH', `${id}/`, { identifier: 'new-name' });
    expect(renamed.status).toBe(200);
    const now = await sdkTransient(s, 'new-name');
    expect([traits(now), value(now, 'by_segment')]).toEqual([[['plan', 'pro']], 'from pro']);
    expect(traits(await sdkTransient(s, 'old-name'))).toEqual([]);
    expect(await version(s)).toEqual(before);
  });

  it('admin identity rename, identity with an identity override → the environment document is bumped and lists the new identifier; the SDK applies the override under it only', async () => {
    const s = await setup();
    const id = await adminIdentity(s, 'ov-old');
    await admin(s, 'POST', `${id}/featurestates/`, {
      feature: s.bySegmentId,
      enabled: true,
      feature_state_value: 'mine',
    });
    expect(value(await sdkTransient(s, 'ov-old'), 'by_segment')).toBe('mine');
    const before = await document(s);

    expect((await admin(s, 'PUT', `${id}/`, { identifier: 'ov-new' })).status).toBe(200);
    const after = await document(s);
    expect(Number(after.updatedAt)).toBeGreaterThan(Number(before.updatedAt));
    expect(after.body.identity_overrides.map((i) => i.identifier)).toEqual(['ov-new']);
    expect(value(await sdkTransient(s, 'ov-new'), 'by_segment')).toBe('mine');
    expect(value(await sdkTransient(s, 'ov-old'), 'by_segment')).toBe('base');
  });

  it('admin identity override create, update and delete → each bumps the environment document and the SDK serves it at once', async () => {
    const s = await setup();
    const id = await adminIdentity(s, 'ov-user');
    expect(value(await sdkIdentity(s, 'ov-user'), 'by_segment')).toBe('base'); // cached
    const stamps = [Number((await document(s)).updatedAt)];
    const url = `${id}/featurestates/`;

    const created = await admin(s, 'POST', url, {
      feature: s.bySegmentId,
      enabled: true,
      feature_state_value: 'first',
    });
    expect(created.status).toBe(201);
    expect(value(await sdkIdentity(s, 'ov-user'), 'by_segment')).toBe('first');
    stamps.push(Number((await document(s)).updatedAt));

    const patched = await admin(s, 'PATCH', `${url}${created.body.id}/`, { feature_state_value: 'second' });
    expect(patched.status).toBe(200);
    expect(value(await sdkIdentity(s, 'ov-user'), 'by_segment')).toBe('second');
    stamps.push(Number((await document(s)).updatedAt));

    expect((await admin(s, 'DELETE', `${url}${created.body.id}/`)).status).toBe(204);
    expect(value(await sdkIdentity(s, 'ov-user'), 'by_segment')).toBe('base');
    stamps.push(Number((await document(s)).updatedAt));

    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    expect(new Set(stamps).size).toBe(4);
  });

  it('admin identity create for an identifier the SDK knew as absent → the SDK evaluates the stored identity (hashed on its id); the environment is not bumped', async () => {
    // With the composite key off, a stored identity hashes on its database id and an absent one on "None": the
    // multivariate value tells which one the SDK used.
    const s = await setup({ use_identity_composite_key_for_hashing: false });
    const bucket = (key: string) => (hashedPercentage([String(s.mvStateId), key]) < 50 ? 'a' : 'b');
    const absent = bucket('None');
    const before = await version(s);
    let distinguishable = 0;
    for (let n = 0; n < 30 && distinguishable < 2; n++) {
      const identifier = `late-${n}`;
      expect(value(await sdkTransient(s, identifier), 'mv')).toBe(absent); // cached as absent
      const id = await adminIdentity(s, identifier);
      const stored = bucket(String(id));
      expect([identifier, value(await sdkTransient(s, identifier), 'mv')]).toEqual([identifier, stored]);
      if (stored !== absent) distinguishable++;
    }
    expect(distinguishable).toBe(2); // the assertion above could tell a stale "absent" apart at least twice
    expect(await version(s)).toEqual(before);
  });
});
