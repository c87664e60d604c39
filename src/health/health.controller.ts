import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { HealthService } from './health.service';

/**
 * Kubernetes probes. Liveness never touches the database (a database outage must not restart every pod);
 * readiness answers 503 naming what failed. `/health/` and `/healthcheck/` are Flagsmith's older names for readiness.
 */
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly checks: HealthService,
  ) {}

  @Get('health/liveness')
  liveness(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get(['health/readiness', 'health', 'healthcheck'])
  @HealthCheck()
  readiness(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.checks.primary(),
      () => this.checks.replicaDatabases(),
      () => this.checks.migrations(),
      () => this.checks.cache(),
    ]);
  }
}
