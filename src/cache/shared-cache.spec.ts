import { spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { BoundedMap, createSharedCache, memcachedServers, SharedCache } from './shared-cache';

const MEMCACHED = process.env.TEST_MEMCACHED_LOCATION ?? '';

function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((done) => {
      const socket = createConnection(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), done(true)));
      socket.once('error', () => done(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} never opened`);
}

describe('SharedCache', () => {
  const opened: SharedCache[] = [];
  const open = (...args: Parameters<typeof createSharedCache>) => {
    const cache = createSharedCache(...args);
    opened.push(cache);
    return cache;
  };
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.close()));
  });

  it('memcached backend: a value set through one instance is read and deleted through another', async () => {
    const a = open('env', 'memcached', MEMCACHED, 60);
    const b = open('env', 'memcached', MEMCACHED, 60);
    const key = `k-${Date.now()}`;
    await a.set(key, '{"flags":[]}');
    expect(await b.get(key)).toBe('{"flags":[]}');
    await b.delete([key]);
    expect(await a.get(key)).toBeUndefined();
    expect(a.status()).toEqual({ name: 'env', backend: 'memcached', healthy: true });
  });

  it('memcached backend with an unreachable server: reads miss fast, status is unhealthy, nothing throws', async () => {
    const port = await freePort();
    const cache = open('env', 'memcached', `127.0.0.1:${port}`, 60);
    const started = Date.now();
    await cache.set('a', '1');
    expect(await cache.get('a')).toBeUndefined();
    await cache.delete(['a']);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(cache.status().healthy).toBe(false);
  });

  it('memcached backend after an outage: works again once the server answers and the bypass expires', async () => {
    const port = await freePort();
    const cache = createSharedCache('env', 'memcached', `127.0.0.1:${port}`, 60, 200);
    opened.push(cache);
    expect(await cache.get('x')).toBeUndefined();
    expect(cache.status().healthy).toBe(false);
    const args = ['-l', '127.0.0.1', '-p', String(port), '-U', '0'];
    if (process.getuid?.() === 0) args.push('-u', 'nobody');
    const server = spawn('memcached', args, { stdio: 'ignore' });
    try {
      await waitForPort(port);
      await new Promise((r) => setTimeout(r, 250));
      await cache.set('x', 'back');
      expect(await cache.get('x')).toBe('back');
      expect(cache.status().healthy).toBe(true);
    } finally {
      server.kill();
    }
  });

  it('memory backend: values live in this process only and respect the TTL', async () => {
    const cache = open('flags', 'memory', 'get_flags_endpoint_cache', 1);
    await cache.set('k', 'v');
    expect(await cache.get('k')).toBe('v');
    expect(await open('flags', 'memory', 'get_flags_endpoint_cache', 1).get('k')).toBeUndefined();
    await new Promise((r) => setTimeout(r, 1100));
    expect(await cache.get('k')).toBeUndefined();
  });

  it('none backend or zero seconds: nothing is ever stored', async () => {
    for (const cache of [open('x', 'none', '', 60), open('y', 'memory', '', 0)]) {
      await cache.set('k', 'v');
      expect(await cache.get('k')).toBeUndefined();
      expect(cache.enabled).toBe(false);
    }
  });

  it('BoundedMap beyond its size forgets the least recently set entries', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1).set('b', 2).set('a', 3).set('c', 4);
    expect([...map.keys()]).toEqual(['a', 'c']);
  });

  it('memcachedServers accepts Django location lists', () => {
    expect(memcachedServers('m1:11211;m2:11211')).toBe('m1:11211,m2:11211');
    expect(memcachedServers(' m1:11211 ')).toBe('m1:11211');
  });
});
