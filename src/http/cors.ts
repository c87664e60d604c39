/**
 * CORS as Flagsmith configures django-cors-headers: every origin is allowed (CORS_ORIGIN_ALLOW_ALL, no
 * credentials), preflights are answered directly with the allowed headers and methods.
 */

/** django-cors-headers' default allowed request headers. */
export const DEFAULT_CORS_HEADERS = [
  'accept',
  'accept-encoding',
  'authorization',
  'content-type',
  'dnt',
  'origin',
  'user-agent',
  'x-csrftoken',
  'x-requested-with',
];

/** Headers Flagsmith's SDKs and dashboard send. */
export const FLAGSMITH_CORS_HEADERS = [
  'x-environment-key',
  'x-e2e-test-auth-token',
  'flagsmith-application-name',
  'flagsmith-application-version',
  // flagsmith JS client ≥ 10 sends it on every request; without it cross-origin preflights fail.
  'flagsmith-sdk-user-agent',
  'x-api-key',
];

export const CORS_METHODS = 'DELETE, GET, OPTIONS, PATCH, POST, PUT';
/** django-cors-headers' CORS_PREFLIGHT_MAX_AGE. */
export const CORS_MAX_AGE_SECONDS = 86400;

export interface CorsHeaderValues {
  /** Headers of a preflight answer. */
  readonly preflight: Readonly<Record<string, string>>;
  readonly expose: string;
}

export function corsHeaders(extraAllowHeaders: readonly string[]): CorsHeaderValues {
  const allowed = [
    ...new Set(
      [...DEFAULT_CORS_HEADERS, ...FLAGSMITH_CORS_HEADERS, ...extraAllowHeaders]
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
  return {
    preflight: {
      'access-control-allow-origin': '*',
      'access-control-allow-headers': allowed.join(', '),
      'access-control-allow-methods': CORS_METHODS,
      'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
    },
    expose: 'Retry-After',
  };
}
