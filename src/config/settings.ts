import { isIP } from 'node:net';
import {
  bool,
  ConfigError,
  float,
  ignored,
  int,
  list,
  oneOf,
  optionalBool,
  optionalInt,
  optionalStr,
  SettingSpec,
  str,
  throttleRate,
  url,
} from './setting-types';
import { compileTrustedOrigins } from './csrf-trusted-origins';
import { compileIpAllowlist } from './ip-allowlist';

/**
 * Cache backends: the short names, plus the Django class paths a Flagsmith deployment uses.
 * `none` disables the cache layer (Django's DummyCache).
 */
export const CACHE_BACKENDS = ['memory', 'memcached', 'none'] as const;
export type CacheBackend = (typeof CACHE_BACKENDS)[number];
const CACHE_BACKEND_ALIASES: Record<string, CacheBackend> = {
  'django.core.cache.backends.locmem.LocMemCache': 'memory',
  'django.core.cache.backends.memcached.PyMemcacheCache': 'memcached',
  'django.core.cache.backends.memcached.MemcachedCache': 'memcached',
  'django.core.cache.backends.memcached.PyLibMCCache': 'memcached',
  'django.core.cache.backends.dummy.DummyCache': 'none',
};

/** Flagsmith's TASK_RUN_METHOD values (task_processor.task_run_method). */
export const TASK_RUN_METHODS = ['SEPARATE_THREAD', 'SYNCHRONOUSLY', 'TASK_PROCESSOR'] as const;
export type TaskRunMethod = (typeof TASK_RUN_METHODS)[number];

export const EMAIL_BACKENDS = ['smtp', 'sendgrid', 'ses', 'console', 'none'] as const;
export type EmailBackend = (typeof EMAIL_BACKENDS)[number];

const cacheBackend = (defaultValue: CacheBackend, doc: string) =>
  oneOf(CACHE_BACKENDS, defaultValue, { doc, group: 'Caching', aliases: CACHE_BACKEND_ALIASES });

/** A setting whose parsed value must also pass `check` (which throws ConfigError). */
function checked<T>(spec: SettingSpec<T>, check: (value: T) => unknown): SettingSpec<T> {
  return {
    ...spec,
    parse(name, raw) {
      const value = spec.parse(name, raw);
      check(value);
      return value;
    },
  };
}

/** `address/prefix` with an IPv4 or IPv6 address (the SSRF guard of src/outbound reads the same form). */
function checkCidr(text: string): void {
  const [address, prefix, ...rest] = text.split('/');
  const version = isIP(address);
  const max = version === 4 ? 32 : 128;
  if (!version || rest.length || (prefix !== undefined && (!/^\d+$/.test(prefix) || Number(prefix) > max)))
    throw new ConfigError('WEBHOOK_ALLOWED_NETWORKS', `"${text}" is not a CIDR network`);
}

/**
 * Every environment variable the server reads, in the order the documentation lists them.
 * Names and defaults follow Flagsmith's deployment document (docs/contracts/deployment.md); additions of our own are marked in their doc text.
 */
