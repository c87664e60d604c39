import { randomBytes } from 'node:crypto';
import { ConfigError, splitList } from './setting-types';
import { SETTINGS, SettingName, Settings } from './settings';

/** A PostgreSQL server to connect to, always as a URL (credentials percent-encoded). */
export interface PostgresTarget {
  readonly url: string;
  /** host:port/db without credentials, safe to log. */
  readonly label: string;
  /** A CROSS_REGION_REPLICA_DATABASE_URLS replica: used only while every same-region replica fails. */
  readonly crossRegion?: boolean;
}

export type DatabaseConfig =
  | {
      readonly kind: 'external';
      readonly primary: PostgresTarget;
      readonly replicas: readonly PostgresTarget[];
      /** The setting the primary comes from, named in connection errors. */
      readonly primarySetting: 'DATABASE_URL' | 'DJANGO_DB_HOST/DJANGO_DB_*';
    }
  | { readonly kind: 'embedded'; readonly dataDir: string; readonly port: number };

export interface AppConfig extends Settings {
  readonly database: DatabaseConfig;
  /** DJANGO_SECRET_KEY, or a random key generated for this process. */
  readonly secretKey: string;
  readonly secretKeyGenerated: boolean;
  /** Names of variables that are set but have no effect on this server. */
  readonly ignoredVariablesSet: readonly string[];
}

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Builds the typed configuration from an environment. This (with `readEnvironment`) is the only
 * place that looks at environment variables; everything else receives an AppConfig.
 * Throws ConfigError naming the first bad variable.
 */
export function loadConfig(env: Environment): AppConfig {
  const settings = {} as Record<SettingName, unknown>;
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    settings[name] = SETTINGS[name].parse(name, env[name]);
  }
  // Flagsmith: with no EMAIL_BACKEND, SendGrid is used when SENDGRID_API_KEY is set, SMTP otherwise.
  if (isBlank(env.EMAIL_BACKEND) && settings.SENDGRID_API_KEY !== undefined)
    settings.EMAIL_BACKEND = 'sendgrid';
  const parsed = settings as Settings;
  checkRedirectExempt(parsed.DJANGO_SECURE_REDIRECT_EXEMPT);
  checkDeliveryWithinLease(parsed);

  const ignoredVariablesSet = (Object.keys(SETTINGS) as SettingName[]).filter(
    (name) => SETTINGS[name].ignored && parsed[name] !== undefined,
  );

  return {
    ...parsed,
    database: databaseConfig(parsed, env),
    secretKey: parsed.DJANGO_SECRET_KEY ?? randomBytes(48).toString('base64url'),
    secretKeyGenerated: parsed.DJANGO_SECRET_KEY === undefined,
    ignoredVariablesSet,
  };
}

function isBlank(raw: string | undefined): boolean {
  return raw === undefined || raw.trim() === '';
}

/** Each DJANGO_SECURE_REDIRECT_EXEMPT entry is a regular expression; a broken one is a configuration error. */
function checkRedirectExempt(patterns: readonly string[]): void {
  for (const pattern of patterns) {
    try {
      new RegExp(pattern);
    } catch {
      throw new ConfigError(
        'DJANGO_SECURE_REDIRECT_EXEMPT',
        `"${pattern}" is not a valid regular expression (entries are path regexes without the leading slash, e.g. ^api/v1/flags/)`,
      );
    }
  }
}

/**
 * A webhook POST must end before its job's lease does: a delivery still running when the lease ends is claimed by
 * another worker and sent a second time.
 */
function checkDeliveryWithinLease(s: Settings): void {
  if (s.WEBHOOK_DELIVERY_TIMEOUT_MS >= s.TASK_PROCESSOR_JOB_TIMEOUT_MS)
    throw new ConfigError(
      'WEBHOOK_DELIVERY_TIMEOUT_MS',
      `${s.WEBHOOK_DELIVERY_TIMEOUT_MS} must be below TASK_PROCESSOR_JOB_TIMEOUT_MS (${s.TASK_PROCESSOR_JOB_TIMEOUT_MS}): a delivery still running when its job's lease ends would be sent again by another worker`,
    );
}

/**
 * A replica list from `<PREFIX>S` split on its delimiter, or, as Flagsmith does, from the numbered variables
 * `<PREFIX>_0`, `<PREFIX>_1`, … (read up to the first one missing), which win when `<PREFIX>_0` is set.
 */
