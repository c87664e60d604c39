import { loadConfig } from './app-config';
import { ConfigError } from './setting-types';
import { SETTINGS, SettingName } from './settings';

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

/** Defaults as Flagsmith's deployment document (docs/contracts/deployment.md) (or, where it names none, Flagsmith's code) states them. */
const DOCUMENTED_DEFAULTS: Partial<Record<SettingName, unknown>> = {
  PORT: 8000,
  ENVIRONMENT: 'local',
  LOG_LEVEL: 'INFO',
  LOG_FORMAT: 'generic',
  ACCESS_LOG_LOCATION: undefined,
  ACCESS_LOG_FORMAT:
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({origin}i)s %({access-control-allow-origin}o)s',
  ENABLE_GZIP_COMPRESSION: false,
  REPLICA_DATABASE_URLS_DELIMITER: ',',
  ALLOW_ADMIN_INITIATION_VIA_CLI: false,
  ADMIN_EMAIL: 'admin@example.com',
  ORGANISATION_NAME: 'Default Organisation',
  PROJECT_NAME: 'Default Project',
  USER_CREATE_PERMISSIONS: ['rest_framework.permissions.AllowAny'],
  ALLOW_REGISTRATION_WITHOUT_INVITE: true,
  ENABLE_EMAIL_ACTIVATION: false,
  SENTRY_TRACE_SAMPLE_RATE: 1.0,
  DEFAULT_ORG_STORE_TRAITS_VALUE: true,
  ENABLE_ADMIN_ACCESS_USER_PASS: undefined, // unset: on unless Google sign-in is configured (passwordSignInEnabled)
  USE_X_FORWARDED_HOST: false,
  SECURE_PROXY_SSL_HEADER_NAME: 'HTTP_X_FORWARDED_PROTO',
  SECURE_PROXY_SSL_HEADER_VALUE: 'https',
  DJANGO_SECURE_REDIRECT_EXEMPT: [],
  DJANGO_SECURE_REFERRER_POLICY: 'same-origin',
  DJANGO_SECURE_SSL_HOST: undefined,
  DJANGO_SECURE_SSL_REDIRECT: false,
  RESTRICT_ORG_CREATE_TO_SUPERUSERS: false,
  FLAGSMITH_CORS_EXTRA_ALLOW_HEADERS: ['sentry-trace'],
  SEGMENT_CONDITION_VALUE_LIMIT: 1000,
  ENABLE_API_USAGE_TRACKING: true,
  DJANGO_CSRF_TRUSTED_ORIGINS: [],
  AXES_ONLY_USER_FAILURES: true,
  AXES_FAILURE_LIMIT: 10,
  SENDER_EMAIL: 'noreply@flagsmith.com',
  EMAIL_BACKEND: 'smtp',
  EMAIL_HOST: 'localhost',
  EMAIL_PORT: 587,
  EMAIL_USE_TLS: true,
  AWS_SES_REGION_NAME: 'us-east-1',
  ENABLE_TELEMETRY: true,
  STATSD_PORT: 8125,
  STATSD_PREFIX: 'flagsmith.api',
  CACHE_FLAGS_SECONDS: 0,
  CACHE_PROJECT_SEGMENTS_SECONDS: 0,
  GET_FLAGS_ENDPOINT_CACHE_SECONDS: 0,
  GET_FLAGS_ENDPOINT_CACHE_BACKEND: 'none',
  GET_FLAGS_ENDPOINT_CACHE_LOCATION: 'get_flags_endpoint_cache',
  GET_IDENTITIES_ENDPOINT_CACHE_SECONDS: 0,
  GET_IDENTITIES_ENDPOINT_CACHE_BACKEND: 'none',
  GET_IDENTITIES_ENDPOINT_CACHE_LOCATION: 'get_identities_endpoint_cache',
  ENVIRONMENT_CACHE_SECONDS: 86400,
  ENVIRONMENT_CACHE_BACKEND: 'memory',
  ENVIRONMENT_CACHE_LOCATION: 'environment-objects',
  PROMETHEUS_ENABLED: true,
  ALLOW_ADMIN_INITIATION_VIA_URL: true,
};

