import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DocumentSegment } from '../../../libs/engine/src';
import {
  FakeLoader,
  fakeRequest,
  FakeReply,
  type FakeRequestInit,
  traitSegment,
  MapSecondLevel,
} from '../../../test/support/sdk-fakes';
import { EnvironmentCache } from '../environment-cache';
import type { EnvironmentSnapshot } from '../environment-snapshot';
import type { IdentityResult } from '../identities.service';
import { IdentityCache } from '../identity-cache';
import type { TraitInput } from '../sdk-input';
import type { KeyOrigin } from '../sdk.types';
import { analyticsV2Handler } from './analytics.handler';
import { environmentDocumentHandler, flagsHandler } from './flags.handler';
import { getIdentityHandler, postIdentityHandler } from './identities.handler';
import {
  type Handler,
  type IdentityOperations,
  type KeyedHandler,
  type UsageCounter,
  withKey,
} from './sdk-reply';
import { bulkTraitsHandler, incrementTraitHandler, postTraitHandler } from './traits.handler';

const banner = { id: 1, name: 'banner', value: 'default' };
const secret = { id: 2, name: 'secret', value: 's', serverKeyOnly: true };

/** Environment 1 (keys client-1 / ser.server-1) with a segment of plan=pro overriding banner. */
function environments() {
  const loader = new FakeLoader();
  const env = loader.add({
    environmentId: 1,
    clientKey: 'client-1',
    serverKey: 'ser.server-1',
    version: '1700000000.000001',
    features: [banner, secret],
    segments: [traitSegment(9, 'plan', 'pro', [{ feature: { ...banner, value: 'pro' }, priority: 0 }])],
  });
  const snapshots = new EnvironmentCache({
    ttlMs: 60_000,
    loader,
    identities: new IdentityCache(10),
    log: { warn: () => undefined },
  });
  return { loader, env, snapshots };
}

class RecordingUsage implements UsageCounter {
  readonly requests: string[] = [];
  readonly evaluations: Record<string, number>[] = [];
  countRequest(environmentId: number, resource: string): void {
    this.requests.push(`${environmentId}:${resource}`);
  }
  countEvaluations(_environmentId: number, counts: Record<string, unknown>): void {
    this.evaluations.push(counts as Record<string, number>);
  }
}

/** Identities without a database: stored traits per identifier, evaluated by the snapshot as the real service. */
class FakeIdentities implements IdentityOperations {
  readonly stored = new Map<string, TraitInput[]>();
  readonly writes: [number, string, TraitInput[]][] = [];
  incrementTo: number | undefined = 1;

  private result(
    snapshot: EnvironmentSnapshot,
    origin: KeyOrigin,
    identifier: string,
    traits: readonly TraitInput[],
  ): IdentityResult {
    const record = Object.fromEntries(traits.map((t) => [t.key, t.value]));
    return {
      identifier,
      flags: snapshot.evaluateIdentity(identifier, 1, record, origin),
      traitsJson: traits
        .map(
          (t) =>
            `{"id":null,"trait_key":${JSON.stringify(t.key)},"trait_value":${JSON.stringify(t.value)},"transient":false}`,
        )
        .join(','),
    };
  }
  get(snapshot: EnvironmentSnapshot, origin: KeyOrigin, identifier: string): Promise<IdentityResult> {
    return Promise.resolve(this.result(snapshot, origin, identifier, this.stored.get(identifier) ?? []));
  }
  identify(
    snapshot: EnvironmentSnapshot,
    origin: KeyOrigin,
    identifier: string | undefined,
    traits: readonly TraitInput[],
  ): Promise<IdentityResult> {
    return Promise.resolve(this.result(snapshot, origin, identifier ?? 'transient', traits));
  }
  withSegments(
    snapshot: EnvironmentSnapshot,
    origin: KeyOrigin,
    identifier: string,
  ): Promise<IdentityResult & { segments: DocumentSegment[] }> {
    return Promise.resolve({ ...this.result(snapshot, origin, identifier, []), segments: [] });
  }
  writeMany(environmentId: number, byIdentity: ReadonlyMap<string, readonly TraitInput[]>): Promise<void> {
    for (const [identifier, traits] of byIdentity) this.writes.push([environmentId, identifier, [...traits]]);
    return Promise.resolve();
  }
  increment(): Promise<number | undefined> {
    return Promise.resolve(this.incrementTo);
  }
}

