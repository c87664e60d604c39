import { BlockList, isIP } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConfigError } from '../config/setting-types';

/** True for the admin panel's URL space: `/admin`, `/admin/…`, `/admin?…` (not `/administrator`). */
export function isAdminPath(url: string): boolean {
  if (!url.startsWith('/admin')) return false;
  const next = url.charCodeAt(6);
  return Number.isNaN(next) || next === 47 /* / */ || next === 63; /* ? */
}

/** `::ffff:10.0.0.1` → `10.0.0.1`, so IPv4 rules match IPv4 clients of a dual-stack listener. */
export function normaliseAddress(address: string): string {
  const lower = address.trim().toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

/**
 * Compiles ALLOWED_ADMIN_IP_ADDRESSES (addresses or CIDR ranges, IPv4 or IPv6) into a predicate; null = no
 * restriction. Throws ConfigError for an entry that is neither.
 */
export function compileIpAllowlist(entries: readonly string[]): ((address: string) => boolean) | null {
  if (entries.length === 0) return null;
  const list = new BlockList();
  for (const raw of entries) {
    const entry = raw.trim();
    const slash = entry.indexOf('/');
    const address = normaliseAddress(slash === -1 ? entry : entry.slice(0, slash));
    const family = isIP(address);
    const prefix = slash === -1 ? undefined : Number(entry.slice(slash + 1));
    const maxPrefix = family === 4 ? 32 : 128;
    if (
      family === 0 ||
      (prefix !== undefined && (!Number.isInteger(prefix) || prefix < 0 || prefix > maxPrefix))
    ) {
      throw new ConfigError(
        'ALLOWED_ADMIN_IP_ADDRESSES',
        `"${entry}" is not an IP address or CIDR range (e.g. 10.0.0.5, 10.0.0.0/8, ::1)`,
      );
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, prefix, type);
  }
  return (client: string) => {
    const address = normaliseAddress(client);
    const family = isIP(address);
    if (family === 0) return false;
    return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
}

export const ADMIN_IP_FORBIDDEN_BODY = JSON.stringify({
  detail: 'Access to the admin panel is not allowed from this address.',
});

/**
 * Refuses every /admin request (pages, assets, API, login, SSO) from an address outside the allowlist with 403,
 * in the first onRequest hook, i.e. before any admin code, session or body parsing runs. `request.ip` is the
 * socket address, or the X-Forwarded-For client when the socket is a proxy listed in TRUSTED_PROXIES (Fastify's
 * trustProxy), so a spoofed header from anywhere else changes nothing.
 */
export function installAdminIpAllowlist(app: NestFastifyApplication, entries: readonly string[]): void {
  const allowed = compileIpAllowlist(entries);
  if (!allowed) return;
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    if (isAdminPath(request.url) && !allowed(request.ip)) {
      void reply
        .code(403)
        .header('content-type', 'application/json; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(ADMIN_IP_FORBIDDEN_BODY);
      return;
    }
    done();
  });
}
