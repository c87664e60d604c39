import { FakeLoader, MapSecondLevel } from '../../test/support/sdk-fakes';
import { EnvironmentCache, STALE_RETRY_MS } from './environment-cache';
import { CachedIdentity, IdentityCache } from './identity-cache';

const TTL_MS = 60_000;

function setup(options: { ttlMs?: number; secondLevel?: MapSecondLevel; loader?: FakeLoader } = {}) {
  const loader = options.loader ?? new FakeLoader();
  const env =
    loader.environments.get(1) ??
    loader.add({
      environmentId: 1,
      clientKey: 'client-1',
      serverKey: 'ser.server-1',
      version: '1000.000001',
      features: [{ id: 1, name: 'banner', value: 'v1' }],
    });
  let now = 1_000_000;
  const warnings: string[] = [];
  const counts = { hit: 0, miss: 0 };
  const cache = new EnvironmentCache({
    ttlMs: options.ttlMs ?? TTL_MS,
    loader,
    secondLevel: options.secondLevel,
    identities: new IdentityCache(100),
    counters: { hit: () => counts.hit++, miss: () => counts.miss++ },
    log: { warn: (m) => warnings.push(m) },
    clock: () => now,
  });
  return {
    cache,
    loader,
    env,
    warnings,
    counts,
    advance: (ms: number) => (now += ms),
    now: () => now,
  };
}

const bannerOf = (
  resolved: { snapshot: { document: { feature_states: { feature_state_value: unknown }[] } } } | undefined,
) => resolved?.snapshot.document.feature_states[0].feature_state_value;

