import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { DomainError } from '../common/domain-errors';
import { ThrottledException } from '../common/errors';
import { AppLogger } from '../logging/logger';
import { reportServerError } from '../telemetry/error-reporter';

/** DRF's error bodies: `{"detail": "…"}` or field errors `{"field": ["…", …]}`. */
export type DetailBody = { detail: unknown };
export interface FieldErrorsBody {
  [field: string]: string[] | FieldErrorsBody;
}
/** Any other object is a body a module built on purpose (e.g. readiness naming what failed). */
export type ErrorBody = DetailBody | FieldErrorsBody | unknown[] | object;

/** Key DRF uses for errors that belong to the whole object rather than one field. */
export const NON_FIELD_ERRORS = 'non_field_errors';

const STATUS_DETAIL: Record<number, string> = {
  400: 'Bad request.',
  401: 'Authentication credentials were not provided.',
  403: 'You do not have permission to perform this action.',
  404: 'Not found.',
  405: 'Method not allowed.',
  406: 'Could not satisfy the request Accept header.',
  413: 'Request body is too large.',
  429: 'Request was throttled.',
};
export const SERVER_ERROR_DETAIL = 'A server error occurred.';
export const DATABASE_UNAVAILABLE_DETAIL = 'The database is unavailable; try again shortly.';
/** Seconds a client is told to wait (Retry-After) when the database is unavailable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** Node socket errors of a connection that could not be made or was lost. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/**
 * PostgreSQL SQLSTATEs of a server that is not there for us right now: class 08 (connection exception),
 * 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up / shutting down),
 * 53300 too_many_connections.
 */
const UNAVAILABLE_SQLSTATES = /^(08...|57P0[123]|53300)$/;
/** What node-postgres and its pool say (without a code) when a connection is lost or cannot be had in time. */
const CONNECTION_LOST_MESSAGES = [
  /^Connection terminated/, // "… unexpectedly", "… due to connection timeout"
  /^timeout exceeded when trying to connect$/, // pg-pool connectionTimeoutMillis
  /is not queryable$/, // "Client has encountered a connection error and is not queryable"
];

/**
 * Whether an error means the database could not be reached (refused, timed out, shut down, connection lost)
 * rather than that a query was wrong. Follows TypeORM's `driverError`, `cause` and AggregateError's `errors`.
 * TypeORM releases a query runner whose connection failed, so the next query of that transaction (or its
 * COMMIT, which then never reached the server) throws QueryRunnerAlreadyReleasedError (or, through the entity
 * manager, QueryRunnerProviderAlreadyReleasedError) instead.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) return false;
  if (
    error instanceof QueryRunnerAlreadyReleasedError ||
    error instanceof QueryRunnerProviderAlreadyReleasedError
  )
    return true;
  const { code, message, driverError, cause, errors } = error as {
    code?: unknown;
    message?: unknown;
    driverError?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === 'string' && (CONNECTION_ERROR_CODES.has(code) || UNAVAILABLE_SQLSTATES.test(code)))
    return true;
  if (typeof message === 'string' && CONNECTION_LOST_MESSAGES.some((pattern) => pattern.test(message)))
    return true;
  if (Array.isArray(errors) && errors.some((e) => isDatabaseUnavailable(e, depth + 1))) return true;
  return isDatabaseUnavailable(driverError, depth + 1) || isDatabaseUnavailable(cause, depth + 1);
}

function isFieldErrors(value: object): boolean {
  const entries: [string, unknown][] = Object.entries(value);
  return (
    entries.length > 0 &&
    entries.every(
      ([, v]) =>
        (Array.isArray(v) && v.every((m) => typeof m === 'string')) ||
        (typeof v === 'object' && v !== null && !Array.isArray(v) && isFieldErrors(v)),
    )
  );
}

/** Nest's default body `{statusCode, message, error}` (message: string or ValidationPipe's string[]). */
interface NestDefaultBody {
  statusCode: number;
  message: string | string[];
  error?: string;
}
function isNestDefaultBody(value: object): value is NestDefaultBody {
  return 'statusCode' in value && 'message' in value;
}

/** ValidationPipe's default messages start with the property name: group them by it. */
function fieldErrorsFromMessages(messages: string[]): FieldErrorsBody {
  const body: Record<string, string[]> = {};
  for (const message of messages) {
    const field = /^([A-Za-z_$][\w$.]*) (?:must|should|has|is|each) /.exec(message)?.[1] ?? NON_FIELD_ERRORS;
    (body[field] ??= []).push(message);
  }
  return body;
}

export interface MappedError {
  readonly status: number;
  readonly body: ErrorBody;
  /** True when this is a server fault that must be logged. */
  readonly unexpected: boolean;
  /** Extra response headers (Retry-After of a 503). */
  readonly headers?: Readonly<Record<string, string>>;
  /** True when the database could not be reached: a 503 the client may retry, not a fault of this server. */
  readonly databaseUnavailable?: boolean;
}

