import { Logger } from '@nestjs/common';
import KeyvMemcache from '@keyv/memcache';
import { Cache, createCache } from 'cache-manager';
import Keyv from 'keyv';
import { CacheBackend } from '../config';

export interface SharedCacheStatus {
  readonly name: string;
  readonly backend: CacheBackend;
  readonly healthy: boolean;
  readonly error?: string;
}

/** How long a failing memcached is bypassed before it is tried again. */
const BYPASS_MS = 5000;
/** A cache lookup that takes longer than this counts as a miss: the database is faster than a hung cache. */
const OPERATION_TIMEOUT_MS = 300;
const MEMORY_MAX_ENTRIES = 10_000;
/** Read by the readiness probe; never written, so a miss is the normal answer. */
const PROBE_KEY = '__flagport_readiness_probe__';

/**
 * One configured cache (memory | memcached | none), built on cache-manager + Keyv as @nestjs/cache-manager does.
 * It never fails a request: a memcached error or timeout is logged once, reported by `status()`, and the cache is
 * bypassed for a few seconds (reads miss, writes are dropped) until it answers again.
 */
export class SharedCache {
  private readonly logger: Logger;
  private bypassUntil = 0;
  private lastError?: string;
  private failures = 0;
  private probing?: Promise<void>;

  constructor(
    readonly name: string,
    readonly backend: CacheBackend,
    private readonly cache: Cache | undefined,
    private readonly ttlSeconds: number,
    private readonly bypassMs = BYPASS_MS,
  ) {
    this.logger = new Logger(`Cache:${name}`);
    // cache-manager swallows read errors and reports them only as events.
    cache?.on('get', (event: { error?: unknown }) => {
      if (event.error !== undefined) this.failed(event.error);
    });
  }

  get enabled(): boolean {
    return this.cache !== undefined && this.ttlSeconds > 0;
  }

  async get(key: string): Promise<string | undefined> {
    if (!this.enabled || this.bypassed()) return undefined;
    const failuresBefore = this.failures;
    try {
      const value = await withTimeout(this.cache!.get<string>(key));
      if (this.failures === failuresBefore) this.recovered();
      return typeof value === 'string' ? value : undefined;
    } catch (err) {
      this.failed(err);
      return undefined;
    }
  }

  async set(key: string, value: string): Promise<void> {
    if (!this.enabled || this.bypassed()) return;
    try {
      await withTimeout(this.cache!.set(key, value, this.ttlSeconds * 1000));
      this.recovered();
    } catch (err) {
      this.failed(err);
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (!this.cache || keys.length === 0) return;
    try {
      await withTimeout(this.cache.mdel([...keys]));
      this.recovered();
    } catch (err) {
      // A delete we could not make may leave a stale entry until its TTL: say so loudly.
      this.failed(err);
      this.logger.warn(`could not invalidate ${keys.length} key(s); they expire within ${this.ttlSeconds}s`);
    }
  }

  /**
   * One memcached round trip (bounded at 300 ms), ignoring the bypass, so that readiness sees a failure or a
   * recovery without waiting for a request to use the cache. A success also ends the bypass. Concurrent probes
   * share one round trip. Other backends have nothing to probe.
   */
  async probe(): Promise<SharedCacheStatus> {
    if (this.enabled && this.backend === 'memcached') {
      this.probing ??= this.roundTrip().finally(() => (this.probing = undefined));
      await this.probing;
    }
    return this.status();
  }

  status(): SharedCacheStatus {
    const healthy = this.lastError === undefined;
    return { name: this.name, backend: this.backend, healthy, ...(healthy ? {} : { error: this.lastError }) };
  }

  async close(): Promise<void> {
    await this.cache?.disconnect().catch(() => undefined);
  }

  private async roundTrip(): Promise<void> {
    const failuresBefore = this.failures;
    try {
      await withTimeout(this.cache!.get<string>(PROBE_KEY));
      if (this.failures === failuresBefore) this.recovered();
    } catch (err) {
      this.failed(err);
    }
  }

  private bypassed(): boolean {
    return this.bypassUntil > Date.now();
  }

  private recovered(): void {
    if (this.lastError === undefined) return;
    this.lastError = undefined;
    this.bypassUntil = 0;
    this.logger.warn(`${this.backend} is answering again`);
  }

  private failed(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (this.lastError === undefined) {
      this.logger.warn(
        `${this.backend} failed (${message}): serving from the database, retrying in ${this.bypassMs / 1000}s`,
      );
    }
    this.lastError = message;
    this.failures++;
    this.bypassUntil = Date.now() + this.bypassMs;
  }
}

/** Builds the cache-manager Cache for a backend; `location` is memcached's host:port list (Django LOCATION). */
export function createSharedCache(
  name: string,
  backend: CacheBackend,
  location: string,
  ttlSeconds: number,
  bypassMs = BYPASS_MS,
): SharedCache {
  if (backend === 'none' || ttlSeconds <= 0)
    return new SharedCache(name, backend, undefined, ttlSeconds, bypassMs);
  const keyv =
    backend === 'memcached'
      ? new Keyv({
          store: new KeyvMemcache(memcachedServers(location), {
            timeout: 0.25,
            conntimeout: 0.5,
            retries: 0,
          }),
          namespace: `flagport:${name}`,
          throwOnErrors: true,
        })
      : new Keyv({ store: new BoundedMap<string, unknown>(MEMORY_MAX_ENTRIES), namespace: name });
  // Keyv also emits errors as events; they are handled through the rejected promises above.
  keyv.on('error', () => undefined);
  return new SharedCache(name, backend, createCache({ stores: [keyv] }), ttlSeconds, bypassMs);
}

/** Django accepts "host:port", "host:port;host:port" or a list; memjs wants a comma list. */
export function memcachedServers(location: string): string {
  return location
    .split(/[;,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean)
    .join(',');
}

/** A Map that forgets its oldest entries beyond `max`, so an in-memory cache cannot grow without bound. */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly max: number) {
    super();
  }
  override set(key: K, value: V): this {
    if (this.has(key)) this.delete(key);
    super.set(key, value);
    if (this.size > this.max) this.delete(this.keys().next().value as K);
    return this;
  }
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${OPERATION_TIMEOUT_MS} ms`)),
      OPERATION_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