function setup() {
  const { loader, env, snapshots } = environments();
  const usage = new RecordingUsage();
  const identities = new FakeIdentities();
  const deps = { usage, identities, gzip: false };
  /** Runs `handler` behind the key check; `sync` when it answered without a promise (cache hit path). */
  const call = async (handler: KeyedHandler, init: FakeRequestInit, serverOnly = false) => {
    const routed: Handler = withKey(snapshots, serverOnly, handler);
    const reply = new FakeReply();
    const out = routed(fakeRequest(init) as unknown as FastifyRequest, reply as unknown as FastifyReply);
    if (out) await out;
    return Object.assign(reply, { sync: out === undefined });
  };
  return { loader, env, snapshots, usage, identities, deps, call };
}

interface Flag {
  feature: { name: string };
  feature_state_value: unknown;
}
const values = (flags: Flag[]) =>
  Object.fromEntries(flags.map((f) => [f.feature.name, f.feature_state_value]));

describe('SDK handlers: the key check (withKey)', () => {
  it('no X-Environment-Key → 403 "Invalid or missing Environment key", nothing resolved', async () => {
    const { call, deps, loader } = setup();
    const reply = await call(flagsHandler(deps), {});
    expect([reply.statusCode, reply.json(), loader.calls.findKey]).toEqual([
      403,
      { detail: 'Invalid or missing Environment key' },
      0,
    ]);
  });

  it('unknown key → 403 "Invalid or missing Environment Key"', async () => {
    const { call, deps } = setup();
    const reply = await call(flagsHandler(deps), { key: 'nope' });
    expect([reply.statusCode, reply.json()]).toEqual([403, { detail: 'Invalid or missing Environment Key' }]);
  });

  it('client key on a server-only route → 403 before any lookup', async () => {
    const { call, deps, loader } = setup();
    const reply = await call(environmentDocumentHandler(deps), { key: 'client-1' }, true);
    expect([reply.statusCode, loader.calls.findKey]).toEqual([403, 0]);
  });

  it('organisation stopped serving flags → 403, on a miss and on a cache hit', async () => {
    const { call, deps, env } = setup();
    env.stopServingFlags = true;
    const miss = await call(flagsHandler(deps), { key: 'client-1' });
    const hit = await call(flagsHandler(deps), { key: 'client-1' });
    expect([miss.statusCode, hit.statusCode, hit.sync, hit.json()]).toEqual([
      403,
      403,
      true,
      { detail: 'Organisation is disabled from serving flags.' },
    ]);
  });
});

