import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { TelemetryJson } from './telemetry.schemas';
import { TelemetryReport } from '../telemetry/telemetry-report.entity';

/** The reports other installs sent (one INSERT each; nothing else reads or changes them). */
@Injectable()
export class TelemetryReportsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(report: TelemetryJson, remoteAddress: string | null): Promise<void> {
    await this.dataSource.getRepository(TelemetryReport).insert({
      organisations: report.organisations,
      projects: report.projects,
      environments: report.environments,
      features: report.features,
      segments: report.segments,
      users: report.users,
      debugEnabled: report.debug_enabled,
      env: report.env,
      externalIp: report.external_ip ?? null,
      remoteAddress,
    });
  }
}
