import { appendFileSync } from 'node:fs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { SCHEMA_FIRST } from '../../src/http/schema';
import { buildOpenApiDocument, normalisePath } from '../../src/openapi/openapi';
import { NOT_YET_SCHEMA_FIRST } from './contract-allowlist';

/**
 * The contract test. Every in-process app of the e2e suite (startTestApp) records each exchange it serves, and on
 * answer checks them against the OpenAPI document it serves (/api/v1/docs.json, built by the same code):
 *   - a route with schemas (x-schema-first) must answer a documented status; a 2xx request body must match its
 *     request schema; the response body must match the response schema of that status (no undocumented field:
 *     response objects are closed), or be empty where none is documented;
 *   - any other route must be on the allowlist (test/support/contract-allowlist.ts), which lists the routes not
 *     migrated yet and can only shrink (test/contract.e2e-spec.ts fails when a listed route has schemas);
 *   - requests that matched no route (404s of unknown paths) are not exchanges of a route and are skipped.
 * A violation fails the test file whose app served it (in its afterAll, when the app closes). Set CONTRACT_REPORT=<file> to
 * append one line of counts per app.
 */
export interface Exchange {
  readonly method: string;
  /** `METHOD /path/{}/` (path parameters written {}). */
  readonly key: string;
  readonly url: string;
  readonly status: number;
  readonly requestBody: unknown;
  readonly responseBody: string;
  /** Media types (no parameters) of the request and response bodies, when they have one. */
  readonly requestType?: string;
  readonly responseType?: string;
}

/** `application/json; charset=utf-8` → `application/json`. */
function mediaType(header: unknown): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return typeof value === 'string' ? value.split(';')[0].trim().toLowerCase() || undefined : undefined;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the OpenAPI document as parsed JSON
type Json = any;

/** A Fastify route pattern (`/api/v1/projects/:id`) as a document key (`GET /api/v1/projects/{}/`). */
export function routeKey(method: string, pattern: string): string {
  const path = pattern.replace(/:[^/]+/g, '{}').replace(/\*$/, '{}');
  return `${method.toUpperCase()} ${path.endsWith('/') ? path : `${path}/`}`;
}

/** Operations of the document by key, and a validator factory that resolves its component $refs. */
export class ContractDocument {
  readonly operations = new Map<string, Json>();
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly compiled = new WeakMap<object, ValidateFunction>();

  constructor(readonly document: Json) {
    addFormats(this.ajv);
    this.ajv.addSchema({ components: document.components }, 'doc');
    for (const [path, item] of Object.entries<Json>(document.paths))
      for (const method of ['get', 'put', 'post', 'delete', 'patch'])
        if (item[method]) this.operations.set(`${method.toUpperCase()} ${normalisePath(path)}`, item[method]);
  }

  static of(app: NestFastifyApplication): ContractDocument {
    return new ContractDocument(JSON.parse(JSON.stringify(buildOpenApiDocument(app))));
  }

  isStrict(key: string): boolean {
    return this.operations.get(key)?.[SCHEMA_FIRST] === true;
  }

  private errorsOf(schema: Json, value: unknown): string | undefined {
    let validate = this.compiled.get(schema);
    if (!validate) {
      const rewritten = JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"doc#/components/'));
      validate = this.ajv.compile(rewritten);
      this.compiled.set(schema, validate);
    }
    return validate(value) ? undefined : this.ajv.errorsText(validate.errors);
  }

