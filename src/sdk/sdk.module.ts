import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { CacheHealthModule } from '../cache/cache-health';
import { UsageModule } from '../usage/usage.module';
import { UsageService } from '../usage/usage.service';
import { EnvironmentDocumentRepository } from './environment-document.repository';
import { EnvironmentSnapshots } from './environment-snapshots';
import { IdentitiesService } from './identities.service';
import { IdentityStore } from './identity-store';
import { registerSdkRoutes } from './sdk.routes';

/**
 * The SDK-facing API (spec/sdk-api.md): flags, identities, traits, environment document, analytics. Kept apart
 * from the management API: its routes are raw Fastify routes (see sdk.routes.ts), registered here.
 * Needs EnvironmentChangesService (global) for invalidation.
 */
@Module({
  imports: [UsageModule, CacheHealthModule],
  providers: [EnvironmentDocumentRepository, EnvironmentSnapshots, IdentityStore, IdentitiesService],
  exports: [EnvironmentSnapshots],
})
export class SdkModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly snapshots: EnvironmentSnapshots,
    private readonly identities: IdentitiesService,
    private readonly store: IdentityStore,
    private readonly usage: UsageService,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    registerSdkRoutes(fastify, {
      snapshots: this.snapshots,
      identities: this.identities,
      store: this.store,
      usage: this.usage,
    });
  }
}
