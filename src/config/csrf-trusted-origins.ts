import { ConfigError } from './setting-types';

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
