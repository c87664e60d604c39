import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TelemetryController } from './telemetry.controller';
import { TelemetryReport } from './telemetry-report.entity';
import { TelemetryService } from './telemetry.service';

/** Startup telemetry (sent) and the receiver for other installs' reports. */
@Module({
  imports: [TypeOrmModule.forFeature([TelemetryReport])],
  controllers: [TelemetryController],
  providers: [TelemetryService],
  exports: [TelemetryService],
})
export class TelemetryModule {}
