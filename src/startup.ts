import { AppConfig, ConfigError, loadConfig, readEnvironment } from './config';
import { AppLogger, surviveClosedOutput } from './logging/logger';

/** Loads the configuration or exits with one line naming the bad variable. */
export function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig(readEnvironment());
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`flagport: invalid configuration: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

export function announceConfig(config: AppConfig, logger: AppLogger): void {
  if (config.secretKeyGenerated) {
    logger.alert(
      'DJANGO_SECRET_KEY is not set: generated a random one for this process. Sessions, OAuth state and reset links ' +
        'will not survive a restart or work across instances. Set DJANGO_SECRET_KEY to a long random value.',
      'Config',
    );
  }
  if (config.ignoredVariablesSet.length > 0) {
    logger.notice(
      `ignored (Django/gunicorn-only) settings: ${config.ignoredVariablesSet.join(', ')}`,
      'Config',
    );
  }
}

/** Something started while the process starts (embedded PostgreSQL, the HTTP server), to stop when it stops. */
export interface StartedResources {
  /** Registers how to stop `name`; what was registered last is stopped first. */
  add(name: string, stop: () => Promise<void>): void;
}

interface Resource {
  readonly name: string;
  stop(): Promise<void>;
  /** True once its stop has finished (or failed). */
  settled: boolean;
}

/** How long the stops after a forced exit (grace period over, or a crash) may take. */
const FORCED_STOP_MS = 10_000;

/**
 * Stops what this process started whenever it has to stop. Installed before anything is started, so that SIGTERM or
 * SIGINT during startup, a failed startup step or an uncaught exception stops the embedded PostgreSQL instead of
 * leaving it running with its postmaster.pid (which made the next start fail).
 */
export class ProcessLifecycle implements StartedResources {
  private readonly resources: Resource[] = [];
  private listening = false;
  private stopping = false;

  constructor(
    private readonly logger: AppLogger,
    private readonly graceSeconds: number,
  ) {}

  installHandlers(): void {
    surviveClosedOutput();
    process.on('SIGTERM', () => this.signalled('SIGTERM'));
    process.on('SIGINT', () => this.signalled('SIGINT'));
    // Node's default would exit at once and leave the embedded PostgreSQL running.
    process.on('uncaughtException', (err) => {
      this.logger.fatal(`uncaught exception: ${err.stack ?? String(err)}`, 'Server');
      void this.stopAndExit(1, Math.min(this.graceSeconds * 1000, FORCED_STOP_MS));
    });
  }

  add(name: string, stop: () => Promise<void>): void {
    let stopped: Promise<void> | undefined;
    const resource: Resource = {
      name,
      settled: false,
      stop: () =>
        (stopped ??= Promise.resolve()
          .then(stop)
          .finally(() => (resource.settled = true))),
    };
    this.resources.push(resource);
  }

  /** From now on a signal first finishes in-flight requests. */
  markListening(): void {
    this.listening = true;
  }

  /**
   * Awaits one startup step. If it fails, logs `describe(err)`, stops what was started and exits 1. Once a signal
   * is being handled the process is exiting: the step's outcome is ignored and this never resolves.
   */
  async step<T>(work: Promise<T>, context: string, describe: (err: unknown) => string): Promise<T> {
    let value: T;
    try {
      value = await work;
    } catch (err) {
      if (this.stopping) return never();
      this.logger.fatal(describe(err), context);
      if (err instanceof Error && err.stack) this.logger.debug(err.stack, context); // LOG_LEVEL=DEBUG only
      return this.stopAndExit(1, this.graceSeconds * 1000);
    }
    return this.stopping ? never() : value;
  }

  private signalled(signal: NodeJS.Signals): void {
    if (this.stopping) return;
    if (this.listening) {
      this.logger.notice(`${signal} received: finishing in-flight requests, then stopping`);
    } else {
      const started = this.resources.map((r) => r.name).reverse();
      this.logger.notice(
        `${signal} received during startup: ${started.length > 0 ? `stopping ${started.join(', ')}` : 'nothing started yet'}, then exiting`,
      );
    }
    void this.stopAndExit(0, this.graceSeconds * 1000);
  }

  /** Stops every resource, last started first, then exits; after `graceMs` stops what is left and exits 1. */
  private stopAndExit(code: number, graceMs: number): Promise<never> {
    if (this.stopping) return never();
    this.stopping = true;
    const force = setTimeout(() => void this.forceExit(), graceMs);
    force.unref();
    void (async () => {
      let failed = false;
      for (const resource of [...this.resources].reverse()) {
        try {
          await resource.stop();
        } catch (err) {
          failed = true;
          this.logger.error(`stopping ${resource.name} failed: ${errorText(err)}`, 'Server');
        }
      }
      this.logger.notice('stopped');
      process.exit(failed ? 1 : code);
    })();
    return never();
  }

  /** The grace period is over (requests still running): skip what is still stopping, stop the rest, exit 1. */
  private async forceExit(): Promise<void> {
    const order = [...this.resources].reverse();
    const current = order.find((r) => !r.settled);
    this.logger.error(
      this.listening
        ? `requests still running after ${this.graceSeconds}s: exiting anyway`
        : `still stopping ${current?.name ?? 'nothing'} after ${this.graceSeconds}s: exiting anyway`,
      'Server',
    );
    const rest = order.filter((r) => !r.settled && r !== current);
    const bound = new Promise((done) => setTimeout(done, FORCED_STOP_MS));
    await Promise.race([
      (async () => {
        for (const resource of rest) await resource.stop().catch(() => undefined);
      })(),
      bound,
    ]);
    process.exit(1);
  }
}

function never(): Promise<never> {
  return new Promise<never>(() => undefined);
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