  /** What is wrong with one exchange of a strict route (empty: it keeps the contract). */
  violations(exchange: Exchange): string[] {
    const operation = this.operations.get(exchange.key);
    const where = `${exchange.method} ${exchange.url.slice(0, 200)} → ${exchange.status}`;
    const response = operation.responses?.[String(exchange.status)];
    if (!response) return [`${where}: status not documented for ${exchange.key}`];
    const out: string[] = [];
    // A form post is held to the form's schema where one is documented, else (as any body) to the JSON one.
    const requestContent = operation.requestBody?.content;
    const requestSchema = (
      requestContent?.[exchange.requestType ?? ''] ?? requestContent?.['application/json']
    )?.schema;
    // A multipart upload is parsed into file objects, which the document describes as binary strings: not comparable.
    if (requestSchema && exchange.status < 300 && exchange.requestType !== 'multipart/form-data') {
      const error = this.errorsOf(requestSchema, exchange.requestBody ?? {});
      if (error)
        out.push(`${where}: request body ${JSON.stringify(exchange.requestBody)?.slice(0, 300)}: ${error}`);
    }
    // A documented page (text/html to a browser) is not JSON: its media type is what the document says.
    const responseMedia = exchange.responseType;
    if (responseMedia && responseMedia !== 'application/json' && response.content?.[responseMedia])
      return out;
    const responseSchema = response.content?.['application/json']?.schema;
    if (!responseSchema) {
      if (exchange.responseBody !== '') out.push(`${where}: a body where none is documented`);
      return out;
    }
    let body: unknown;
    try {
      body = JSON.parse(exchange.responseBody);
    } catch {
      return [...out, `${where}: response is not JSON`];
    }
    const error = this.errorsOf(responseSchema, body);
    if (error) out.push(`${where}: response ${exchange.responseBody.slice(0, 300)}: ${error}`);
    return out;
  }
}

/** The document and Swagger UI themselves (installed after Nest's routes): not API routes, never checked. */
const DOCUMENT_ROUTES = new Set([
  'GET /api/v1/docs.json/',
  'GET /api/v1/docs/',
  'GET /api/v1/docs/{}/',
  'GET /api/v1/docs/swagger-initializer.js/',
]);

let cached: ContractDocument | undefined;

/** What one app's exchanges broke, counted as they are served (no body is kept once checked). */
export interface ContractRecord {
  strict: number;
  allowlisted: number;
  readonly problems: string[];
}

/**
 * Checks every exchange the app serves as it is answered. Routes a test adds itself (in `beforeListen`, always
 * under `/test/`) and the document routes are not the API's and are skipped.
 */
export function recordExchanges(app: NestFastifyApplication): ContractRecord {
  const record: ContractRecord = { strict: 0, allowlisted: 0, problems: [] };
  const fastify = app.getHttpAdapter().getInstance();
  const payloads = new WeakMap<object, string>();
  fastify.addHook('onSend', (request, _reply, payload, done) => {
    payloads.set(
      request,
      typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString() : '',
    );
    done(null, payload);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const pattern = request.routeOptions.url;
    if (!pattern || request.method === 'HEAD' || request.method === 'OPTIONS' || pattern.startsWith('/test/'))
      return done();
    const exchange: Exchange = {
      method: request.method,
      key: routeKey(request.method, pattern),
      url: request.url,
      status: reply.statusCode,
      requestBody: request.body,
      responseBody: payloads.get(request) ?? '',
      requestType: mediaType(request.headers['content-type']),
      responseType: mediaType(reply.getHeader('content-type')),
    };
    if (DOCUMENT_ROUTES.has(exchange.key)) return done();
    cached ??= ContractDocument.of(app);
    if (cached.isStrict(exchange.key)) {
      record.strict++;
      for (const problem of cached.violations(exchange))
        if (!record.problems.includes(problem)) record.problems.push(problem);
    } else if (NOT_YET_SCHEMA_FIRST.has(exchange.key)) record.allowlisted++;
    else
      record.problems.push(
        `${exchange.method} ${exchange.url}: ${exchange.key} has no schemas and is not allowlisted`,
      );
    done();
  });
  return record;
}

/** Throws naming every exchange of the app that broke the contract. */
export function checkContract(record: ContractRecord): void {
  if (process.env.CONTRACT_REPORT)
    appendFileSync(
      process.env.CONTRACT_REPORT,
      `${JSON.stringify({ file: expect.getState().testPath, strict: record.strict, allowlisted: record.allowlisted, violations: record.problems.length })}\n`,
    );
  if (record.problems.length)
    throw new Error(
      `contract: ${record.problems.length} exchange(s) break the OpenAPI document:\n${record.problems.join('\n')}`,
    );
}
