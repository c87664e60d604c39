import { DynamicModule, Module } from '@nestjs/common';
import { AdminPanelModule } from './admin/admin-panel.module';
import { PermissionsModule } from './permissions/permissions.module';
import { EnvironmentsModule } from './environments/environments.module';
import { FeaturesModule } from './features/features.module';
import { ImportExportModule } from './features/import-export/import-export.module';
import { ProjectsModule } from './projects/projects.module';
import { OrganisationsModule } from './organisations/organisations.module';
import { UsersModule } from './users/users.module';
import { FirstRunModule } from './users/first-run.module';
import { EmailModule } from './email/email.module';
import { CoreModule } from './core.module';
import { OAuthModule } from './oauth/oauth.module';
import { SchemaSettingsModule } from './segments/schema-settings.module';
import { AppConfig, ConfigModule } from './config';
import { ResolvedDatabase } from './database/data-source-options';
import { DatabaseModule } from './database/database.module';
import { ENTITIES } from './entities';
import { HealthModule } from './health/health.module';
import { SdkModule } from './sdk/sdk.module';
import { RealtimeModule } from './realtime/realtime.module';
import { OfrepModule } from './ofrep/ofrep.module';
import { MetricsModule } from './metrics/metrics.module';
import { TelemetryReceiverModule } from './telemetry-receiver/telemetry-receiver.module';
import { TelemetryModule } from './telemetry/telemetry.module';
import { SegmentsModule } from './segments/segments.module';
import { IdentitiesModule } from './identities/identities.module';
import { AuditModule } from './audit/audit.module';
import { E2eTestsModule } from './e2etests/e2e-tests.module';
import { MetadataModule } from './metadata/metadata.module';
import { AnalyticsModule } from './analytics/analytics.module';
import { FeatureHealthModule } from './feature-health/feature-health.module';
import { JobsModule } from './jobs/jobs.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { OutboundModule } from './outbound/outbound.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, db: ResolvedDatabase): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        SchemaSettingsModule.forRoot(config),
        DatabaseModule.forRoot(db, config, ENTITIES),
        HealthModule,
        SdkModule,
        RealtimeModule,
        OfrepModule,
        EmailModule,
        JobsModule,
        CoreModule,
        UsersModule,
        OAuthModule,
        OrganisationsModule,
        ProjectsModule,
        EnvironmentsModule,
        FeaturesModule,
        ImportExportModule,
        PermissionsModule,
        MetricsModule.forRoot(config),
        TelemetryModule,
        TelemetryReceiverModule,
        SegmentsModule,
        IdentitiesModule,
        AuditModule,
        MetadataModule,
        AnalyticsModule,
        FeatureHealthModule,
        OutboundModule,
        WebhooksModule,
        FirstRunModule,
        // AdminJS is ESM-only and cannot load under Jest: in-process test apps set ADMIN_PANEL_ENABLED=false.
        ...(config.ADMIN_PANEL_ENABLED ? [AdminPanelModule.forRoot(config)] : []),
        // Flagsmith's e2e hooks: without ENABLE_FE_E2E the teardown route does not exist.
        ...(config.ENABLE_FE_E2E ? [E2eTestsModule] : []),
      ],
    };
  }
}
