import { CachedIdentity, IdentityCache } from './identity-cache';

const identity = (id: number) => new CachedIdentity(id, [{ id: id * 10, key: 'plan', value: 'pro' }]);

describe('IdentityCache', () => {
  it('stored identity → returned; stored absence → null; never stored → undefined', () => {
    const cache = new IdentityCache(10);
    cache.set(1, 'alice', identity(1), cache.begin());
    cache.set(1, 'ghost', null, cache.begin());
    expect([
      cache.get(1, 'alice')?.id,
      cache.get(1, 'ghost'),
      cache.get(1, 'bob'),
      cache.get(2, 'alice'),
    ]).toEqual([1, null, undefined, undefined]);
  });

  it('a load that began before the identity was invalidated → does not store (no stale traits left behind)', () => {
    const cache = new IdentityCache(10);
    const token = cache.begin();
    cache.invalidate(1, ['alice']);
    expect(cache.set(1, 'alice', identity(1), token)).toBe(false);
    expect(cache.get(1, 'alice')).toBeUndefined();
    expect(cache.set(1, 'bob', identity(2), token)).toBe(true); // other identifiers are unaffected
    expect(cache.set(1, 'alice', identity(1), cache.begin())).toBe(true);
  });

  it('environment or global invalidation → drops entries and refuses loads that began before it', () => {
    const cache = new IdentityCache(10);
    cache.set(1, 'alice', identity(1), cache.begin());
    cache.set(2, 'bob', identity(2), cache.begin());
    const before = cache.begin();
    cache.invalidateEnvironment(1);
    expect([cache.get(1, 'alice'), cache.get(2, 'bob')?.id, cache.size]).toEqual([undefined, 2, 1]);
    expect(cache.set(1, 'carol', identity(3), before)).toBe(false);
    expect(cache.set(2, 'carol', identity(3), before)).toBe(true);
    const beforeAll = cache.begin();
    cache.invalidateAll();
    expect([cache.size, cache.set(2, 'dave', identity(4), beforeAll)]).toEqual([0, false]);
  });

  it('full → evicts the oldest entry not used since it was stored (used ones get a second chance)', () => {
    const cache = new IdentityCache(3);
    for (const [i, name] of ['a', 'b', 'c'].entries()) cache.set(1, name, identity(i), cache.begin());
    cache.get(1, 'a'); // used: survives the next eviction
    cache.set(1, 'd', identity(4), cache.begin());
    expect(['a', 'b', 'c', 'd'].map((n) => cache.get(1, n) !== undefined)).toEqual([true, false, true, true]);
    expect(cache.size).toBe(3);
  });

  it('storing an identifier again → replaces it without growing', () => {
    const cache = new IdentityCache(3);
    cache.set(1, 'a', identity(1), cache.begin());
    cache.set(1, 'a', identity(2), cache.begin());
    expect([cache.get(1, 'a')?.id, cache.size]).toEqual([2, 1]);
  });

  it('maxEntries 0 (cache off) → stores nothing', () => {
    const cache = new IdentityCache(0);
    expect(cache.set(1, 'a', identity(1), cache.begin())).toBe(false);
    expect(cache.get(1, 'a')).toBeUndefined();
  });

  it('CachedIdentity → traits as an evaluation record and as response JSON items', () => {
    const cached = identity(1);
    expect(cached.traitsRecord).toEqual({ plan: 'pro' });
    expect(cached.traitsJson).toBe('{"id":10,"trait_key":"plan","trait_value":"pro","transient":false}');
  });
});