describe('EnvironmentCache', () => {
  it('miss → resolves from the loader once; then lookups answer without it (client and server key)', async () => {
    const { cache, loader, now, counts } = setup();
    expect(cache.lookup('client-1', now())).toBeUndefined();
    const resolved = await cache.resolve('client-1');
    expect(resolved).toMatchObject({ key: 'client-1', origin: 'CLIENT', keyExpiresAt: null });
    expect(cache.lookup('client-1', now())).toBe(resolved);
    const server = await cache.get('ser.server-1');
    expect(server?.origin).toBe('SERVER');
    expect(server?.snapshot).toBe(resolved?.snapshot); // one snapshot per environment version
    expect({ calls: loader.calls, counts, size: cache.size }).toEqual({
      calls: { findKey: 2, load: 1 },
      counts: { hit: 1, miss: 2 },
      size: 1,
    });
  });

  it('unknown key → undefined and nothing cached', async () => {
    const { cache, now } = setup();
    expect(await cache.resolve('nope')).toBeUndefined();
    expect(cache.lookup('nope', now())).toBeUndefined();
  });

  it('concurrent misses for one key → one resolution (single flight)', async () => {
    const { cache, loader } = setup();
    const [a, b, c] = await Promise.all([
      cache.resolve('client-1'),
      cache.resolve('client-1'),
      cache.resolve('client-1'),
    ]);
    expect(a).toBe(b);
    expect(b).toBe(c);
    expect(loader.calls).toEqual({ findKey: 1, load: 1 });
  });

  it('invalidate(environment) → the next request reads the new version', async () => {
    const { cache, env, now } = setup();
    await cache.resolve('client-1');
    env.version = '1001.000000';
    env.features = [{ id: 1, name: 'banner', value: 'v2' }];
    cache.invalidate([1]);
    expect(cache.lookup('client-1', now())).toBeUndefined();
    expect(bannerOf(await cache.resolve('client-1'))).toBe('v2');
  });

  it('invalidation while a load is in flight → its waiters get it, it is not kept, later requests do not join it', async () => {
    const { cache, loader, env, now } = setup();
    let open!: () => void;
    loader.gate = new Promise<void>((r) => (open = r));
    const first = cache.resolve('client-1');
    await new Promise((r) => setImmediate(r));
    env.features = [{ id: 1, name: 'banner', value: 'v2' }];
    env.version = '1001.000000';
    cache.invalidate([1]);
    loader.gate = undefined;
    const second = cache.resolve('client-1');
    open();
    expect(bannerOf(await first)).toBe('v1');
    expect(bannerOf(await second)).toBe('v2');
    expect(bannerOf(cache.lookup('client-1', now()))).toBe('v2');
  });

  it('invalidateAll → every environment and every identity is dropped', async () => {
    const { cache, now } = setup();
    await cache.resolve('client-1');
    cache.identities.set(1, 'alice', new CachedIdentity(5, []), cache.identities.begin());
    cache.invalidateAll();
    expect({
      hit: cache.lookup('client-1', now()),
      size: cache.size,
      identities: cache.identities.size,
    }).toEqual({
      hit: undefined,
      size: 0,
      identities: 0,
    });
  });

  it('invalidate(environment) → drops that environment’s identities only', async () => {
    const { cache } = setup();
    cache.identities.set(1, 'alice', new CachedIdentity(5, []), cache.identities.begin());
    cache.identities.set(2, 'bob', new CachedIdentity(6, []), cache.identities.begin());
    cache.invalidate([1]);
    expect([cache.identities.get(1, 'alice'), cache.identities.get(2, 'bob')?.id]).toEqual([undefined, 6]);
  });

  it('second level: another process resolves the same version from it without loading', async () => {
    const shared = new MapSecondLevel();
    const a = setup({ secondLevel: shared });
    await a.cache.resolve('client-1');
    expect([...shared.entries.keys()]).toEqual(['1:1000.000001']);
    const b = setup({ secondLevel: shared, loader: a.loader });
    a.loader.calls = { findKey: 0, load: 0 };
    expect(bannerOf(await b.cache.resolve('client-1'))).toBe('v1');
    expect(a.loader.calls).toEqual({ findKey: 1, load: 0 });
  });

  it('second level: a new version is never answered from the entry of the old one', async () => {
    const shared = new MapSecondLevel();
    const { cache, loader, env } = setup({ secondLevel: shared });
    await cache.resolve('client-1');
    env.version = '1001.000000';
    env.features = [{ id: 1, name: 'banner', value: 'v2' }];
    cache.invalidate([1]);
    expect(bannerOf(await cache.resolve('client-1'))).toBe('v2');
    expect({ load: loader.calls.load, keys: [...shared.entries.keys()] }).toEqual({
      load: 2,
      keys: ['1:1000.000001', '1:1001.000000'],
    });
  });

  it('second level holding garbage → loads from the loader instead', async () => {
    const shared = new MapSecondLevel();
    shared.entries.set('1:1000.000001', '{not json');
    const { cache, loader } = setup({ secondLevel: shared });
    expect(bannerOf(await cache.resolve('client-1'))).toBe('v1');
    expect(loader.calls.load).toBe(1);
  });

  it('TTL passed → miss; the key and the snapshot are read again', async () => {
    const { cache, loader, advance, now } = setup();
    await cache.resolve('client-1');
    advance(TTL_MS + 1);
    expect(cache.lookup('client-1', now())).toBeUndefined();
    await cache.resolve('client-1');
    expect(loader.calls).toEqual({ findKey: 2, load: 2 });
  });

  it('loader failing after the TTL → the expired snapshot is served stale, retried after STALE_RETRY_MS, logged once', async () => {
    const { cache, loader, advance, now, warnings } = setup();
    await cache.resolve('client-1');
    advance(TTL_MS + 1);
    loader.fail = new Error('connection refused');
    expect(cache.lookup('client-1', now())).toBeUndefined();
    expect(bannerOf(await cache.resolve('client-1'))).toBe('v1');
    expect(bannerOf(cache.lookup('client-1', now()))).toBe('v1'); // within the retry pause: no loader call
    const calls = loader.calls.findKey;
    advance(STALE_RETRY_MS + 1);
    expect(cache.lookup('client-1', now())).toBeUndefined();
    expect(bannerOf(await cache.resolve('client-1'))).toBe('v1');
    expect(loader.calls.findKey).toBe(calls + 1);
    loader.fail = undefined;
    advance(STALE_RETRY_MS + 1);
    await cache.resolve('client-1');
    expect(warnings).toEqual([
      'cannot refresh cached environments (connection refused): serving them stale until the database answers',
      'the database answers again: cached environments are refreshed (3 stale answer(s) served meanwhile)',
    ]);
  });

  it('loader failing for a key never cached → the error reaches the caller', async () => {
    const { cache, loader } = setup();
    loader.fail = new Error('connection refused');
    await expect(cache.resolve('client-1')).rejects.toThrow('connection refused');
  });

  it('ttlMs 0 → nothing is kept: every request resolves from the loader', async () => {
    const { cache, loader, now } = setup({ ttlMs: 0 });
    await cache.resolve('client-1');
    expect(cache.lookup('client-1', now())).toBeUndefined();
    await cache.resolve('client-1');
    expect({ calls: loader.calls, size: cache.size }).toEqual({ calls: { findKey: 2, load: 2 }, size: 0 });
  });

  it('onSnapshot → called with every snapshot built', async () => {
    const { cache } = setup();
    const built: number[] = [];
    cache.onSnapshot((s) => built.push(s.environmentId));
    await cache.resolve('client-1');
    cache.invalidate([1]);
    await cache.resolve('client-1');
    expect(built).toEqual([1, 1]);
  });
});
