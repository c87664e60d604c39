import { Module } from '@nestjs/common';
import { ErrorTrackingHooks } from './error-tracking.hooks';
import { TelemetryController } from './telemetry.controller';
import { TelemetryReportsRepository } from './telemetry-reports.repository';
import { TelemetryService } from './telemetry.service';

/** Startup telemetry (sent), the receiver for other installs' reports, and Sentry's per-request hooks. */
@Module({
  controllers: [TelemetryController],
  providers: [TelemetryService, TelemetryReportsRepository, ErrorTrackingHooks],
  exports: [TelemetryService],
})
export class TelemetryModule {}
