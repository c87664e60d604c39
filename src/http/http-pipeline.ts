import fastifyCompress from '@fastify/compress';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig } from '../config';
import { AppLogger } from '../logging/logger';
import { accessJsonRecord, compileAccessLogFormat, openAccessLog } from './access-log';
import { compileAllowedHosts } from './allowed-hosts';
import { parseFormBody, parseJsonBody, unsafeTextError } from './body-parsers';
import { corsHeaders } from './cors';
import { FlagsmithExceptionFilter } from './errors';
import { parseMultipartBody } from './multipart';
import { requestHostReader, secureRequestTest } from './request-origin';

/** Responses smaller than this are sent uncompressed (the gzip header costs more than it saves). */
export const GZIP_THRESHOLD_BYTES = 1024;

/** @fastify/compress as ENABLE_GZIP_COMPRESSION turns it on (the API's instance and the admin panel's). */
export const COMPRESSION_OPTIONS = {
  global: true,
  encodings: ['gzip' as const],
  threshold: GZIP_THRESHOLD_BYTES,
};

/** The `application/json` content-type parser (DRF's semantics, see parseJsonBody). */
export function jsonContentParser(
  _request: unknown,
  body: string | Buffer,
  done: (err: Error | null, body?: unknown) => void,
): void {
  try {
    done(null, parseJsonBody(String(body)));
  } catch (err) {
    done(err as Error, undefined);
  }
}

/**
 * Kubernetes probes reach pods by IP (Host = the pod address) and over plain HTTP: the host check and the HTTPS
 * redirect leave these paths alone.
 */
export function isHealthProbe(url: string): boolean {
  return url.startsWith('/health');
}

/**
 * Hooks every request passes through: request ids, allowed hosts, HTTPS redirect, security and CORS headers,
 * compression, JSON errors and the access log. Everything that can be is computed here, once; the per-request
 * hooks only compare and copy precomputed values (the SDK endpoints are the hot path).
 */
export async function installHttpPipeline(
  app: NestFastifyApplication,
  config: AppConfig,
  logger: AppLogger,
): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();

  // ---- Errors: one JSON shape for everything, never a stack trace.
  app.useGlobalFilters(new FlagsmithExceptionFilter(logger));

  // ---- Body parsers (Nest's own are turned off in createApp: bodyParser: false)
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, jsonContentParser);
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body: string, done) => {
      try {
        done(null, parseFormBody(body));
      } catch (err) {
        done(err as Error, undefined);
      }
    },
  );

  // multipart/form-data (file uploads: the feature import), bounded by the same body limit.
  fastify.addContentTypeParser('multipart/form-data', (request, payload, done) => {
    parseMultipartBody(
      payload,
      request.headers,
      request.routeOptions.bodyLimit ?? fastify.initialConfig.bodyLimit!,
    )
      .then((body) => done(null, body))
      .catch((err: Error) => done(err, undefined));
  });

  // ---- Host, HTTPS and security headers (Django's CommonMiddleware/SecurityMiddleware semantics)
  const hostAllowed = compileAllowedHosts(config.DJANGO_ALLOWED_HOSTS);
  const hostOf = requestHostReader(config);

  const sslRedirect = config.DJANGO_SECURE_SSL_REDIRECT;
  const sslHost = config.DJANGO_SECURE_SSL_HOST;
  const redirectExempt = config.DJANGO_SECURE_REDIRECT_EXEMPT.map((pattern) => new RegExp(pattern));
  const isSecure = secureRequestTest(config);

  const referrerPolicy = config.DJANGO_SECURE_REFERRER_POLICY;
  const openerPolicy = config.DJANGO_SECURE_CROSS_ORIGIN_OPENER_POLICY;
  const cors = corsHeaders(config.FLAGSMITH_CORS_EXTRA_ALLOW_HEADERS);

  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    if (referrerPolicy) reply.header('referrer-policy', referrerPolicy);
    if (openerPolicy) reply.header('cross-origin-opener-policy', openerPolicy);

    if (hostAllowed !== null || sslRedirect) {
      const probe = isHealthProbe(request.url);
      if (hostAllowed !== null && !probe) {
        const host = hostOf(request);
        if (!hostAllowed(host)) {
          void reply
            .code(400)
            .header('content-type', 'application/json; charset=utf-8')
            .send(JSON.stringify({ detail: `Invalid HTTP_HOST header: '${host}'.` }));
          return;
        }
      }
      if (sslRedirect && !probe && !isSecure(request)) {
        const path = request.url.split('?')[0].replace(/^\/+/, '');
        if (!redirectExempt.some((pattern) => pattern.test(path))) {
          void reply.redirect(`https://${sslHost ?? hostOf(request)}${request.url}`, 301);
          return;
        }
      }
    }

    if (request.headers.origin !== undefined) {
      reply.header('access-control-allow-origin', '*');
      if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
        void reply.headers(cors.preflight).code(200).send();
        return;
      }
      reply.header('access-control-expose-headers', cors.expose);
    }
    // A NUL reaches a query or a path parameter only as %00 (invalid UTF-8 decodes to U+FFFD, never a lone
    // surrogate): one substring test, and the decoded values are looked at only then.
    if (request.url.includes('%00')) {
      const unsafe = unsafeTextError({ ...(request.query as object), ...(request.params as object) });
      if (unsafe) {
        done(unsafe);
        return;
      }
    }
    done();
  });

  // ---- Graceful shutdown: Fastify stops accepting and closes idle connections; a keep-alive connection whose
  // request is still running would otherwise stay open after its response until keepAliveTimeout (72 s).
  fastify.addHook('preClose', (done) => {
    fastify.server.keepAliveTimeout = 1;
    done();
  });

  // ---- Compression
  if (config.ENABLE_GZIP_COMPRESSION) {
    await app.register(
      fastifyCompress as unknown as Parameters<NestFastifyApplication['register']>[0],
      COMPRESSION_OPTIONS,
    );
  }

  // ---- Access log
  if (config.ACCESS_LOG_LOCATION) {
    const sink = openAccessLog(config.ACCESS_LOG_LOCATION);
    const render = compileAccessLogFormat(config.ACCESS_LOG_FORMAT);
    const json = config.LOG_FORMAT === 'json';
    fastify.addHook('onResponse', (request, reply, done) => {
      const length = reply.getHeader('content-length');
      const record = {
        remoteAddress: request.ip,
        method: request.method,
        url: request.url,
        httpVersion: request.raw.httpVersion,
        status: reply.statusCode,
        bytes: length === undefined ? undefined : Number(length),
        durationMs: reply.elapsedTime,
        requestHeaders: request.headers,
        responseHeader: (name: string) => reply.getHeader(name),
        nowMs: Date.now(),
      };
      const line = render(record);
      sink.write(json ? accessJsonRecord(line, record, request.id) : line);
      done();
    });
    fastify.addHook('onClose', (_instance, done) => {
      sink.close();
      done();
    });
  }
}
