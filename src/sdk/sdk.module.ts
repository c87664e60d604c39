import { Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { CacheHealthModule, CacheHealthRegistry } from '../cache/cache-health';
import { createSharedCache, SharedCache } from '../cache/shared-cache';
import { ChangeFeedModule } from '../changes/change-feed.module';
import { APP_CONFIG, AppConfig } from '../config';
import { UsageModule } from '../usage/usage.module';
import { UsageService } from '../usage/usage.service';
import { EnvironmentDocumentController } from './environment-document.controller';
import { EnvironmentDocumentRepository } from './environment-document.repository';
import { EnvironmentSnapshots } from './environment-snapshots';
import { IdentitiesService } from './identities.service';
import { IdentityStore } from './identity-store';
import { registerSdkRoutes } from './sdk.routes';

/**
 * The SDK-facing API (docs/contracts/sdk-api.md): flags, identities, traits, environment document, analytics. Kept apart
 * from the management API: its routes are raw Fastify routes (see sdk.routes.ts), registered here.
 * Needs EnvironmentChangesService (global) and the change feed (other instances' writes) for invalidation.
 */
@Module({
  imports: [UsageModule, CacheHealthModule, ChangeFeedModule],
  controllers: [EnvironmentDocumentController],
  providers: [EnvironmentDocumentRepository, EnvironmentSnapshots, IdentityStore, IdentitiesService],
  exports: [EnvironmentSnapshots],
})
export class SdkModule implements OnModuleInit, OnApplicationShutdown {
  /** GET_FLAGS_ENDPOINT_CACHE_* and GET_IDENTITIES_ENDPOINT_CACHE_* (off by default). */
  private readonly flagsResponses: SharedCache;
  private readonly identitiesResponses: SharedCache;
  private readonly gzip: boolean;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly snapshots: EnvironmentSnapshots,
    private readonly identities: IdentitiesService,
    private readonly usage: UsageService,
    @Inject(APP_CONFIG) config: AppConfig,
    cacheHealth: CacheHealthRegistry,
  ) {
    this.flagsResponses = createSharedCache(
      'get-flags-endpoint',
      config.GET_FLAGS_ENDPOINT_CACHE_BACKEND,
      config.GET_FLAGS_ENDPOINT_CACHE_LOCATION,
      config.GET_FLAGS_ENDPOINT_CACHE_SECONDS,
    );
    this.identitiesResponses = createSharedCache(
      'get-identities-endpoint',
      config.GET_IDENTITIES_ENDPOINT_CACHE_BACKEND,
      config.GET_IDENTITIES_ENDPOINT_CACHE_LOCATION,
      config.GET_IDENTITIES_ENDPOINT_CACHE_SECONDS,
    );
    this.gzip = config.ENABLE_GZIP_COMPRESSION;
    for (const cache of [this.flagsResponses, this.identitiesResponses])
      if (cache.enabled) cacheHealth.register(cache);
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    registerSdkRoutes(fastify, {
      snapshots: this.snapshots,
      identities: this.identities,
      usage: this.usage,
      flagsResponses: this.flagsResponses,
      identitiesResponses: this.identitiesResponses,
      gzip: this.gzip,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flagsResponses.close();
    await this.identitiesResponses.close();
  }
}
