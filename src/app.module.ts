import { DynamicModule, Module } from '@nestjs/common';
import { SchemaSettingsModule } from './common/schema-settings.module';
import { AppConfig, ConfigModule } from './config';
import { ResolvedDatabase } from './database/data-source-options';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { TelemetryModule } from './telemetry/telemetry.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, db: ResolvedDatabase): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        SchemaSettingsModule.forRoot(config),
        DatabaseModule.forRoot(db, config),
        HealthModule,
        MetricsModule.forRoot(config),
        TelemetryModule,
      ],
    };
  }
}
