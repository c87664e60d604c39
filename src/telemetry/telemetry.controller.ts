import { BadRequestException, Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { FastifyRequest } from 'fastify';
import { isIP } from 'node:net';
import { Repository } from 'typeorm';
import { TelemetryData } from './telemetry-data';
import { TelemetryReport } from './telemetry-report.entity';

const COUNTS = ['organisations', 'projects', 'environments', 'features', 'segments', 'users'] as const;
const MAX_COUNT = 2147483647;
const TRUE_VALUES = new Set<unknown>([true, 'true', 'True', '1', 1]);
const FALSE_VALUES = new Set<unknown>([false, 'false', 'False', '0', 0]);

/**
 * `POST /api/v1/analytics/telemetry/`: receives other installs' startup reports (no authentication, as in
 * Flagsmith) and stores them with the address they came from. Answers 201 with the accepted fields.
 */
@Controller('api/v1/analytics')
export class TelemetryController {
  constructor(@InjectRepository(TelemetryReport) private readonly reports: Repository<TelemetryReport>) {}

  @Post('telemetry')
  @HttpCode(201)
  async receive(@Body() body: unknown, @Req() request: FastifyRequest): Promise<TelemetryData> {
    const data = parseTelemetry(body);
    await this.reports.insert({
      organisations: data.organisations,
      projects: data.projects,
      environments: data.environments,
      features: data.features,
      segments: data.segments,
      users: data.users,
      debugEnabled: data.debug_enabled,
      env: data.env,
      externalIp: data.external_ip ?? null,
      remoteAddress: isIP(request.ip) ? request.ip : null,
    });
    return data;
  }
}

/** Validates a report with DRF's messages; unknown fields are ignored. Throws 400 `{"field": ["…"]}`. */
export function parseTelemetry(body: unknown): TelemetryData {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestException({
      non_field_errors: [
        `Invalid data. Expected a dictionary, but got ${Array.isArray(body) ? 'list' : typeof body}.`,
      ],
    });
  }
  const input = body as Record<string, unknown>;
  const errors: Record<string, string[]> = {};
  const counts: Partial<Record<(typeof COUNTS)[number], number>> = {};
  for (const field of COUNTS) {
    const raw = input[field];
    if (raw === undefined) {
      errors[field] = ['This field is required.'];
      continue;
    }
    const n = typeof raw === 'string' && /^\s*-?\d{1,10}\s*$/.test(raw) ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isInteger(n)) errors[field] = ['A valid integer is required.'];
    else if (n < 0) errors[field] = ['Ensure this value is greater than or equal to 0.'];
    else if (n > MAX_COUNT) errors[field] = [`Ensure this value is less than or equal to ${MAX_COUNT}.`];
    else counts[field] = n;
  }
  let debug: boolean | undefined;
  if (input.debug_enabled === undefined) errors.debug_enabled = ['This field is required.'];
  else if (TRUE_VALUES.has(input.debug_enabled)) debug = true;
  else if (FALSE_VALUES.has(input.debug_enabled)) debug = false;
  else errors.debug_enabled = ['Must be a valid boolean.'];

  const env = input.env;
  if (env === undefined) errors.env = ['This field is required.'];
  else if (typeof env !== 'string') errors.env = ['Not a valid string.'];
  else if (env.trim() === '') errors.env = ['This field may not be blank.'];
  else if (env.trim().length > 255) errors.env = ['Ensure this field has no more than 255 characters.'];

  const ip = input.external_ip;
  if (ip !== undefined && ip !== null && (typeof ip !== 'string' || isIP(ip) === 0)) {
    errors.external_ip = ['Enter a valid IPv4 or IPv6 address.'];
  }
  if (Object.keys(errors).length > 0) throw new BadRequestException(errors);
  return {
    organisations: counts.organisations!,
    projects: counts.projects!,
    environments: counts.environments!,
    features: counts.features!,
    segments: counts.segments!,
    users: counts.users!,
    debug_enabled: debug!,
    env: (env as string).trim(),
    ...(typeof ip === 'string' ? { external_ip: ip } : {}),
  };
}