export const SETTINGS = {
  // ---- Server
  PORT: int(8000, { doc: 'TCP port the HTTP server listens on', group: 'Server', min: 0, max: 65535 }),
  HOST: str('0.0.0.0', { doc: 'Address the HTTP server binds to', group: 'Server' }),
  ENVIRONMENT: str('local', {
    doc: 'Name of this deployment ("local", "dev", "staging", "production"); reported in telemetry and Sentry',
    group: 'Server',
  }),
  DJANGO_SECRET_KEY: optionalStr({
    doc: 'Secret used to sign sessions, OAuth state and reset tokens. Set the same value on every instance; a random one is generated (with a warning) when unset',
    group: 'Server',
  }),
  ENABLE_GZIP_COMPRESSION: bool(false, {
    doc: 'Gzip-compress HTTP responses when the client accepts it',
    group: 'Server',
  }),
  SHUTDOWN_GRACE_SECONDS: int(25, {
    doc: '(flagport) On SIGTERM, how long in-flight requests may take to finish before the process exits',
    group: 'Server',
    min: 0,
    max: 3600,
  }),

  // ---- Database
  DATABASE_URL: optionalStr({
    doc: 'PostgreSQL URL postgres://user:password@host:port/db_name; wins over DJANGO_DB_*. Unset everywhere = embedded PostgreSQL',
    group: 'Database',
  }),
  REPLICA_DATABASE_URLS: optionalStr({
    doc: 'Read replicas: database URLs separated by REPLICA_DATABASE_URLS_DELIMITER, or one per numbered variable REPLICA_DATABASE_URL_0, REPLICA_DATABASE_URL_1, … (these win when REPLICA_DATABASE_URL_0 is set); only reads that may be stale go to them (see the README)',
    group: 'Database',
  }),
  REPLICA_DATABASE_URLS_DELIMITER: str(',', {
    doc: 'Delimiter for REPLICA_DATABASE_URLS (useful when a password contains a comma)',
    group: 'Database',
  }),
  CROSS_REGION_REPLICA_DATABASE_URLS: optionalStr({
    doc: 'Read replicas in other regions, separated by CROSS_REGION_REPLICA_DATABASE_URLS_DELIMITER, or numbered CROSS_REGION_REPLICA_DATABASE_URL_0, _1, …; used only while every same-region replica fails',
    group: 'Database',
  }),
  CROSS_REGION_REPLICA_DATABASE_URLS_DELIMITER: str(',', {
    doc: 'Delimiter for CROSS_REGION_REPLICA_DATABASE_URLS',
    group: 'Database',
  }),
  REPLICA_READ_STRATEGY: oneOf(['DISTRIBUTED', 'SEQUENTIAL'] as const, 'DISTRIBUTED', {
    doc: 'How replica reads pick a replica: DISTRIBUTED spreads them at random over the healthy replicas, SEQUENTIAL uses the first healthy one in the order listed',
    group: 'Database',
  }),
  DJANGO_DB_HOST: optionalStr({ doc: 'Database host (ignored when DATABASE_URL is set)', group: 'Database' }),
  DJANGO_DB_NAME: optionalStr({ doc: 'Database name (ignored when DATABASE_URL is set)', group: 'Database' }),
  DJANGO_DB_USER: optionalStr({ doc: 'Database user (ignored when DATABASE_URL is set)', group: 'Database' }),
  DJANGO_DB_PASSWORD: optionalStr({
    doc: 'Database password (ignored when DATABASE_URL is set)',
    group: 'Database',
  }),
  DJANGO_DB_PORT: optionalInt({
    doc: 'Database port (ignored when DATABASE_URL is set; default 5432)',
    group: 'Database',
    min: 1,
    max: 65535,
  }),
  DB_POOL_SIZE: int(10, {
    doc: '(flagport) Maximum connections in the primary pool',
    group: 'Database',
    min: 1,
    max: 1000,
  }),
  REPLICA_DB_POOL_SIZE: int(10, {
    doc: '(flagport) Maximum connections in each replica pool',
    group: 'Database',
    min: 1,
    max: 1000,
  }),
  DB_CONNECT_TIMEOUT_MS: int(5000, {
    doc: '(flagport) Timeout for opening a database connection, in milliseconds',
    group: 'Database',
    min: 100,
    max: 600000,
  }),
  RUN_MIGRATIONS_ON_START: bool(true, {
    doc: '(flagport) Apply pending migrations at startup; turn off to run `npm run migrate` as a separate step',
    group: 'Database',
  }),
  EMBEDDED_POSTGRES_DATA_DIR: str('./.data/postgres', {
    doc: '(flagport) Data directory of the embedded PostgreSQL used when no database is configured',
    group: 'Database',
  }),
  EMBEDDED_POSTGRES_PORT: int(54329, {
    doc: '(flagport) Port of the embedded PostgreSQL (bound to 127.0.0.1)',
    group: 'Database',
    min: 1,
    max: 65535,
  }),
  POSTGRES_PASSWORD: ignored({ doc: 'Used by Flagsmith’s local docker database only' }),

  // ---- Logging
  LOG_LEVEL: oneOf(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const, 'INFO', {
    doc: 'Application log level; framework internals log at WARNING unless this is DEBUG (as Flagsmith does)',
    group: 'Logging',
    caseInsensitive: true,
  }),
  LOG_FORMAT: oneOf(['generic', 'json'] as const, 'generic', {
    doc: 'Log line format: generic (plain text) or json (one JSON object per line)',
    group: 'Logging',
  }),
  ACCESS_LOG_LOCATION: optionalStr({
    doc: 'Where to write the access log: "-" = stdout, otherwise a file path; unset = no access log',
    group: 'Logging',
  }),
  ACCESS_LOG_FORMAT: str(
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({origin}i)s %({access-control-allow-origin}o)s',
    {
      doc: 'Access log line format in gunicorn’s %(x)s notation (h, l, u, t, r, m, U, q, H, s, b, B, f, a, T, D, M, L, p, {header}i, {header}o)',
      group: 'Logging',
    },
  ),

  // ---- Security
  DJANGO_ALLOWED_HOSTS: list(['*'], {
    doc: 'Comma list of Host header values to serve ("*" = any, ".example.com" = domain and subdomains); other hosts get 400; /health/* is exempt so probes by pod IP work. Flagsmith’s own default is empty (refuse all); its docker-compose sets "*"',
    group: 'Security',
  }),
  DJANGO_CSRF_TRUSTED_ORIGINS: checked(
    list([], {
      doc: 'Comma list of origins, besides the server’s own (scheme + Host, or X-Forwarded-Host with USE_X_FORWARDED_HOST; https when SECURE_PROXY_SSL_HEADER_* says so), whose pages may send POST/PUT/PATCH/DELETE to /admin: scheme://host[:port], or scheme://*.example.com for a domain and its subdomains; other origins, and requests with neither Origin nor Referer, get 403',
      group: 'Security',
    }),
    compileTrustedOrigins,
  ),
  USE_X_FORWARDED_HOST: bool(false, {
    doc: 'Use X-Forwarded-Host instead of Host (only behind a proxy that sets it)',
    group: 'Security',
  }),
  SECURE_PROXY_SSL_HEADER_NAME: str('HTTP_X_FORWARDED_PROTO', {
    doc: 'Header (Django META spelling) whose value marks a request as HTTPS behind a proxy',
    group: 'Security',
  }),
  SECURE_PROXY_SSL_HEADER_VALUE: str('https', {
    doc: 'Value of SECURE_PROXY_SSL_HEADER_NAME that means HTTPS',
    group: 'Security',
  }),
  DJANGO_SECURE_SSL_REDIRECT: bool(false, {
    doc: 'Redirect plain-HTTP requests to HTTPS',
    group: 'Security',
  }),
  DJANGO_SECURE_REDIRECT_EXEMPT: list([], {
    doc: 'Comma list of path regexes (without leading slash) exempt from the HTTPS redirect',
    group: 'Security',
  }),
  DJANGO_SECURE_SSL_HOST: optionalStr({
    doc: 'Host the HTTPS redirect points to (unset = the request’s host)',
    group: 'Security',
  }),
  DJANGO_SECURE_REFERRER_POLICY: str('same-origin', {
    doc: 'Value of the Referrer-Policy response header',
    group: 'Security',
  }),
  DJANGO_SECURE_CROSS_ORIGIN_OPENER_POLICY: str('same-origin', {
    doc: 'Value of the Cross-Origin-Opener-Policy response header',
    group: 'Security',
  }),
  FLAGSMITH_CORS_EXTRA_ALLOW_HEADERS: list(['sentry-trace'], {
    doc: 'Comma list of extra request headers allowed in cross-origin requests',
    group: 'Security',
  }),
  TRUSTED_PROXIES: list([], {
    doc: '(flagport) Comma list of proxy addresses/CIDRs whose X-Forwarded-For is believed for the client address; empty = use the socket address',
    group: 'Security',
  }),
  ALLOWED_ADMIN_IP_ADDRESSES: checked(
    list([], {
      doc: 'Comma list of addresses or CIDR ranges allowed to reach /admin (everything else gets 403; the client address is the socket’s unless TRUSTED_PROXIES says which proxies’ X-Forwarded-For to believe); empty = any',
      group: 'Security',
    }),
    compileIpAllowlist,
  ),
  AXES_FAILURE_LIMIT: int(10, {
    doc: 'Failed logins before the account (and IP, see next) is locked',
    group: 'Security',
    min: 1,
    max: 1000000,
  }),
  AXES_ONLY_USER_FAILURES: bool(true, {
    doc: 'Lock only by user; false also locks the client IP after AXES_FAILURE_LIMIT failures',
    group: 'Security',
  }),
  AXES_COOLOFF_TIME: int(15, {
    doc: 'Minutes after the last failed login until a lockout ends by itself (failures older than this no longer count); 0 = locked until an admin unlocks (admin panel or `cli unlock-user`) or a password reset',
    group: 'Security',
    min: 0,
    max: 5256000,
  }),
  LOGIN_THROTTLE_RATE: throttleRate('20/min', {
    doc: 'Login attempts (POST /api/v1/auth/login/) allowed per client IP, DRF rate syntax <count>/<s|min|hour|day>; beyond it 429 with Retry-After',
    group: 'Security',
  }),
  MFA_CODE_THROTTLE_RATE: throttleRate('5/min', {
    doc: '(flagport) Second-factor codes (POST /api/v1/auth/login/code/) allowed per client IP, DRF rate syntax; Flagsmith fixes its mfa_code rate at 5/min in its settings file',
    group: 'Security',
  }),
  SIGNUP_THROTTLE_RATE: throttleRate('10000/min', {
    doc: 'Registrations (POST /api/v1/auth/users/) allowed per client IP, DRF rate syntax',
    group: 'Security',
  }),
  USER_THROTTLE_RATE: throttleRate(undefined, {
    doc: 'Management API requests allowed per signed-in user (token), DRF rate syntax; unset = no limit',
    group: 'Security',
  }),
  MASTER_API_KEY_THROTTLE_RATE: throttleRate(undefined, {
    doc: 'Management API requests allowed per organisation master API key, DRF rate syntax; unset = no limit',
    group: 'Security',
  }),
  MAX_PASSWORD_RESET_EMAILS: int(5, {
    doc: 'Password-reset emails sent per account within PASSWORD_RESET_EMAIL_COOLDOWN; further requests answer 204 as usual but send nothing',
    group: 'Security',
    min: 0,
    max: 1000000,
  }),
  PASSWORD_RESET_EMAIL_COOLDOWN: int(86400, {
    doc: 'Window, in seconds, in which MAX_PASSWORD_RESET_EMAILS are counted',
    group: 'Security',
    min: 1,
    max: 315360000,
  }),

  // ---- Accounts
  USER_CREATE_PERMISSIONS: list(['rest_framework.permissions.AllowAny'], {
    doc: 'Who may register: rest_framework.permissions.AllowAny, or djoser.permissions.CurrentUserOrAdmin / rest_framework.permissions.IsAdminUser to close public sign-up',
    group: 'Accounts',
  }),
  ALLOW_REGISTRATION_WITHOUT_INVITE: bool(true, {
    doc: 'Allow sign-up without an invite; false = invited users only',
    group: 'Accounts',
  }),
  PREVENT_SIGNUP: bool(false, { doc: 'Refuse every new registration', group: 'Accounts' }),
  ENABLE_EMAIL_ACTIVATION: bool(false, {
    doc: 'New accounts must be activated through an emailed link',
    group: 'Accounts',
  }),
  RESTRICT_ORG_CREATE_TO_SUPERUSERS: bool(false, {
    doc: 'Only superusers may create organisations',
    group: 'Accounts',
  }),
  DEFAULT_ORG_STORE_TRAITS_VALUE: bool(true, {
    doc: 'Whether new organisations persist identity traits by default',
    group: 'Accounts',
  }),
  SEGMENT_CONDITION_VALUE_LIMIT: int(1000, {
    doc: 'Maximum length of a segment condition value (sets the column size; choose before first start)',
    group: 'Accounts',
    min: 0,
    max: 2000000,
  }),
  FLAGSMITH_ON_FLAGSMITH_FEATURE_EXPORT_ENVIRONMENT_ID: optionalInt({
    doc: 'Environment whose flags /features/download-flagsmith-on-flagsmith/ serves (with the tag below; unset: 404)',
    group: 'Accounts',
    min: 1,
    max: 2147483647,
  }),
  FLAGSMITH_ON_FLAGSMITH_FEATURE_EXPORT_TAG_ID: optionalInt({
    doc: 'Tag of the features /features/download-flagsmith-on-flagsmith/ serves (with the environment above)',
    group: 'Accounts',
    min: 1,
    max: 2147483647,
  }),
  FLAGSMITH_DOMAIN: optionalStr({
    doc: 'Domain of the dashboard used in email links; overrides the site domain set at first run',
    group: 'Accounts',
  }),

  // ---- Email
  SENDER_EMAIL: str('noreply@flagsmith.com', { doc: 'From address of emails', group: 'Email' }),
  EMAIL_BACKEND: oneOf(EMAIL_BACKENDS, 'smtp', {
    doc: 'smtp | sendgrid | ses | console | none (or the Django class names); unset = sendgrid when SENDGRID_API_KEY is set, else smtp. Without email, invite links still work',
    group: 'Email',
    aliases: {
      'django.core.mail.backends.smtp.EmailBackend': 'smtp',
      'sgbackend.SendGridBackend': 'sendgrid',
      'django_ses.SESBackend': 'ses',
      'django.core.mail.backends.console.EmailBackend': 'console',
      'django.core.mail.backends.dummy.EmailBackend': 'none',
    },
  }),
  EMAIL_HOST: str('localhost', { doc: 'SMTP host', group: 'Email' }),
  EMAIL_HOST_USER: optionalStr({ doc: 'SMTP user', group: 'Email' }),
  EMAIL_HOST_PASSWORD: optionalStr({ doc: 'SMTP password', group: 'Email' }),
  EMAIL_PORT: int(587, { doc: 'SMTP port', group: 'Email', min: 1, max: 65535 }),
  EMAIL_USE_TLS: bool(true, { doc: 'Use STARTTLS with the SMTP server', group: 'Email' }),
  EMAIL_USE_SSL: bool(false, {
    doc: '(flagport) Use implicit TLS (SMTPS, usually port 465) with the SMTP server; wins over EMAIL_USE_TLS',
    group: 'Email',
  }),
  SENDGRID_API_KEY: optionalStr({ doc: 'SendGrid API key', group: 'Email' }),
  SENDGRID_API_URL: url('https://api.sendgrid.com', {
    doc: '(flagport) SendGrid API base URL',
    group: 'Email',
  }),
  AWS_SES_REGION_NAME: str('us-east-1', { doc: 'SES region', group: 'Email' }),
  AWS_SES_REGION_ENDPOINT: optionalStr({
    doc: 'SES endpoint host (e.g. email.eu-central-1.amazonaws.com) or URL',
    group: 'Email',
  }),
  AWS_ACCESS_KEY_ID: optionalStr({ doc: 'SES access key id', group: 'Email' }),
  AWS_SECRET_ACCESS_KEY: optionalStr({ doc: 'SES secret access key', group: 'Email' }),

  // ---- OAuth
  GITHUB_CLIENT_ID: optionalStr({ doc: 'GitHub OAuth app client id', group: 'OAuth' }),
  GITHUB_CLIENT_SECRET: optionalStr({ doc: 'GitHub OAuth app client secret', group: 'OAuth' }),
  GITHUB_OAUTH_BASE_URL: url('https://github.com/login/oauth', {
    doc: 'GitHub OAuth base URL (authorize, access_token); change for GitHub Enterprise',
    group: 'OAuth',
  }),
  GITHUB_API_BASE_URL: url('https://api.github.com', { doc: 'GitHub API base URL', group: 'OAuth' }),
  GOOGLE_CLIENT_ID: optionalStr({
    doc: '(flagport) Google OAuth client id for dashboard sign-in redirects (falls back to OAUTH_CLIENT_ID)',
    group: 'OAuth',
  }),
  GOOGLE_CLIENT_SECRET: optionalStr({
    doc: '(flagport) Google OAuth client secret for dashboard sign-in redirects (falls back to OAUTH_CLIENT_SECRET)',
    group: 'OAuth',
  }),
  GOOGLE_OAUTH_AUTHORIZATION_URL: url('https://accounts.google.com/o/oauth2/v2/auth', {
    doc: 'Google authorization endpoint',
    group: 'OAuth',
  }),
  GOOGLE_OAUTH_TOKEN_URL: url('https://oauth2.googleapis.com/token', {
    doc: 'Google token endpoint',
    group: 'OAuth',
  }),
  GOOGLE_USERINFO_URL: url('https://www.googleapis.com/oauth2/v3/userinfo', {
    doc: 'Google userinfo endpoint',
    group: 'OAuth',
  }),
  OAUTH_REDIRECT_URL: url(undefined, {
    doc: '(flagport) Frontend URL the OAuth redirect flows (GET /api/v1/auth/oauth/{github,google}/login/) return to with a one-time ?code= for POST /api/v1/auth/oauth/exchange/ (or ?error=&error_description=); unset = redirect flows off',
    group: 'OAuth',
  }),

  // ---- Admin panel
  OAUTH_CLIENT_ID: optionalStr({
    doc: 'Google OAuth client id for signing in to /admin',
    group: 'Admin panel',
  }),
  OAUTH_CLIENT_SECRET: optionalStr({
    doc: 'Google OAuth client secret for signing in to /admin',
    group: 'Admin panel',
  }),
  ENABLE_ADMIN_ACCESS_USER_PASS: optionalBool({
    doc: 'Allow email + password sign-in to /admin; unset = on unless Google sign-in (`OAUTH_CLIENT_ID` + `OAUTH_CLIENT_SECRET`) is configured',
    group: 'Admin panel',
  }),
  ADMIN_PANEL_ENABLED: bool(true, {
    doc: '(flagport) Serve the admin panel at /admin; the in-process test harness turns it off (AdminJS cannot load under Jest)',
    group: 'Admin panel',
  }),
  ADMIN_JS_TMP_DIR: str('./.adminjs', {
    doc: '(flagport) Writable folder for the admin panel’s component bundle',
    group: 'Admin panel',
  }),
  ALLOW_ADMIN_INITIATION_VIA_URL: bool(true, {
    doc: 'Allow GET /api/v1/users/init/ to create the first admin',
    group: 'Admin panel',
  }),

  // ---- Bootstrap
  ALLOW_ADMIN_INITIATION_VIA_CLI: bool(false, {
    doc: 'Let the `bootstrap` command create the first superuser, organisation and project',
    group: 'Bootstrap',
  }),
  ADMIN_EMAIL: str('admin@example.com', {
    doc: 'Email of the superuser created by `bootstrap`',
    group: 'Bootstrap',
  }),
  ORGANISATION_NAME: str('Default Organisation', {
    doc: 'Organisation created by `bootstrap`',
    group: 'Bootstrap',
  }),
  PROJECT_NAME: str('Default Project', { doc: 'Project created by `bootstrap`', group: 'Bootstrap' }),

  // ---- Caching
  ENVIRONMENT_CACHE_SECONDS: int(86400, {
    doc: 'Seconds an environment looked up by key stays cached (invalidated on change)',
    group: 'Caching',
    min: 0,
    max: 31536000,
  }),
  ENVIRONMENT_CACHE_BACKEND: cacheBackend(
    'memory',
    'Cache for environments: memory | memcached | none (or Django class names)',
  ),
  ENVIRONMENT_CACHE_LOCATION: str('environment-objects', {
    doc: 'memcached host:port list (comma separated) or a name for the in-memory cache',
    group: 'Caching',
  }),
  CACHE_FLAGS_SECONDS: int(0, {
    doc: 'Seconds the environment flags are cached',
    group: 'Caching',
    min: 0,
    max: 31536000,
  }),
  CACHE_PROJECT_SEGMENTS_SECONDS: int(0, {
    doc: 'Seconds a project’s segments are cached',
    group: 'Caching',
    min: 0,
    max: 31536000,
  }),
  GET_FLAGS_ENDPOINT_CACHE_SECONDS: int(0, {
    doc: 'Seconds GET /api/v1/flags/ responses are cached',
    group: 'Caching',
    min: 0,
    max: 31536000,
  }),
  GET_FLAGS_ENDPOINT_CACHE_BACKEND: cacheBackend('none', 'Cache for GET /flags/ responses'),
  GET_FLAGS_ENDPOINT_CACHE_LOCATION: str('get_flags_endpoint_cache', {
    doc: 'memcached host:port or cache name for GET /flags/',
    group: 'Caching',
  }),
  GET_IDENTITIES_ENDPOINT_CACHE_SECONDS: int(0, {
    doc: 'Seconds GET /api/v1/identities/ responses are cached',
    group: 'Caching',
    min: 0,
    max: 31536000,
  }),
  GET_IDENTITIES_ENDPOINT_CACHE_BACKEND: cacheBackend('none', 'Cache for GET /identities/ responses'),
  GET_IDENTITIES_ENDPOINT_CACHE_LOCATION: str('get_identities_endpoint_cache', {
    doc: 'memcached host:port or cache name for GET /identities/',
    group: 'Caching',
  }),

  // ---- Telemetry & monitoring
  ENABLE_TELEMETRY: bool(true, {
    doc: 'Report anonymous install counts at startup',
    group: 'Telemetry & monitoring',
  }),
  TELEMETRY_URL: url(undefined, {
    doc: '(flagport) Where telemetry is POSTed; unset = only logged at debug level',
    group: 'Telemetry & monitoring',
  }),
  SENTRY_SDK_DSN: optionalStr({ doc: 'Sentry DSN; unset = Sentry off', group: 'Telemetry & monitoring' }),
  SENTRY_TRACE_SAMPLE_RATE: float(1.0, {
    doc: 'Sentry trace sample rate (0…1)',
    group: 'Telemetry & monitoring',
    min: 0,
    max: 1,
  }),
  STATSD_HOST: optionalStr({ doc: 'StatsD host; unset = StatsD off', group: 'Telemetry & monitoring' }),
  STATSD_PORT: int(8125, { doc: 'StatsD port', group: 'Telemetry & monitoring', min: 1, max: 65535 }),
  STATSD_PREFIX: str('flagsmith.api', { doc: 'StatsD metric prefix', group: 'Telemetry & monitoring' }),
  PROMETHEUS_ENABLED: bool(true, {
    doc: '(flagport) Serve Prometheus metrics at /metrics (on by default here; upstream has it off)',
    group: 'Telemetry & monitoring',
  }),
  PROMETHEUS_PORT: optionalInt({
    doc: '(flagport) Serve /metrics on this separate port instead of the main one',
    group: 'Telemetry & monitoring',
    min: 1,
    max: 65535,
  }),

  // ---- Usage & analytics
  ENABLE_API_USAGE_TRACKING: bool(true, {
    doc: 'Count SDK requests per environment and day',
    group: 'Usage & analytics',
  }),
  INFLUXDB_URL: url(undefined, {
    doc: 'InfluxDB URL for API usage and flag analytics',
    group: 'Usage & analytics',
  }),
  INFLUXDB_TOKEN: optionalStr({ doc: 'InfluxDB write token', group: 'Usage & analytics' }),
  INFLUXDB_ORG: optionalStr({ doc: 'InfluxDB organisation', group: 'Usage & analytics' }),
  INFLUXDB_BUCKET: optionalStr({
    doc: 'InfluxDB bucket (needed with INFLUXDB_URL)',
    group: 'Usage & analytics',
  }),

  // ---- Realtime
  SSE_AUTHENTICATION_TOKEN: optionalStr({
    doc: 'Token accepted by POST /sse/environments/{key}/queue-change',
    group: 'Realtime',
  }),
  SSE_MAX_STREAM_SECONDS: int(0, {
    doc: '(flagport) Close SSE streams after this many seconds so clients reconnect (0 = never)',
    group: 'Realtime',
    min: 0,
    max: 86400,
  }),

  // ---- Task processor: the durable job queue (src/jobs) that delivers webhooks
  TASK_RUN_METHOD: oneOf(TASK_RUN_METHODS, 'SEPARATE_THREAD', {
    doc: 'Where queued jobs run. SEPARATE_THREAD (default) and SYNCHRONOUSLY: a worker inside each server process; TASK_PROCESSOR: only in `task-processor` processes. Unlike Flagsmith, every method is durable: jobs are rows of the same PostgreSQL, enqueued in the transaction of the write, never run inline in the request',
    group: 'Task processor',
  }),
  TASK_PROCESSOR_SLEEP_INTERVAL_MS: int(500, {
    doc: 'The shortest pause of an idle worker between two looks for due jobs. Workers are woken at once when any instance enqueues a job (NOTIFY) and when the next retry falls due, and look at least every 30 s',
    group: 'Task processor',
    min: 10,
    max: 60000,
  }),
  TASK_PROCESSOR_NUM_THREADS: int(5, {
    doc: 'Jobs one process runs at the same time',
    group: 'Task processor',
    min: 1,
    max: 100,
  }),
  TASK_PROCESSOR_RETRY_BASE_DELAY_MS: int(10000, {
    doc: "(flagport) Pause after a job's first failure; it doubles after each further failure (capped at one hour)",
    group: 'Task processor',
    min: 1,
    max: 3600000,
  }),
  TASK_PROCESSOR_JOB_TIMEOUT_MS: int(60000, {
    doc: '(flagport) A running job whose process has not finished it after this long (the process died) may be claimed by another worker',
    group: 'Task processor',
    min: 100,
    max: 86400000,
  }),
  TASK_DELETE_RETENTION_DAYS: int(15, {
    doc: 'Finished jobs are deleted after this many days',
    group: 'Task processor',
    min: 1,
    max: 3650,
  }),
  TASK_DELETE_INCLUDE_FAILED_TASKS: bool(false, {
    doc: 'Delete failed jobs after the retention period too (by default they are kept for inspection)',
    group: 'Task processor',
  }),

  WEBHOOK_DELIVERY_TIMEOUT_MS: int(10000, {
    doc: "(flagport) How long one webhook POST may take in all (connecting, sending, the receiver's answer) before it is a failed attempt, retried; Flagsmith's fixed 10 s by default. Must be below TASK_PROCESSOR_JOB_TIMEOUT_MS (checked at startup)",
    group: 'Task processor',
    min: 100,
    max: 120000,
  }),

  WEBHOOK_ALLOWED_NETWORKS: checked(
    list([], {
      doc: '(flagport) Comma-separated CIDR networks (e.g. 10.1.0.0/16,127.0.0.1/32) that webhooks and other tenant-aimed outbound calls may reach although internal. By default loopback, private, link-local, CGNAT, ULA and multicast addresses are refused',
      group: 'Security',
    }),
    (networks) => networks.forEach(checkCidr),
  ),

  // ---- Flagsmith's e2e hooks (its frontend Playwright suite): both needed for POST /api/v1/e2etests/teardown/
  ENABLE_FE_E2E: bool(false, {
    doc: 'Let POST /api/v1/e2etests/teardown/ delete and re-seed the e2e test users (never in production)',
    group: 'E2E tests',
  }),
  E2E_TEST_AUTH_TOKEN: optionalStr({
    doc: 'Token the teardown request must send in X-E2E-Test-Auth-Token (unset: the route refuses every request)',
    group: 'E2E tests',
  }),

  // ---- Accepted but ignored: Django/gunicorn/frontend-only settings of a Flagsmith deployment
  DJANGO_SETTINGS_MODULE: ignored({ doc: 'Django settings module; no meaning here' }),
  DEBUG: ignored({ doc: 'Django debug mode; errors never show details to clients here' }),
  GUNICORN_CMD_ARGS: ignored({ doc: 'Gunicorn arguments; use PORT/HOST instead' }),
  GUNICORN_WORKERS: ignored({ doc: 'Gunicorn worker count; run more replicas instead' }),
  GUNICORN_THREADS: ignored({ doc: 'Gunicorn thread count; Node serves requests concurrently' }),
  GUNICORN_TIMEOUT: ignored({ doc: 'Gunicorn worker timeout' }),
  GOOGLE_ANALYTICS_KEY: ignored({
    doc: 'Frontend Google Analytics key; the dashboard reads it, not the API',
  }),
  GOOGLE_SERVICE_ACCOUNT: ignored({ doc: 'Google Analytics usage import; not supported' }),
  GA_TABLE_ID: ignored({ doc: 'Google Analytics usage table; not supported' }),
  APPLICATION_INSIGHTS_CONNECTION_STRING: ignored({
    doc: 'Azure Application Insights; use Sentry or Prometheus',
  }),
  OPENCENSUS_SAMPLING_RATE: ignored({ doc: 'OpenCensus sampling rate' }),
  DISABLE_FLAGSMITH_UI: ignored({ doc: 'This server does not bundle the dashboard UI' }),
} satisfies Record<string, SettingSpec<unknown>>;

export type SettingName = keyof typeof SETTINGS;
type ParsedOf<S> = S extends SettingSpec<infer T> ? T : never;
/** The raw, validated settings, one property per environment variable. */
export type Settings = { readonly [K in SettingName]: ParsedOf<(typeof SETTINGS)[K]> };
