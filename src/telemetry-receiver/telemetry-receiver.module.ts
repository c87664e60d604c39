import { Module } from '@nestjs/common';
import { TelemetryReportsRepository } from './telemetry-reports.repository';
import { TelemetryController } from './telemetry.controller';

/**
 * The receiver of other installs' startup reports. Apart from src/telemetry (what this install sends, and error
 * reporting, which src/http uses), so that the route's schemas can use src/http without a folder import cycle.
 */
@Module({ controllers: [TelemetryController], providers: [TelemetryReportsRepository] })
export class TelemetryReceiverModule {}