describe('SDK handlers: GET /flags/ and /environment-document/', () => {
  it('cached environment → answered synchronously (no promise), no loader call, usage counted', async () => {
    const { call, deps, loader, usage } = setup();
    await call(flagsHandler(deps), { key: 'client-1' });
    loader.calls = { findKey: 0, load: 0 };
    const reply = await call(flagsHandler(deps), { key: 'client-1' });
    expect({
      sync: reply.sync,
      status: reply.statusCode,
      flags: values(reply.json()),
      calls: loader.calls,
    }).toEqual({
      sync: true,
      status: 200,
      flags: { banner: 'default' },
      calls: { findKey: 0, load: 0 },
    });
    expect(usage.requests).toEqual(['1:flags', '1:flags']);
  });

  it('server key → server-key-only features included', async () => {
    const { call, deps } = setup();
    const reply = await call(flagsHandler(deps), { key: 'ser.server-1' });
    expect(values(reply.json())).toEqual({ banner: 'default', secret: 's' });
  });

  it('?feature= unknown → 404 "Given feature not found"; known → that flag', async () => {
    const { call, deps } = setup();
    const missing = await call(flagsHandler(deps), { key: 'client-1', query: { feature: 'nope' } });
    const one = await call(flagsHandler(deps), { key: 'client-1', query: { feature: 'banner' } });
    expect([missing.statusCode, missing.json(), one.json<Flag>().feature_state_value]).toEqual([
      404,
      { detail: 'Given feature not found' },
      'default',
    ]);
  });

  it('If-None-Match with the ETag → 304; If-Modified-Since at the version → 304', async () => {
    const { call, deps } = setup();
    const first = await call(flagsHandler(deps), { key: 'client-1' });
    const etag = first.getHeader('etag')!;
    const byEtag = await call(flagsHandler(deps), { key: 'client-1', headers: { 'if-none-match': etag } });
    const byDate = await call(flagsHandler(deps), {
      key: 'client-1',
      headers: { 'if-modified-since': new Date(1700000000 * 1000).toUTCString() },
    });
    expect([etag.length > 2, byEtag.statusCode, byDate.statusCode]).toEqual([true, 304, 304]);
  });

  it('GET_FLAGS_ENDPOINT_CACHE on → a second environment version is not answered from the cached response', async () => {
    const { call, deps, env, snapshots } = setup();
    const withCache = { ...deps, flagsResponses: new MapSecondLevel() };
    await call(flagsHandler(withCache), { key: 'client-1' });
    env.features = [{ ...banner, value: 'changed' }];
    env.version = '1700000001.000000';
    snapshots.invalidate([1]);
    const reply = await call(flagsHandler(withCache), { key: 'client-1' });
    expect([values(reply.json()), withCache.flagsResponses.entries.size]).toEqual([{ banner: 'changed' }, 2]);
  });

  it('environment document → the document of the environment', async () => {
    const { call, deps } = setup();
    const reply = await call(environmentDocumentHandler(deps), { key: 'ser.server-1' }, true);
    expect(reply.json()).toMatchObject({ api_key: 'client-1', feature_states: [{}, {}] });
  });
});

describe('SDK handlers: identities', () => {
  it('GET without identifier → 200 "Missing identifier" (as upstream)', async () => {
    const { call, deps } = setup();
    const reply = await call(getIdentityHandler(deps), { key: 'client-1' });
    expect([reply.statusCode, reply.json()]).toEqual([200, { detail: 'Missing identifier' }]);
  });

  it('GET with stored traits matching a segment → the segment override, identifier and ETag', async () => {
    const { call, deps, identities } = setup();
    identities.stored.set('alice', [{ key: 'plan', value: 'pro', type: 'unicode', transient: false }]);
    const reply = await call(getIdentityHandler(deps), { key: 'client-1', query: { identifier: 'alice' } });
    const body = reply.json<{ identifier: string; flags: Flag[]; traits: unknown[] }>();
    expect([body.identifier, values(body.flags), body.traits.length, !!reply.getHeader('etag')]).toEqual([
      'alice',
      { banner: 'pro' },
      1,
      true,
    ]);
  });

  it('GET with an identifier too long → 400 with the field error', async () => {
    const { call, deps } = setup();
    const reply = await call(getIdentityHandler(deps), {
      key: 'client-1',
      query: { identifier: 'x'.repeat(2001) },
    });
    expect([reply.statusCode, Object.keys(reply.json<object>())]).toEqual([400, ['identifier']]);
  });

  it('POST with traits → evaluated with them; a body that is not an object → 400', async () => {
    const { call, deps } = setup();
    const reply = await call(postIdentityHandler(deps), {
      key: 'client-1',
      body: { identifier: 'bob', traits: [{ trait_key: 'plan', trait_value: 'pro' }] },
    });
    const bad = await call(postIdentityHandler(deps), { key: 'client-1', body: [1] });
    expect([reply.statusCode, values(reply.json<{ flags: Flag[] }>().flags), bad.statusCode]).toEqual([
      200,
      { banner: 'pro' },
      400,
    ]);
  });
});

