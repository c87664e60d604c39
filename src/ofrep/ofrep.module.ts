import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { APP_CONFIG, AppConfig } from '../config';
import { EnvironmentSnapshots } from '../sdk/environment-snapshots';
import { SdkModule } from '../sdk/sdk.module';
import { registerOfrepRoutes } from './ofrep.routes';

/**
 * OpenFeature Remote Evaluation Protocol (docs/contracts/ofrep.md): `POST /ofrep/v1/evaluate/flags/{key}` and
 * `POST /ofrep/v1/evaluate/flags`, evaluated by the SDK engine over the SDK snapshot cache (raw Fastify routes,
 * as the SDK endpoints are).
 */
@Module({ imports: [SdkModule] })
export class OfrepModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly snapshots: EnvironmentSnapshots,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    registerOfrepRoutes(
      this.adapterHost.httpAdapter.getInstance<FastifyInstance>(),
      this.snapshots,
      this.config.ENABLE_GZIP_COMPRESSION,
    );
  }
}
