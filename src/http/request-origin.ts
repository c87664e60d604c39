import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';
import type { AppConfig } from '../config';
import { headerNameFromMeta } from './allowed-hosts';

/** The parts of a Fastify request these readers look at. */
export interface RequestLike {
  readonly headers: IncomingHttpHeaders;
  readonly raw: IncomingMessage;
}

/**
 * Django's `request.get_host()`: X-Forwarded-Host (its first value) when USE_X_FORWARDED_HOST is on and the header
 * is present, else Host. Used by the allowed-hosts check, the HTTPS redirect and the admin panel's CSRF check.
 */
export function requestHostReader(
  config: Pick<AppConfig, 'USE_X_FORWARDED_HOST'>,
): (request: RequestLike) => string {
  const useForwardedHost = config.USE_X_FORWARDED_HOST;
  return (request) => {
    if (useForwardedHost) {
      const forwarded = request.headers['x-forwarded-host'];
      if (typeof forwarded === 'string' && forwarded) return forwarded.split(',')[0].trim();
    }
    return request.headers.host ?? '';
  };
}

/**
 * Django's `request.is_secure()`: a TLS socket, or SECURE_PROXY_SSL_HEADER_NAME (its first value) equal to
 * SECURE_PROXY_SSL_HEADER_VALUE.
 */
export function secureRequestTest(
  config: Pick<AppConfig, 'SECURE_PROXY_SSL_HEADER_NAME' | 'SECURE_PROXY_SSL_HEADER_VALUE'>,
): (request: RequestLike) => boolean {
  const proxySslHeader = headerNameFromMeta(config.SECURE_PROXY_SSL_HEADER_NAME);
  const proxySslValue = config.SECURE_PROXY_SSL_HEADER_VALUE;
  return (request) => {
    if (request.raw.socket instanceof TLSSocket) return true;
    const value = request.headers[proxySslHeader];
    if (typeof value !== 'string') return false;
    const comma = value.indexOf(',');
    return (comma === -1 ? value : value.slice(0, comma)).trim() === proxySslValue;
  };
}