describe('loadConfig', () => {
  it('with an empty environment every setting takes its documented default', () => {
    const config = loadConfig({});
    for (const [name, value] of Object.entries(DOCUMENTED_DEFAULTS)) {
      expect([name, config[name as SettingName]]).toEqual([name, value]);
    }
  });

  it('every default in the table parses back to the value the table uses (docs and behaviour agree)', () => {
    const config = loadConfig({});
    for (const [name, spec] of Object.entries(SETTINGS)) {
      if (spec.defaultText === undefined || spec.ignored) continue;
      const fromText = loadConfig({ [name]: spec.defaultText })[name as SettingName];
      expect([name, fromText]).toEqual([name, config[name as SettingName]]);
    }
  });

  it('with no database variables the embedded PostgreSQL is used', () => {
    expect(loadConfig({}).database.kind).toBe('embedded');
  });

  it('DATABASE_URL wins over DJANGO_DB_*', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u:p@db.example:5433/flags',
      DJANGO_DB_HOST: 'other',
      DJANGO_DB_NAME: 'otherdb',
    });
    expect(config.database).toMatchObject({ kind: 'external', primary: { label: 'db.example:5433/flags' } });
  });

  it('DJANGO_DB_* build a URL with percent-encoded credentials and port 5432 by default', () => {
    const config = loadConfig({
      DJANGO_DB_HOST: 'pg',
      DJANGO_DB_NAME: 'flagsmith',
      DJANGO_DB_USER: 'us er',
      DJANGO_DB_PASSWORD: 'p@ss:w/rd',
    });
    if (config.database.kind !== 'external') throw new Error('expected external');
    expect(config.database.primary.label).toBe('pg:5432/flagsmith');
    const url = new URL(config.database.primary.url);
    expect(decodeURIComponent(url.password)).toBe('p@ss:w/rd');
    expect(decodeURIComponent(url.username)).toBe('us er');
  });

  it('DJANGO_DB_NAME without DJANGO_DB_HOST names the missing variable', () => {
    expect(errorOf({ DJANGO_DB_NAME: 'x' }).variable).toBe('DJANGO_DB_HOST');
  });

  it('REPLICA_DATABASE_URLS splits on a custom delimiter, so passwords may contain commas', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u:p@primary/db',
      REPLICA_DATABASE_URLS: 'postgres://u:a,b@r1/db ; postgres://u:c@r2:6432/db',
      REPLICA_DATABASE_URLS_DELIMITER: ';',
    });
    if (config.database.kind !== 'external') throw new Error('expected external');
    expect(config.database.replicas.map((r) => r.label)).toEqual(['r1:5432/db', 'r2:6432/db']);
    expect(config.database.replicas[0].url).toBe('postgres://u:a,b@r1/db');
  });

  it('a bad replica URL names REPLICA_DATABASE_URLS and the entry', () => {
    const err = errorOf({
      DATABASE_URL: 'postgres://u:p@h/db',
      REPLICA_DATABASE_URLS: 'postgres://u:p@h/db,nope',
    });
    expect(err.variable).toBe('REPLICA_DATABASE_URLS');
    expect(err.problem).toContain('(entry 2)');
  });

  it('CROSS_REGION_REPLICA_DATABASE_URLS: marked cross-region, after the same-region replicas, own delimiter', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u:p@primary/db',
      CROSS_REGION_REPLICA_DATABASE_URLS: 'postgres://u:a,b@far1/db|postgres://u:c@far2/db',
      CROSS_REGION_REPLICA_DATABASE_URLS_DELIMITER: '|',
      REPLICA_DATABASE_URLS: 'postgres://u:p@near/db',
    });
    if (config.database.kind !== 'external') throw new Error('expected external');
    expect(config.database.replicas.map((r) => [r.label, r.crossRegion === true])).toEqual([
      ['near:5432/db', false],
      ['far1:5432/db', true],
      ['far2:5432/db', true],
    ]);
  });

  it('numbered REPLICA_DATABASE_URL_0, _1, … win over the list, read up to the first gap', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u:p@primary/db',
      REPLICA_DATABASE_URLS: 'postgres://u:p@ignored/db',
      REPLICA_DATABASE_URL_0: 'postgres://u:a,b@r0/db',
      REPLICA_DATABASE_URL_1: 'postgres://u:p@r1/db',
      REPLICA_DATABASE_URL_3: 'postgres://u:p@after-gap/db',
      CROSS_REGION_REPLICA_DATABASE_URL_0: 'postgres://u:p@far0/db',
    });
    if (config.database.kind !== 'external') throw new Error('expected external');
    expect(config.database.replicas.map((r) => [r.label, r.crossRegion === true])).toEqual([
      ['r0:5432/db', false],
      ['r1:5432/db', false],
      ['far0:5432/db', true],
    ]);
  });

  it('a bad numbered replica URL names its own variable', () => {
    expect(
      errorOf({
        DATABASE_URL: 'postgres://u:p@h/db',
        REPLICA_DATABASE_URL_0: 'postgres://u:p@h/db',
        REPLICA_DATABASE_URL_1: 'nope',
      }).variable,
    ).toBe('REPLICA_DATABASE_URL_1');
    expect(errorOf({ CROSS_REGION_REPLICA_DATABASE_URL_0: 'postgres://u:p@h/db' }).variable).toBe(
      'CROSS_REGION_REPLICA_DATABASE_URLS',
    );
  });

  it('REPLICA_READ_STRATEGY: DISTRIBUTED by default, SEQUENTIAL accepted, anything else names the variable', () => {
    expect(loadConfig({}).REPLICA_READ_STRATEGY).toBe('DISTRIBUTED');
    expect(loadConfig({ REPLICA_READ_STRATEGY: 'SEQUENTIAL' }).REPLICA_READ_STRATEGY).toBe('SEQUENTIAL');
    expect(errorOf({ REPLICA_READ_STRATEGY: 'ROUND_ROBIN' }).variable).toBe('REPLICA_READ_STRATEGY');
  });

  it('cross-region replicas without a primary are refused naming CROSS_REGION_REPLICA_DATABASE_URLS', () => {
    expect(errorOf({ CROSS_REGION_REPLICA_DATABASE_URLS: 'postgres://u:p@h/db' }).variable).toBe(
      'CROSS_REGION_REPLICA_DATABASE_URLS',
    );
  });

  it('replicas without a primary are refused', () => {
    expect(errorOf({ REPLICA_DATABASE_URLS: 'postgres://u:p@h/db' }).variable).toBe('REPLICA_DATABASE_URLS');
  });

  it.each([
    ['not a url', 'is not a valid database URL'],
    ['mysql://u:p@h/db', 'unsupported scheme "mysql"'],
    ['postgres://u:p@h/', 'has no database name'],
    ['postgres://u:p@h:99999/db', 'is not a valid database URL'],
  ])('malformed DATABASE_URL %s → error naming DATABASE_URL (%s) without the password', (raw, problem) => {
    const err = errorOf({ DATABASE_URL: raw });
    expect(err.variable).toBe('DATABASE_URL');
    expect(err.problem).toContain(problem);
    expect(err.message).not.toContain(':p@');
  });

  it.each<[Record<string, string>, string, string]>([
    [{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT', 'use one of: generic, json'],
    [{ LOG_LEVEL: 'LOUD' }, 'LOG_LEVEL', 'use one of: DEBUG, INFO, WARNING, ERROR, CRITICAL'],
    [
      { SEGMENT_CONDITION_VALUE_LIMIT: '-1' },
      'SEGMENT_CONDITION_VALUE_LIMIT',
      'must be an integer from 0 to 2000000',
    ],
    [{ SEGMENT_CONDITION_VALUE_LIMIT: '2000001' }, 'SEGMENT_CONDITION_VALUE_LIMIT', 'from 0 to 2000000'],
    [{ PORT: 'abc' }, 'PORT', 'is not an integer from 0 to 65535'],
    [
      { ENVIRONMENT_CACHE_BACKEND: 'redis' },
      'ENVIRONMENT_CACHE_BACKEND',
      'use one of: memory, memcached, none',
    ],
    [{ ENABLE_GZIP_COMPRESSION: 'sometimes' }, 'ENABLE_GZIP_COMPRESSION', 'is not a boolean'],
    [{ SENTRY_TRACE_SAMPLE_RATE: '2' }, 'SENTRY_TRACE_SAMPLE_RATE', 'from 0 to 1'],
    [
      { DJANGO_SECURE_REDIRECT_EXEMPT: '^ok/,(unclosed' },
      'DJANGO_SECURE_REDIRECT_EXEMPT',
      'not a valid regular expression',
    ],
    [
      { WEBHOOK_DELIVERY_TIMEOUT_MS: '5000', TASK_PROCESSOR_JOB_TIMEOUT_MS: '5000' },
      'WEBHOOK_DELIVERY_TIMEOUT_MS',
      'must be below TASK_PROCESSOR_JOB_TIMEOUT_MS (5000)',
    ],
    [
      { TASK_PROCESSOR_JOB_TIMEOUT_MS: '2000' },
      'WEBHOOK_DELIVERY_TIMEOUT_MS',
      '10000 must be below TASK_PROCESSOR_JOB_TIMEOUT_MS (2000)',
    ],
  ])('%j → ConfigError naming %s and what is allowed', (env, variable, allowed) => {
    const err = errorOf(env);
    expect(err.variable).toBe(variable);
    expect(err.message.startsWith(`${variable}: `)).toBe(true);
    expect(err.message).toContain(allowed);
  });

  it('cache backends accept Django class paths', () => {
    const config = loadConfig({
      ENVIRONMENT_CACHE_BACKEND: 'django.core.cache.backends.memcached.PyMemcacheCache',
      GET_FLAGS_ENDPOINT_CACHE_BACKEND: 'django.core.cache.backends.locmem.LocMemCache',
    });
    expect(config.ENVIRONMENT_CACHE_BACKEND).toBe('memcached');
    expect(config.GET_FLAGS_ENDPOINT_CACHE_BACKEND).toBe('memory');
  });

  it('EMAIL_BACKEND unset: sendgrid when SENDGRID_API_KEY is set (as Flagsmith), an explicit value always wins', () => {
    expect(loadConfig({ SENDGRID_API_KEY: 'SG.x' }).EMAIL_BACKEND).toBe('sendgrid');
    expect(
      loadConfig({ SENDGRID_API_KEY: 'SG.x', EMAIL_BACKEND: 'django_ses.SESBackend' }).EMAIL_BACKEND,
    ).toBe('ses');
  });

  it('DJANGO_SECRET_KEY unset → a random key, flagged as generated; set → used as is', () => {
    const a = loadConfig({});
    const b = loadConfig({});
    expect(a.secretKeyGenerated).toBe(true);
    expect(a.secretKey.length).toBeGreaterThanOrEqual(50);
    expect(a.secretKey).not.toBe(b.secretKey);
    const set = loadConfig({ DJANGO_SECRET_KEY: 'k'.repeat(60) });
    expect(set).toMatchObject({ secretKey: 'k'.repeat(60), secretKeyGenerated: false });
  });

  it('Django/gunicorn-only variables are accepted and reported as ignored', () => {
    const config = loadConfig({
      GUNICORN_WORKERS: '3',
      DJANGO_SETTINGS_MODULE: 'app.settings.production',
      PORT: '9000',
    });
    expect(config.ignoredVariablesSet).toEqual(['DJANGO_SETTINGS_MODULE', 'GUNICORN_WORKERS']);
    expect(config.PORT).toBe(9000);
  });
});

describe('WEBHOOK_ALLOWED_NETWORKS', () => {
  it('CIDRs and bare addresses of both families → the list as given', () => {
    expect(
      loadConfig({ WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32, fd00::/8,10.0.0.1' }).WEBHOOK_ALLOWED_NETWORKS,
    ).toEqual(['127.0.0.1/32', 'fd00::/8', '10.0.0.1']);
  });

  it.each(['localhost', '10.0.0.0/33', '::1/129', '10.0.0.0/8/8', '10.0.0.0/x'])(
    '%s → a ConfigError naming it',
    (bad) => {
      const err = errorOf({ WEBHOOK_ALLOWED_NETWORKS: bad });
      expect(err.message).toContain('WEBHOOK_ALLOWED_NETWORKS');
      expect(err.message).toContain('not a CIDR network');
    },
  );
});
