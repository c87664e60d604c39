import { Controller, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { isIP } from 'node:net';
import { Responds, ValidBody } from '../http/schema';
import { TelemetryReportsRepository } from './telemetry-reports.repository';
import { TelemetryJson, TelemetryReportInput } from './telemetry.schemas';

/**
 * `POST /api/v1/analytics/telemetry/`: receives other installs' startup reports (no authentication, as in
 * Flagsmith) and stores them with the address they came from. Answers 201 with the accepted fields.
 */
@Controller('api/v1/analytics')
export class TelemetryController {
  constructor(private readonly reports: TelemetryReportsRepository) {}

  @Post('telemetry')
  @Responds(201, TelemetryJson, 'The accepted report')
  async receive(
    @ValidBody(TelemetryReportInput) body: TelemetryReportInput,
    @Req() request: FastifyRequest,
  ): Promise<TelemetryJson> {
    const { external_ip: externalIp, ...counts } = body;
    const report: TelemetryJson = { ...counts, ...(externalIp ? { external_ip: externalIp } : {}) };
    await this.reports.insert(report, isIP(request.ip) ? request.ip : null);
    return report;
  }
}