describe('SDK handlers: traits', () => {
  const item = (identifier: string, key: string, value: unknown) => ({
    identity: { identifier },
    trait_key: key,
    trait_value: value,
  });

  it('POST /traits/ → written for the identity and echoed', async () => {
    const { call, deps, identities } = setup();
    const reply = await call(postTraitHandler(deps), {
      key: 'ser.server-1',
      body: item('alice', 'plan', 'pro'),
    });
    expect([reply.statusCode, reply.json(), identities.writes.map(([e, i, t]) => [e, i, t[0].key])]).toEqual([
      200,
      item('alice', 'plan', 'pro'),
      [[1, 'alice', 'plan']],
    ]);
  });

  it('organisation does not persist traits → 403, nothing written', async () => {
    const { call, deps, env, identities } = setup();
    env.persistTraitData = false;
    const reply = await call(postTraitHandler(deps), {
      key: 'ser.server-1',
      body: item('alice', 'plan', 'pro'),
    });
    expect([reply.statusCode, identities.writes]).toEqual([403, []]);
  });

  it('client key when client traits are not allowed → 400, nothing written', async () => {
    const { call, deps, env, identities } = setup();
    env.allowClientTraits = false;
    const reply = await call(postTraitHandler(deps), { key: 'client-1', body: item('alice', 'plan', 'pro') });
    expect([reply.statusCode, reply.json(), identities.writes]).toEqual([
      400,
      { non_field_errors: ['Setting traits not allowed with client key.'] },
      [],
    ]);
  });

  it('bulk with one bad item → 400 with an error per item, nothing written', async () => {
    const { call, deps, identities } = setup();
    const reply = await call(bulkTraitsHandler(deps), {
      key: 'ser.server-1',
      body: [item('alice', 'plan', 'pro'), { trait_key: 'plan' }],
    });
    const errors = reply.json<object[]>();
    expect([reply.statusCode, errors.length, errors[0], 'identity' in errors[1], identities.writes]).toEqual([
      400,
      2,
      {},
      true,
      [],
    ]);
  });

  it('bulk → one write per identity, deletions (null) not echoed', async () => {
    const { call, deps, identities } = setup();
    const reply = await call(bulkTraitsHandler(deps), {
      key: 'ser.server-1',
      body: [item('alice', 'plan', 'pro'), item('alice', 'old', null), item('bob', 'plan', 'free')],
    });
    expect([reply.json<unknown[]>().length, identities.writes.map(([, i, t]) => [i, t.length])]).toEqual([
      2,
      [
        ['alice', 2],
        ['bob', 1],
      ],
    ]);
  });

  it('increment of a trait that is not an integer → 400 "Trait value is not an integer."', async () => {
    const { call, deps, identities } = setup();
    identities.incrementTo = undefined;
    const body = { identifier: 'alice', trait_key: 'n', increment_by: 2 };
    const reply = await call(incrementTraitHandler(deps), { key: 'ser.server-1', body });
    const bad = await call(incrementTraitHandler(deps), {
      key: 'ser.server-1',
      body: { ...body, increment_by: 1.5 },
    });
    expect([reply.statusCode, reply.json(), bad.json()]).toEqual([
      400,
      { trait_value: ['Trait value is not an integer.'] },
      { increment_by: ['A valid integer is required.'] },
    ]);
  });
});

describe('SDK handlers: analytics', () => {
  it('v2 → counts summed per feature (count defaults to 1), 204', async () => {
    const { call, deps, usage } = setup();
    const reply = await call(analyticsV2Handler(deps), {
      key: 'client-1',
      body: { evaluations: [{ feature_name: 'banner', count: 2 }, { feature_name: 'banner' }, { nope: 1 }] },
    });
    expect([reply.statusCode, usage.evaluations.map((c) => ({ ...c }))]).toEqual([204, [{ banner: 3 }]]);
  });

  it('v2 without evaluations → 400 with the field error', async () => {
    const { call, deps } = setup();
    const reply = await call(analyticsV2Handler(deps), { key: 'client-1', body: {} });
    expect([reply.statusCode, reply.json()]).toEqual([400, { evaluations: ['This field is required.'] }]);
  });
});
