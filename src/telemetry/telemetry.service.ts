import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config';
import { InstallCountsRepository } from './install-counts.repository';
import { debugEnabled, findExternalIp, TelemetryData } from './telemetry-data';

/** Flagsmith gives the telemetry POST two seconds. */
export const TELEMETRY_TIMEOUT_MS = 2000;

/**
 * Startup telemetry: unless ENABLE_TELEMETRY=false, counts the install's organisations, projects, environments,
 * features, segments and users once the database is ready, logs them at debug level, and POSTs them to
 * TELEMETRY_URL when one is set. Runs in the background: a slow or failing receiver never delays or breaks startup.
 */
@Injectable()
export class TelemetryService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Telemetry');
  /** The background report started at bootstrap (awaited by tests through `lastReport`). */
  private running?: Promise<void>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly installCounts: InstallCountsRepository,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.ENABLE_TELEMETRY) return;
    this.running = this.report();
  }

  /** Resolves once the startup report (if any) has been sent or given up on. Never rejects. */
  get lastReport(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  async collect(): Promise<TelemetryData> {
    const counts = await this.installCounts.counts();
    const externalIp = findExternalIp();
    return {
      ...counts,
      debug_enabled: debugEnabled(this.config.DEBUG),
      env: this.config.ENVIRONMENT,
      ...(externalIp !== undefined ? { external_ip: externalIp } : {}),
    };
  }

  private async report(): Promise<void> {
    let data: TelemetryData;
    try {
      data = await this.collect();
    } catch (err) {
      this.logger.debug(`telemetry not collected: ${message(err)}`);
      return;
    }
    this.logger.debug(`telemetry: ${JSON.stringify(data)}`);
    const url = this.config.TELEMETRY_URL;
    if (!url) return;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(data),
        signal: AbortSignal.timeout(TELEMETRY_TIMEOUT_MS),
      });
      await res.body?.cancel();
      this.logger.debug(`telemetry sent to ${url}: ${res.status}`);
    } catch (err) {
      this.logger.debug(`telemetry not sent to ${url}: ${message(err)}`);
    }
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
