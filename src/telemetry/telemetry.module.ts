import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ErrorTrackingHooks } from './error-tracking.hooks';
import { TelemetryController } from './telemetry.controller';
import { TelemetryReport } from './telemetry-report.entity';
import { TelemetryService } from './telemetry.service';

/** Startup telemetry (sent), the receiver for other installs' reports, and Sentry's per-request hooks. */
@Module({
  imports: [TypeOrmModule.forFeature([TelemetryReport])],
  controllers: [TelemetryController],
  providers: [TelemetryService, ErrorTrackingHooks],
  exports: [TelemetryService],
})
export class TelemetryModule {}
