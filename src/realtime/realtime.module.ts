import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { ChangeFeedModule } from '../changes/change-feed.module';
import { EnvironmentSnapshots } from '../sdk/environment-snapshots';
import { SdkModule } from '../sdk/sdk.module';
import { registerRealtimeRoutes } from './realtime.routes';
import { RealtimeService } from './realtime.service';

/**
 * Real-time flag updates over Server-Sent Events (docs/contracts/realtime.md), served by this server for the flagsmith JS
 * client's `realtime: true` (`eventSourceUrl` = this server's base URL with a trailing slash).
 */
@Module({
  imports: [SdkModule, ChangeFeedModule],
  providers: [RealtimeService],
  exports: [RealtimeService],
})
export class RealtimeModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly snapshots: EnvironmentSnapshots,
    private readonly realtime: RealtimeService,
  ) {}

  onModuleInit(): void {
    registerRealtimeRoutes(
      this.adapterHost.httpAdapter.getInstance<FastifyInstance>(),
      this.snapshots,
      this.realtime,
    );
  }
}
