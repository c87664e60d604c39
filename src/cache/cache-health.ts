import { Injectable, Module } from '@nestjs/common';
import type { SharedCache, SharedCacheStatus } from './shared-cache';

/** The shared caches in use, for the readiness probe. Caches register themselves when they are created. */
@Injectable()
export class CacheHealthRegistry {
  private readonly caches = new Set<SharedCache>();

  register(cache: SharedCache | undefined): void {
    if (cache) this.caches.add(cache);
  }

  statuses(): SharedCacheStatus[] {
    return [...this.caches].map((cache) => cache.status());
  }

  /** Probes every cache (in parallel, each bounded) and returns the statuses found. */
  probe(): Promise<SharedCacheStatus[]> {
    return Promise.all([...this.caches].map((cache) => cache.probe()));
  }
}

/** Imported by the modules that create caches and by HealthModule; one registry for the application. */
@Module({ providers: [CacheHealthRegistry], exports: [CacheHealthRegistry] })
export class CacheHealthModule {}
