import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { nestFastify } from '../http/fastify-options';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifyServerOptions,
  HTTPMethods,
} from 'fastify';

/** The outer request's id, handed to the inner instance with the raw request (one id per request in the logs). */
const outerRequestIds = new WeakMap<IncomingMessage, string>();

export const LAZY_MOUNT_UNAVAILABLE_SECONDS = 5;

export interface LazyMountOptions {
  /** What the log lines call it, e.g. "admin panel". */
  readonly label: string;
  /** The URL space served: `root` and everything below it (e.g. `/admin`, `/admin/…`). */
  readonly root: string;
  /** The methods routed to the inner instance (HEAD is routed with GET); others stay with the outer router. */
  readonly methods: readonly HTTPMethods[];
  /** Options of the inner instance (the outer instance's, so addresses, trailing slashes, body limits agree). */
  readonly innerOptions: FastifyServerOptions;
  /** Fills the new inner instance (plugins, routes); called again after a failed load. */
  readonly fill: (inner: FastifyInstance) => Promise<void>;
  /** Runs once the inner instance serves (e.g. background work that needs what `fill` built). */
  readonly onLoaded?: () => void;
  readonly logger: { log(message: string): void; error(message: string, stack?: string): void };
}

/**
 * Serves a URL space from a second, never-listening Fastify instance that is built on the first request for it.
 * Fastify cannot add routes once it is ready, so the outer instance gets only a light catch-all for the space at
 * start-up; the first request builds the inner instance (concurrent requests share that one load; a failed load
 * answers 503 and is tried again on the next request) and every request is then handed to it with
 * `reply.hijack()` + `inner.routing(req, res)`.
 *
 * The outer instance's onRequest hooks (request id, allowed hosts, HTTPS redirect, security and CORS headers, IP
 * allow-list) run first, as for any route; the headers they set are copied onto the raw response, which the inner
 * instance then writes. Its onResponse hooks (access log, metrics) run when the raw response finishes. The
 * catch-all never reads the body: its scope has one content-type parser, for everything, that leaves the payload
 * on the socket, so the inner instance reads and limits it itself.
 */
export class LazyMount {
  private inner?: FastifyInstance;
  private loading?: Promise<FastifyInstance>;
  private closed = false;

  constructor(private readonly options: LazyMountOptions) {}

  /** True once the inner instance has been built and serves requests. */
  get loaded(): boolean {
    return this.inner !== undefined;
  }

  /** Registers the catch-all on the outer instance (before it is ready). */
  async register(outer: FastifyInstance): Promise<void> {
    const { root, methods } = this.options;
    await outer.register(async (scope) => {
      // Leave the body on the socket for the inner instance: no inherited parser may read it, and the catch-all
      // one does nothing. (A body-with request without a valid content-type is refused by Fastify before this.)
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
      const handler = (request: FastifyRequest, reply: FastifyReply): void => this.serve(request, reply);
      // No compression or request decompression here (@fastify/compress's per-route hooks): the inner instance
      // does its own, on the response it writes.
      const config = { compress: false as const, decompress: false as const };
      scope.route({ method: [...methods], url: root, handler, config });
      scope.route({ method: [...methods], url: `${root}/*`, handler, config });
      scope.addHook('onClose', async () => this.close());
    });
  }

  /** Builds the inner instance once; concurrent callers share the load, a failed load is forgotten. */
  load(): Promise<FastifyInstance> {
    if (this.inner) return Promise.resolve(this.inner);
    this.loading ??= this.build().then(
      (inner) => {
        this.inner = inner;
        return inner;
      },
      (err: unknown) => {
        this.loading = undefined;
        throw err;
      },
    );
    return this.loading;
  }

  async close(): Promise<void> {
    this.closed = true;
    const inner = this.inner ?? (await this.loading?.catch(() => undefined));
    await inner?.close();
  }

  private async build(): Promise<FastifyInstance> {
    const { label, logger } = this.options;
    const started = performance.now();
    logger.log(`loading the ${label} (first request for ${this.options.root})`);
    const inner = nestFastify()({
      ...this.options.innerOptions,
      genReqId: (req: IncomingMessage) => outerRequestIds.get(req) ?? randomUUID(),
    });
    try {
      await this.options.fill(inner);
      await inner.ready();
      if (this.closed) throw new Error('the server is shutting down');
    } catch (err) {
      await inner.close().catch(() => undefined);
      const ms = Math.round(performance.now() - started);
      const error = err instanceof Error ? err : new Error(String(err));
      logger.error(`${label} failed to load after ${ms} ms: ${error.message}`, error.stack);
      throw error;
    }
    logger.log(`${label} loaded in ${Math.round(performance.now() - started)} ms`);
    this.options.onLoaded?.();
    return inner;
  }

  private serve(request: FastifyRequest, reply: FastifyReply): void {
    if (this.inner) {
      this.forward(this.inner, request, reply);
      return;
    }
    this.load().then(
      (inner) => this.forward(inner, request, reply),
      () => this.unavailable(reply),
    );
  }

  private forward(inner: FastifyInstance, request: FastifyRequest, reply: FastifyReply): void {
    const raw = reply.raw;
    // What the outer hooks put on the reply (request id, security and CORS headers) goes out with the inner
    // instance's response: Node merges headers set here into the ones the inner reply writes (which win).
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) raw.setHeader(name, value);
    }
    outerRequestIds.set(request.raw, request.id);
    // The inner instance (and AdminJS's session and path checks) reads the raw URL again: hand it the spelling
    // the outer router matched, so `/%61dmin/login` is `/admin/login` there too instead of a half-routed request.
    request.raw.url = canonicalRequestTarget(request.raw.url ?? '/');
    reply.hijack();
    inner.routing(request.raw, raw);
  }

  private unavailable(reply: FastifyReply): void {
    if (reply.sent) return;
    void reply
      .code(503)
      .header('content-type', 'application/json; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('retry-after', String(LAZY_MOUNT_UNAVAILABLE_SECONDS))
      .send(JSON.stringify({ detail: `The ${this.options.label} could not be loaded; try again shortly.` }));
  }
}

const UNRESERVED_ESCAPE = /%(2[dDeE]|3[0-9]|[46][1-9a-fA-F]|[57][0-9aA]|5[fF]|7[eE])/g;

/**
 * A request target as the router reads it: the path of an absolute-form target, no fragment, and percent-escapes
 * of unreserved characters (letters, digits, `-._~`) decoded (RFC 3986 §6.2.2.2: the same resource). Other
 * escapes, the query and the path's slashes are kept as sent.
 */
export function canonicalRequestTarget(target: string): string {
  let rest = target;
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const absolute = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?]*/.exec(rest);
  if (absolute) rest = rest.slice(absolute[0].length) || '/';
  const query = rest.indexOf('?');
  const path = query >= 0 ? rest.slice(0, query) : rest;
  const search = query >= 0 ? rest.slice(query) : '';
  return (
    path.replace(UNRESERVED_ESCAPE, (_escape, hex: string) => String.fromCharCode(parseInt(hex, 16))) + search
  );
}
