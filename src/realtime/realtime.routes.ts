import { timingSafeEqual } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EnvironmentSnapshots } from '../sdk/environment-snapshots';
import type { RealtimeService } from './realtime.service';
import { isEpochSeconds } from './realtime.service';
import { environmentUpdatedFrame } from './sse-hub';

export const STREAM_PATH = '/sse/environments/:key/stream';
export const QUEUE_CHANGE_PATH = '/sse/environments/:key/queue-change';

const JSON_TYPE = 'application/json';

function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', JSON_TYPE).send(JSON.stringify(body));
}

function tokenMatches(header: string | undefined, token: string | undefined): boolean {
  if (token === undefined || header === undefined) return false;
  const given = Buffer.from(header);
  const expected = Buffer.from(`Token ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** An ISO-8601 date-time (what upstream's API sends as `updated_at`) as epoch seconds text, or undefined. */
export function epochSecondsOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) {
    const text = String(value);
    return isEpochSeconds(text) ? text : undefined;
  }
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value)) return undefined;
  // Date keeps milliseconds only: read the fraction separately so microseconds survive.
  const match = /^(.*T?\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/.exec(
    value.replace(' ', 'T'),
  );
  if (!match) return undefined;
  const whole = Date.parse(`${match[1]}${match[3] ?? 'Z'}`);
  if (Number.isNaN(whole) || whole < 0) return undefined;
  const fraction = (match[2] ?? '').padEnd(6, '0').slice(0, 6);
  return `${Math.floor(whole / 1000)}.${fraction}`;
}

/**
 * `GET /sse/environments/{key}/stream` (docs/contracts/realtime.md §1): no authentication, CORS open (the HTTP pipeline's
 * `Access-Control-Allow-Origin: *`), `text/event-stream` written to the raw response after `reply.hijack()`. The
 * stream starts with the environment's current `updated_at` when its project has real-time updates enabled.
 * `POST /sse/environments/{key}/queue-change` is upstream's hook for its API (Authorization: Token
 * <SSE_AUTHENTICATION_TOKEN>, body `{"updated_at": "<ISO-8601>"}`).
 */
export function registerRealtimeRoutes(
  fastify: FastifyInstance,
  snapshots: EnvironmentSnapshots,
  realtime: RealtimeService,
): void {
  const { hub } = realtime;

  fastify.get(STREAM_PATH, async (request: FastifyRequest, reply: FastifyReply) => {
    if (hub.closing) {
      sendJson(reply, 503, { detail: 'Server is shutting down.' });
      return;
    }
    const { key } = request.params as { key: string };
    const resolved = snapshots.lookup(key, Date.now()) ?? (await snapshots.resolve(key));
    if (resolved === undefined) {
      sendJson(reply, 404, { detail: 'Not found.' });
      return;
    }
    const { snapshot } = resolved;
    const enabled = snapshot.document.project.enable_realtime_updates;

    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) headers[name] = value;
    }
    headers['content-type'] = 'text/event-stream; charset=utf-8';
    headers['cache-control'] = 'no-cache, no-transform';
    headers['x-accel-buffering'] = 'no';
    // One response per connection: when the stream ends, so does the connection (nothing keeps shutdown waiting).
    headers.connection = 'close';

    reply.hijack();
    const raw = reply.raw;
    raw.socket?.setKeepAlive(true, 60_000);
    const first = enabled ? environmentUpdatedFrame(snapshot.updatedAtHeader) : undefined;
    if (!hub.attach(snapshot.clientKey, raw, headers, first)) {
      raw.writeHead(503, { ...headers, 'content-type': JSON_TYPE });
      raw.end('{"detail":"Server is shutting down."}');
    }
  });

  fastify.get('/sse/health', (_request, reply) => {
    sendJson(reply, 200, { status: 'ok' });
  });

  fastify.post(QUEUE_CHANGE_PATH, async (request: FastifyRequest, reply: FastifyReply) => {
    const authorization = request.headers.authorization;
    if (!tokenMatches(authorization, realtime.authenticationToken)) {
      sendJson(reply, 401, { detail: 'Invalid authorization header' });
      return;
    }
    const { key } = request.params as { key: string };
    const body = request.body as { updated_at?: unknown } | undefined;
    const updatedAt = epochSecondsOf(typeof body === 'object' && body !== null ? body.updated_at : undefined);
    if (updatedAt === undefined) {
      sendJson(reply, 400, { updated_at: ['A valid ISO-8601 date-time is required.'] });
      return;
    }
    await realtime.queueChange(key, updatedAt);
    sendJson(reply, 200, {});
  });
}
