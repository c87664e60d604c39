import type { IncomingHttpHeaders } from 'node:http';
import { ConfigError } from '../config/setting-types';

/**
 * DJANGO_CSRF_TRUSTED_ORIGINS, compiled as Django's CsrfViewMiddleware reads CSRF_TRUSTED_ORIGINS: entries without
 * `*` are exact origins; `scheme://*.example.com[:port]` allows that domain and its subdomains for that scheme.
 */
export interface TrustedOrigins {
  /** `https://flags.example.com`, lower-cased. */
  readonly exact: ReadonlySet<string>;
  /** Per scheme, the netloc patterns of wildcard entries: `.example.com`, `.example.com:8443`. */
  readonly subdomains: ReadonlyMap<string, readonly string[]>;
}

/** scheme://host[:port] or scheme://*.host[:port] (a DNS name, an IPv4 address or a bracketed IPv6 address). */
const TRUSTED_ORIGIN =
  /^[a-z][a-z0-9+.-]*:\/\/(\*\.)?([a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(:\d{1,5})?$/;

/**
 * Throws ConfigError naming the variable for an entry that is not an origin. Django only checks for a scheme
 * (an entry with a path or a trailing slash is accepted there and never matches anything); here it fails start-up.
 */
export function compileTrustedOrigins(entries: readonly string[]): TrustedOrigins {
  const exact = new Set<string>();
  const subdomains = new Map<string, string[]>();
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (!TRUSTED_ORIGIN.test(entry)) {
      throw new ConfigError(
        'DJANGO_CSRF_TRUSTED_ORIGINS',
        `"${raw.trim()}" is not an origin: expected scheme://host[:port] or scheme://*.domain[:port] ` +
          '(e.g. https://flags.example.com, https://*.example.com), without a path',
      );
    }
    const schemeEnd = entry.indexOf('://');
    const netloc = entry.slice(schemeEnd + 3);
    if (!netloc.startsWith('*.')) {
      exact.add(entry);
      continue;
    }
    const scheme = entry.slice(0, schemeEnd);
    const patterns = subdomains.get(scheme) ?? [];
    patterns.push(netloc.slice(1)); // "*.example.com" → ".example.com", as Django's lstrip("*")
    subdomains.set(scheme, patterns);
  }
  return { exact, subdomains };
}

/** Django's is_same_domain: `.example.com` matches example.com and any subdomain; anything else exactly. */
function isSameDomain(netloc: string, pattern: string): boolean {
  return pattern.startsWith('.')
    ? netloc.endsWith(pattern) || netloc === pattern.slice(1)
    : netloc === pattern;
}

/** `scheme://netloc` of an absolute URL (lower-cased), or undefined when it has neither. */
function originOf(url: string): { scheme: string; netloc: string } | undefined {
  const match = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i.exec(url);
  if (!match || !match[2]) return undefined;
  return { scheme: match[1].toLowerCase(), netloc: match[2].toLowerCase() };
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** What the CSRF check needs to know about a request. */
export interface OriginCheckInput {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  /** The server's own origin: `http(s)://` + Django's get_host() (src/http/request-origin.ts); '' without a host. */
  readonly ownOrigin: string;
  readonly secure: boolean;
}

/**
 * Django's origin verification for an unsafe request (POST, PUT, PATCH, DELETE); null when it may proceed, else
 * Django's reason. Origin, when sent, must be the server's own origin, an exact trusted origin or under a trusted
 * wildcard for its scheme. Without Origin, the Referer's scheme://host is checked the same way, and over HTTPS an
 * http:// Referer is refused (Django's rules).
 *
 * Neither header: refused. Django refuses this only over HTTPS and otherwise relies on its CSRF token, which the
 * admin panel has none of. Every browser in use sends Origin on every POST (same-origin included: Chromium since
 * 2019, Firefox since 70, Safari), and on a cross-site POST even a Referrer-Policy of no-referrer leaves Origin (as
 * "null") in place; a request with neither is a script, which can send `Origin:` itself.
 */
export function csrfRefusal(request: OriginCheckInput, trusted: TrustedOrigins): string | null {
  if (!UNSAFE_METHODS.has(request.method)) return null;
  const origin = request.headers.origin;
  if (typeof origin === 'string') {
    return originTrusted(origin.toLowerCase(), request.ownOrigin, trusted)
      ? null
      : `Origin checking failed - ${origin} does not match any trusted origins.`;
  }
  const referer = request.headers.referer;
  if (typeof referer !== 'string') return 'Referer checking failed - no Referer.';
  const parsed = originOf(referer);
  if (!parsed) return 'Referer checking failed - Referer is malformed.';
  if (request.secure && parsed.scheme !== 'https')
    return 'Referer checking failed - Referer is insecure while host is secure.';
  return originTrusted(`${parsed.scheme}://${parsed.netloc}`, request.ownOrigin, trusted)
    ? null
    : `Referer checking failed - ${referer} does not match any trusted origins.`;
}

function originTrusted(origin: string, ownOrigin: string, trusted: TrustedOrigins): boolean {
  if ((ownOrigin !== '' && origin === ownOrigin.toLowerCase()) || trusted.exact.has(origin)) return true;
  const parsed = originOf(origin);
  if (!parsed) return false;
  const patterns = trusted.subdomains.get(parsed.scheme);
  return patterns !== undefined && patterns.some((pattern) => isSameDomain(parsed.netloc, pattern));
}

export const csrfForbiddenBody = (reason: string) => JSON.stringify({ detail: `CSRF Failed: ${reason}` });
