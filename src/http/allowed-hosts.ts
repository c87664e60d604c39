/**
 * Django's ALLOWED_HOSTS check: "*" allows any host, ".example.com" allows example.com and every subdomain,
 * anything else must match exactly. Matching ignores case, the port and a trailing dot.
 */
export type HostCheck = (host: string) => boolean;

/** Django's host syntax: a DNS name or IPv4 address, or a bracketed IPv6 address, with an optional port. */
const HOST_SYNTAX = /^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(:\d+)?$/;

/** The host without port and trailing dot, lower-cased; '' when the value is not a valid host. */
export function domainOf(rawHost: string): string {
  const host = rawHost.toLowerCase();
  if (!HOST_SYNTAX.test(host)) return '';
  let domain: string;
  if (host.startsWith('[')) {
    domain = host.slice(0, host.lastIndexOf(']') + 1);
  } else {
    const colon = host.lastIndexOf(':');
    domain = colon === -1 ? host : host.slice(0, colon);
  }
  return domain.endsWith('.') ? domain.slice(0, -1) : domain;
}

/** Returns null when every host is allowed (so the caller can skip the check entirely). */
export function compileAllowedHosts(patterns: readonly string[]): HostCheck | null {
  const normalised = patterns.map((p) => p.trim().toLowerCase()).filter((p) => p.length > 0);
  if (normalised.includes('*')) return null;
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const pattern of normalised) {
    if (pattern.startsWith('.')) {
      exact.add(pattern.slice(1));
      suffixes.push(pattern);
    } else {
      exact.add(pattern.endsWith('.') ? pattern.slice(0, -1) : pattern);
    }
  }
  return (rawHost: string) => {
    const domain = domainOf(rawHost);
    if (!domain) return false;
    if (exact.has(domain)) return true;
    for (const suffix of suffixes) if (domain.endsWith(suffix)) return true;
    return false;
  };
}

/**
 * Django's `SECURE_PROXY_SSL_HEADER` names a WSGI META key (`HTTP_X_FORWARDED_PROTO`); this is the HTTP header
 * it stands for (`x-forwarded-proto`).
 */
export function headerNameFromMeta(metaName: string): string {
  const name = metaName.trim().toUpperCase();
  const bare = name.startsWith('HTTP_') ? name.slice(5) : name;
  return bare.toLowerCase().replace(/_/g, '-');
}