/** Turns anything thrown while handling a request into a status and a Flagsmith-shaped JSON body. */
export function mapError(
  error: unknown,
  request: { method: string; url: string; contentType?: string },
): MappedError {
  if (error instanceof DomainError) return { status: error.status, body: error.body(), unexpected: false };
  if (error instanceof ThrottledException) {
    return {
      status: 429,
      body: error.getResponse() as object,
      unexpected: false,
      headers: { 'retry-after': String(error.retryAfterSeconds) },
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    if (status === 404 && response && typeof response === 'object' && isNestDefaultBody(response)) {
      // Nest's unknown-route handler ("Cannot GET /x") and bare NotFoundException()
      const text = String(response.message);
      if (text === 'Not Found' || text.startsWith(`Cannot ${request.method} `)) {
        return { status, body: { detail: STATUS_DETAIL[404] }, unexpected: false };
      }
    }
    // A 500 is a fault of this server whatever was thrown: its message (a driver's, a stack's) never leaves.
    if (status === 500) return { status, body: { detail: SERVER_ERROR_DETAIL }, unexpected: true };
    if (status === 413) return { status, body: { detail: STATUS_DETAIL[413] }, unexpected: false };
    if (status === 415) {
      const type = (request.contentType ?? '').split(';')[0].trim();
      return { status, body: { detail: `Unsupported media type "${type}" in request.` }, unexpected: false };
    }
    if (typeof response === 'string') {
      return { status, body: { detail: response }, unexpected: status >= 500 };
    }
    if (Array.isArray(response)) return { status, body: response as unknown[], unexpected: status >= 500 };
    if (response && typeof response === 'object') {
      if ('detail' in response) return { status, body: response, unexpected: status >= 500 };
      if (isNestDefaultBody(response)) {
        if (Array.isArray(response.message)) {
          return { status, body: fieldErrorsFromMessages(response.message.map(String)), unexpected: false };
        }
        // `new ForbiddenException()` carries only the status phrase: say it as DRF does.
        const bare = response.message === response.error || response.message === STATUS_CODES[status];
        const detail = bare ? (STATUS_DETAIL[status] ?? response.message) : response.message;
        return { status, body: { detail }, unexpected: status >= 500 };
      }
      if (isFieldErrors(response)) return { status, body: response, unexpected: false };
      // Any other structured body was built on purpose (e.g. readiness naming what failed): keep it as sent.
      return { status, body: response, unexpected: false };
    }
    return { status, body: { detail: error.message }, unexpected: status >= 500 };
  }

  // Errors raised by Fastify before a handler runs (body parsing) arrive unwrapped.
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    if (error instanceof SyntaxError) {
      return { status: 400, body: { detail: `JSON parse error - ${error.message}` }, unexpected: false };
    }
    return mapError(new HttpException((error as Error).message, statusCode), request);
  }
  if (isDatabaseUnavailable(error)) {
    return {
      status: HttpStatus.SERVICE_UNAVAILABLE,
      body: { detail: DATABASE_UNAVAILABLE_DETAIL },
      unexpected: false,
      headers: { 'retry-after': String(DATABASE_RETRY_AFTER_SECONDS) },
      databaseUnavailable: true,
    };
  }
  return {
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    body: { detail: SERVER_ERROR_DETAIL },
    unexpected: true,
  };
}

/** While the database stays unreachable, its 503s are logged at most this often (with how many there were). */
const UNAVAILABLE_LOG_INTERVAL_MS = 10_000;

/**
 * The one exception filter: every error leaves as JSON in Flagsmith's shape, server faults are logged with
 * the request id, and no stack trace ever reaches a client. An unreachable database is a 503 with Retry-After
 * (never a 500), logged as a warning at most every UNAVAILABLE_LOG_INTERVAL_MS.
 */
@Catch()
export class FlagsmithExceptionFilter implements ExceptionFilter {
  private unavailableLoggedAt = 0;
  private unavailableSinceLog = 0;

  constructor(private readonly logger: AppLogger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw error;
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const mapped = mapError(error, {
      method: request.method,
      url: request.url,
      contentType: request.headers['content-type'],
    });
    if (mapped.unexpected) {
      reportServerError(error, request);
      const err = error instanceof Error ? error : new Error(String(error));
      this.logger.pino.error(
        {
          context: 'HTTP',
          request_id: request.id,
          method: request.method,
          path: request.url,
          err: { type: err.name, message: err.message, stack: err.stack },
        },
        `${request.method} ${request.url} failed: ${err.message}`,
      );
    }
    if (mapped.databaseUnavailable) this.logUnavailable(request, error);
    if (reply.sent) return;
    if (mapped.headers) void reply.headers(mapped.headers);
    void reply
      .status(mapped.status)
      .header('content-type', 'application/json; charset=utf-8')
      .send(JSON.stringify(mapped.body));
  }

  private logUnavailable(request: FastifyRequest, error: unknown): void {
    this.unavailableSinceLog++;
    const now = Date.now();
    if (now - this.unavailableLoggedAt < UNAVAILABLE_LOG_INTERVAL_MS) return;
    const count = this.unavailableSinceLog;
    this.unavailableLoggedAt = now;
    this.unavailableSinceLog = 0;
    this.logger.pino.warn(
      {
        context: 'HTTP',
        request_id: request.id,
        method: request.method,
        path: request.url,
        err: { message: error instanceof Error ? error.message : String(error) },
      },
      `database unavailable: answering 503 (${count} request(s) since the last report; latest ${request.method} ${request.url})`,
    );
  }
}
