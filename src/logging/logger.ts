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
 * Nest's LoggerService backed by pino. Startup lines (listening, database) go through `notice`,
 * which prints at INFO whatever LOG_LEVEL says, as gunicorn's own start-up lines do.
 */
export class AppLogger implements LoggerService {
  private readonly noticeLogger: Logger;

  constructor(readonly pino: Logger) {
    this.noticeLogger = pino.child({}, { level: pino.levelVal <= 30 ? pino.level : 'info' });
  }

  private ctx(context: unknown): object {
    return typeof context === 'string' && context ? { context } : {};
  }

  log(message: unknown, context?: unknown): void {
    this.pino.info(this.ctx(context), String(message));
  }
  notice(message: string, context = 'Server'): void {
    this.noticeLogger.info({ context }, message);
  }
  warn(message: unknown, context?: unknown): void {
    this.pino.warn(this.ctx(context), String(message));
  }
  error(message: unknown, stackOrContext?: unknown, context?: unknown): void {
    // Nest calls error(message, stack, context) or error(message, context).
    if (context !== undefined) {
      this.pino.error({ ...this.ctx(context), stack: stackOrContext }, String(message));
    } else {
      this.pino.error(this.ctx(stackOrContext), String(message));
    }
  }
  debug(message: unknown, context?: unknown): void {
    this.pino.debug(this.ctx(context), String(message));
  }
  verbose(message: unknown, context?: unknown): void {
    this.pino.trace(this.ctx(context), String(message));
  }
  fatal(message: unknown, context?: unknown): void {
    this.pino.fatal(this.ctx(context), String(message));
  }
}
