import type { IncomingHttpHeaders } from 'node:http';
import type { TrustedOrigins } from '../config/csrf-trusted-origins';

// Compiled with the settings (src/config only imports itself); re-exported for the admin guards.
export { compileTrustedOrigins, type TrustedOrigins } from '../config/csrf-trusted-origins';

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
