import { Module } from '@nestjs/common';
import { ErrorTrackingHooks } from './error-tracking.hooks';
import { InstallCountsRepository } from './install-counts.repository';
import { TelemetryService } from './telemetry.service';

/** Startup telemetry (sent) and Sentry's per-request hooks; other installs' reports: src/telemetry-receiver. */
@Module({
  providers: [TelemetryService, InstallCountsRepository, ErrorTrackingHooks],
  exports: [TelemetryService],
})
export class TelemetryModule {}
