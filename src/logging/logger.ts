import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Level, Logger } from 'pino';

export type LogLevelName = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';
export type LogFormat = 'generic' | 'json';

const PINO_LEVEL: Record<LogLevelName, Level> = {
  DEBUG: 'debug',
  INFO: 'info',
  WARNING: 'warn',
  ERROR: 'error',
  CRITICAL: 'fatal',
};

const LEVEL_LABEL: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARNING',
  50: 'ERROR',
  60: 'CRITICAL',
};

/** Writes pino's JSON lines as plain text: `<time> <LEVEL> [context] message key=value…`. */
export function genericTextStream(out: NodeJS.WritableStream): DestinationStream {
  return {
    write(line: string) {
      const record = JSON.parse(line) as Record<string, unknown>;
      const { time, level, context, msg, pid: _pid, hostname: _host, ...rest } = record;
      const extras = Object.entries(rest)
        .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
        .join(' ');
      const head = `${new Date(Number(time)).toISOString()} ${LEVEL_LABEL[Number(level)] ?? String(level)}`;
      const where = typeof context === 'string' ? ` [${context}]` : '';
      const text = typeof msg === 'string' ? msg : JSON.stringify(msg ?? '');
      out.write(`${head}${where} ${text}${extras ? ` ${extras}` : ''}\n`);
    },
  };
}

export function createRootLogger(
  level: LogLevelName,
  format: LogFormat,
  out: NodeJS.WritableStream = process.stdout,
): Logger {
  const options = {
    level: PINO_LEVEL[level],
    base: undefined,
    timestamp: format === 'json' ? pino.stdTimeFunctions.isoTime : pino.stdTimeFunctions.epochTime,
    formatters: format === 'json' ? { level: (label: string) => ({ level: label }) } : {},
  };
  return format === 'json' ? pino(options, out as DestinationStream) : pino(options, genericTextStream(out));
}

/**
 * Nest's own contexts. Like third-party loggers under Flagsmith (root logger at WARNING), their informational
 * lines (module loading, route mapping) are only shown when LOG_LEVEL=DEBUG.
 */
const FRAMEWORK_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
]);

/**
 * Contexts whose errors come while the process starts (database connection retries): the startup step logs one
 * line naming the setting, so their stack traces are only shown when LOG_LEVEL=DEBUG.
 */
const STARTUP_CONTEXTS = new Set(['TypeOrmModule']);

/**
 * Nest's LoggerService backed by pino. Startup lines (listening, database) go through `notice`,
 * which prints at INFO whatever LOG_LEVEL says, as gunicorn's own start-up lines do; `alert` prints a
 * warning whatever LOG_LEVEL says (insecure defaults).
 */
export class AppLogger implements LoggerService {
  private readonly noticeLogger: Logger;
  private readonly alertLogger: Logger;

  constructor(readonly pino: Logger) {
    this.noticeLogger = pino.child({}, { level: pino.levelVal <= 30 ? pino.level : 'info' });
    this.alertLogger = pino.child({}, { level: pino.levelVal <= 40 ? pino.level : 'warn' });
  }

  private ctx(context: unknown): object {
    return typeof context === 'string' && context ? { context } : {};
  }

  /** Objects logged by Nest or libraries become fields of the record instead of "[object Object]". */
  private text(message: unknown): string {
    if (typeof message === 'string') return message;
    if (message instanceof Error) return message.message;
    if (typeof message === 'object' && message !== null) return JSON.stringify(message);
    return String(message);
  }

  log(message: unknown, context?: unknown): void {
    if (typeof context === 'string' && FRAMEWORK_CONTEXTS.has(context)) {
      this.pino.debug(this.ctx(context), this.text(message));
    } else {
      this.pino.info(this.ctx(context), this.text(message));
    }
  }
  notice(message: string, context = 'Server'): void {
    this.noticeLogger.info({ context }, message);
  }
  alert(message: string, context = 'Server'): void {
    this.alertLogger.warn({ context }, message);
  }
  warn(message: unknown, context?: unknown): void {
    this.pino.warn(this.ctx(context), this.text(message));
  }
  error(message: unknown, stackOrContext?: unknown, context?: unknown): void {
    // Nest calls error(message, stack, context) or error(message, context).
    const name = context ?? stackOrContext;
    if (name === 'ExceptionHandler') {
      // Nest's report of a failed bootstrap: the failed startup step says it in one line already.
      this.pino.debug(
        { context: name, stack: context === undefined ? undefined : stackOrContext },
        this.text(message),
      );
    } else if (typeof name === 'string' && STARTUP_CONTEXTS.has(name) && !this.pino.isLevelEnabled('debug')) {
      this.pino.error(this.ctx(name), this.text(message));
    } else if (context !== undefined) {
      this.pino.error({ ...this.ctx(context), stack: stackOrContext }, this.text(message));
    } else {
      this.pino.error(this.ctx(stackOrContext), this.text(message));
    }
  }
  debug(message: unknown, context?: unknown): void {
    this.pino.debug(this.ctx(context), this.text(message));
  }
  verbose(message: unknown, context?: unknown): void {
    this.pino.trace(this.ctx(context), this.text(message));
  }
  fatal(message: unknown, context?: unknown): void {
    this.pino.fatal(this.ctx(context), this.text(message));
  }
}

/**
 * A log reader that goes away (a closed terminal, a supervisor that died) must not take the server with it. With
 * no listener, the EPIPE of the next write is an uncaught exception, whose log line fails the same way, in a loop
 * that starved the event loop: the process then served nothing and ignored SIGTERM at full CPU. There is nowhere
 * left to report such an error, so lines written after it are lost and the server carries on.
 */
export function surviveClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
}