function replicaList(
  env: Environment,
  listName: string,
  list: string | undefined,
  delimiter: string,
  crossRegion: boolean,
): PostgresTarget[] {
  const numberedPrefix = listName.replace(/S$/, '_');
  const target = (variable: string, raw: string, where: string): PostgresTarget => ({
    ...postgresTargetFromUrl(variable, raw, where),
    ...(crossRegion ? { crossRegion: true } : {}),
  });
  if (!isBlank(env[`${numberedPrefix}0`])) {
    const targets: PostgresTarget[] = [];
    for (let i = 0; !isBlank(env[`${numberedPrefix}${i}`]); i++)
      targets.push(target(`${numberedPrefix}${i}`, env[`${numberedPrefix}${i}`]!, ''));
    return targets;
  }
  return list
    ? splitList(list, delimiter).map((raw, index) => target(listName, raw, ` (entry ${index + 1})`))
    : [];
}

function databaseConfig(s: Settings, env: Environment): DatabaseConfig {
  const replicas = [
    ...replicaList(
      env,
      'REPLICA_DATABASE_URLS',
      s.REPLICA_DATABASE_URLS,
      s.REPLICA_DATABASE_URLS_DELIMITER,
      false,
    ),
    ...replicaList(
      env,
      'CROSS_REGION_REPLICA_DATABASE_URLS',
      s.CROSS_REGION_REPLICA_DATABASE_URLS,
      s.CROSS_REGION_REPLICA_DATABASE_URLS_DELIMITER,
      true,
    ),
  ];

  if (s.DATABASE_URL) {
    return {
      kind: 'external',
      primary: postgresTargetFromUrl('DATABASE_URL', s.DATABASE_URL, ''),
      replicas,
      primarySetting: 'DATABASE_URL',
    };
  }
  if (s.DJANGO_DB_HOST || s.DJANGO_DB_NAME) {
    if (!s.DJANGO_DB_HOST) throw new ConfigError('DJANGO_DB_HOST', 'is required when DJANGO_DB_NAME is set');
    if (!s.DJANGO_DB_NAME) throw new ConfigError('DJANGO_DB_NAME', 'is required when DJANGO_DB_HOST is set');
    const target = new URL('postgres://placeholder/');
    target.hostname = s.DJANGO_DB_HOST.includes(':') ? `[${s.DJANGO_DB_HOST}]` : s.DJANGO_DB_HOST;
    target.port = String(s.DJANGO_DB_PORT ?? 5432);
    target.pathname = `/${encodeURIComponent(s.DJANGO_DB_NAME)}`;
    if (s.DJANGO_DB_USER) target.username = encodeURIComponent(s.DJANGO_DB_USER);
    if (s.DJANGO_DB_PASSWORD) target.password = encodeURIComponent(s.DJANGO_DB_PASSWORD);
    return {
      kind: 'external',
      primary: postgresTargetFromUrl('DJANGO_DB_HOST', target.toString(), ''),
      replicas,
      primarySetting: 'DJANGO_DB_HOST/DJANGO_DB_*',
    };
  }
  if (replicas.length > 0) {
    throw new ConfigError(
      replicas[0].crossRegion ? 'CROSS_REGION_REPLICA_DATABASE_URLS' : 'REPLICA_DATABASE_URLS',
      'replicas need a primary: set DATABASE_URL (or DJANGO_DB_HOST/DJANGO_DB_NAME) as well',
    );
  }
  return { kind: 'embedded', dataDir: s.EMBEDDED_POSTGRES_DATA_DIR, port: s.EMBEDDED_POSTGRES_PORT };
}

/** Validates a postgres:// URL; the message never repeats the password. */
export function postgresTargetFromUrl(variable: string, raw: string, where: string): PostgresTarget {
  const expected = 'expected postgres://user:password@host:port/db_name';
  let parsed: URL;
  try {
    parsed = new URL(raw.trim());
  } catch {
    throw new ConfigError(variable, `is not a valid database URL${where}; ${expected}`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError(
      variable,
      `unsupported scheme "${parsed.protocol.replace(/:$/, '')}"${where}; only PostgreSQL is supported (${expected})`,
    );
  }
  if (!parsed.hostname) throw new ConfigError(variable, `has no host${where}; ${expected}`);
  const db = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!db || db.includes('/')) throw new ConfigError(variable, `has no database name${where}; ${expected}`);
  if (parsed.port && (Number(parsed.port) < 1 || Number(parsed.port) > 65535)) {
    throw new ConfigError(variable, `has an invalid port${where}; ${expected}`);
  }
  return { url: raw.trim(), label: `${parsed.hostname}:${parsed.port || '5432'}/${db}` };
}
