import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { AppConfig } from '../config';
import { requestHostReader, secureRequestTest } from '../http/request-origin';
import { compileTrustedOrigins, csrfForbiddenBody, csrfRefusal } from './csrf-origin';
import { ADMIN_IP_FORBIDDEN_BODY, compileIpAllowlist, isAdminPath } from './ip-allowlist';

type GuardSettings = Pick<
  AppConfig,
  | 'ALLOWED_ADMIN_IP_ADDRESSES'
  | 'DJANGO_CSRF_TRUSTED_ORIGINS'
  | 'USE_X_FORWARDED_HOST'
  | 'SECURE_PROXY_SSL_HEADER_NAME'
  | 'SECURE_PROXY_SSL_HEADER_VALUE'
>;

function forbid(reply: FastifyReply, body: string): void {
  void reply
    .code(403)
    .header('content-type', 'application/json; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(body);
}

/** The onRequest hooks every admin route gets, in order: IP allowlist, then the CSRF origin check. */
export function adminGuardHooks(config: GuardSettings): onRequestHookHandler[] {
  const hooks: onRequestHookHandler[] = [];

  // ALLOWED_ADMIN_IP_ADDRESSES: `request.ip` is the socket address, or the X-Forwarded-For client when the socket
  // is a proxy listed in TRUSTED_PROXIES (Fastify's trustProxy), so a spoofed header from anywhere else changes
  // nothing.
  const allowed = compileIpAllowlist(config.ALLOWED_ADMIN_IP_ADDRESSES);
  if (allowed) {
    hooks.push((request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      if (allowed(request.ip)) done();
      else forbid(reply, ADMIN_IP_FORBIDDEN_BODY);
    });
  }

  // CSRF: the panel authenticates by cookie (SameSite=Lax, which a same-site page — another port, a sibling
  // subdomain — still gets sent), so an unsafe request must come from a page of this server's own origin or of
  // DJANGO_CSRF_TRUSTED_ORIGINS (see csrfRefusal). Checked before the body is read: a refused request changes nothing.
  const trusted = compileTrustedOrigins(config.DJANGO_CSRF_TRUSTED_ORIGINS);
  const hostOf = requestHostReader(config);
  const isSecure = secureRequestTest(config);
  hooks.push((request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    if (request.method === 'GET' || request.method === 'HEAD') {
      done();
      return;
    }
    const secure = isSecure(request);
    const host = hostOf(request);
    const ownOrigin = host ? `${secure ? 'https' : 'http'}://${host}` : '';
    const refusal = csrfRefusal(
      { method: request.method, headers: request.headers, ownOrigin, secure },
      trusted,
    );
    if (refusal === null) done();
    else forbid(reply, csrfForbiddenBody(refusal));
  });
  return hooks;
}

/**
 * Puts the admin guards on every route of the admin panel's URL space (AdminJS's catch-all, src/admin/lazy-mount.ts,
 * and Nest's Google sign-in routes) as route-level onRequest hooks. They run once the router has matched the
 * request, so they see it exactly as routed: every spelling that reaches admin code (`/%61dmin`, `/admin#x`,
 * `http://host/admin` in absolute form, …) is checked, and no spelling needs to be recognised in the raw URL. They
 * run after the API's own onRequest hooks (request id, allowed hosts, HTTPS redirect, security headers) and before
 * any admin code, session or body parsing; routes outside /admin pay nothing.
 *
 * Must be called before the routes are registered (Nest registers them in app.init(), after createApp).
 */
export function installAdminRouteGuards(app: NestFastifyApplication, config: GuardSettings): void {
  const hooks = adminGuardHooks(config);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRoute', (route) => {
      if (!isAdminPath(route.url)) return;
      const own: unknown = route.onRequest;
      const existing: unknown[] = own === undefined ? [] : Array.isArray(own) ? (own as unknown[]) : [own];
      // Fastify's route types are generic over the route's schema; these hooks read none of it.
      route.onRequest = [...hooks, ...existing] as unknown as typeof route.onRequest;
    });
}
