/**
 * Parsers for environment variables. Each parser turns the raw string into a typed value or throws
 * a ConfigError naming the variable and what is allowed, so that startup can fail with one clear line.
 */

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export interface SettingSpec<T> {
  /** One-line explanation, used for .env.example and the README table. */
  readonly doc: string;
  /** The default as written in the documentation (undefined = unset). */
  readonly defaultText: string | undefined;
  /** Documentation grouping. */
  readonly group: SettingGroup;
  /** True for variables accepted for compatibility that have no effect here (Django/gunicorn-only). */
  readonly ignored: boolean;
  parse(name: string, raw: string | undefined): T;
}

export type SettingGroup =
  | 'Server'
  | 'Database'
  | 'Logging'
  | 'Security'
  | 'Accounts'
  | 'Email'
  | 'OAuth'
  | 'Caching'
  | 'Admin panel'
  | 'Bootstrap'
  | 'Telemetry & monitoring'
  | 'Usage & analytics'
  | 'Realtime'
  | 'Task processor'
  | 'E2E tests'
  | 'Compatibility (ignored)';

interface Common {
  doc: string;
  group: SettingGroup;
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'y', 'on', 't']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'n', 'off', 'f', '']);

function isUnset(raw: string | undefined): raw is undefined {
  return raw === undefined || raw.trim() === '';
}

function parseBool(name: string, raw: string): boolean {
  const word = raw.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new ConfigError(name, `"${raw}" is not a boolean (use true/false, 1/0, yes/no, on/off)`);
}

export function bool(defaultValue: boolean, c: Common): SettingSpec<boolean> {
  return {
    ...c,
    ignored: false,
    defaultText: defaultValue ? 'true' : 'false',
    parse(name, raw) {
      return isUnset(raw) ? defaultValue : parseBool(name, raw);
    },
  };
}

/** A boolean whose absence means something of its own (the reader decides, e.g. from other settings). */
export function optionalBool(c: Common): SettingSpec<boolean | undefined> {
  return {
    ...c,
    ignored: false,
    defaultText: undefined,
    parse(name, raw) {
      return isUnset(raw) ? undefined : parseBool(name, raw);
    },
  };
}

export function int(defaultValue: number, c: Common & { min?: number; max?: number }): SettingSpec<number> {
  return {
    doc: c.doc,
    group: c.group,
    ignored: false,
    defaultText: String(defaultValue),
    parse(name, raw) {
      if (isUnset(raw)) return defaultValue;
      return parseIntStrict(name, raw, c.min, c.max);
    },
  };
}

export function optionalInt(c: Common & { min?: number; max?: number }): SettingSpec<number | undefined> {
  return {
    doc: c.doc,
    group: c.group,
    ignored: false,
    defaultText: undefined,
    parse(name, raw) {
      if (isUnset(raw)) return undefined;
      return parseIntStrict(name, raw, c.min, c.max);
    },
  };
}

function rangeText(min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return `an integer from ${min} to ${max}`;
  if (min !== undefined) return `an integer ≥ ${min}`;
  if (max !== undefined) return `an integer ≤ ${max}`;
  return 'an integer';
}

function parseIntStrict(name: string, raw: string, min?: number, max?: number): number {
  const text = raw.trim();
  if (!/^[-+]?\d+$/.test(text)) throw new ConfigError(name, `"${raw}" is not ${rangeText(min, max)}`);
  const value = Number(text);
  if (
    (min !== undefined && value < min) ||
    (max !== undefined && value > max) ||
    !Number.isSafeInteger(value)
  ) {
    throw new ConfigError(name, `${value} is out of range: must be ${rangeText(min, max)}`);
  }
  return value;
}

export function float(defaultValue: number, c: Common & { min?: number; max?: number }): SettingSpec<number> {
  return {
    doc: c.doc,
    group: c.group,
    ignored: false,
    defaultText: String(defaultValue),
    parse(name, raw) {
      if (isUnset(raw)) return defaultValue;
      const value = Number(raw.trim());
      const range =
        c.min !== undefined && c.max !== undefined
          ? ` from ${c.min} to ${c.max}`
          : c.min !== undefined
            ? ` ≥ ${c.min}`
            : '';
      if (!Number.isFinite(value)) throw new ConfigError(name, `"${raw}" is not a number${range}`);
      if ((c.min !== undefined && value < c.min) || (c.max !== undefined && value > c.max)) {
        throw new ConfigError(name, `${value} is out of range: must be a number${range}`);
      }
      return value;
    },
  };
}

export function str(defaultValue: string, c: Common): SettingSpec<string> {
  return {
    ...c,
    ignored: false,
    defaultText: defaultValue,
    parse(_name, raw) {
      return isUnset(raw) ? defaultValue : raw;
    },
  };
}

export function optionalStr(c: Common): SettingSpec<string | undefined> {
  return {
    ...c,
    ignored: false,
    defaultText: undefined,
    parse(_name, raw) {
      return isUnset(raw) ? undefined : raw;
    },
  };
}

/** A value from a closed set; `aliases` maps accepted spellings (e.g. Django class paths) to a canonical value. */
export function oneOf<T extends string>(
  allowed: readonly T[],
  defaultValue: T,
  c: Common & { aliases?: Record<string, T>; caseInsensitive?: boolean },
): SettingSpec<T> {
  return {
    doc: c.doc,
    group: c.group,
    ignored: false,
    defaultText: defaultValue,
    parse(name, raw) {
      if (isUnset(raw)) return defaultValue;
      const text = raw.trim();
      const key = c.caseInsensitive ? text.toLowerCase() : text;
      const direct = allowed.find((a) => (c.caseInsensitive ? a.toLowerCase() : a) === key);
      if (direct) return direct;
      const alias = c.aliases?.[text];
      if (alias) return alias;
      const accepted = [...allowed, ...Object.keys(c.aliases ?? {})].join(', ');
      throw new ConfigError(name, `"${raw}" is not allowed; use one of: ${accepted}`);
    },
  };
}

/** A delimited list; empty items are dropped. */
export function list(defaultValue: string[], c: Common & { delimiter?: string }): SettingSpec<string[]> {
  const delimiter = c.delimiter ?? ',';
  return {
    doc: c.doc,
    group: c.group,
    ignored: false,
    defaultText: defaultValue.join(delimiter),
    parse(_name, raw) {
      if (raw === undefined) return [...defaultValue];
      return splitList(raw, delimiter);
    },
  };
}

export function splitList(raw: string, delimiter: string): string[] {
  return raw
    .split(delimiter)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** An absolute http(s) URL. */
export function url(defaultValue: string | undefined, c: Common): SettingSpec<string | undefined> {
  return {
    ...c,
    ignored: false,
    defaultText: defaultValue,
    parse(name, raw) {
      if (isUnset(raw)) return defaultValue;
      let parsed: URL;
      try {
        parsed = new URL(raw.trim());
      } catch {
        throw new ConfigError(name, `"${raw}" is not a URL (expected http://host[:port]/path or https://…)`);
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
        throw new ConfigError(name, `"${raw}" must use http or https`);
      }
      return raw.trim();
    },
  };
}

/** Accepted for compatibility with a Flagsmith deployment, but has no effect on this server. */
export function ignored(c: { doc: string }): SettingSpec<string | undefined> {
  return {
    doc: c.doc,
    group: 'Compatibility (ignored)',
    ignored: true,
    defaultText: undefined,
    parse(_name, raw) {
      return isUnset(raw) ? undefined : raw;
    },
  };
}

/** A DRF throttle rate "N/period": N requests per second, minute, hour or day. */
export interface ThrottleRate {
  readonly requests: number;
  readonly seconds: number;
  /** As written, e.g. "20/min". */
  readonly text: string;
}

const RATE_PERIODS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * DRF's SimpleRateThrottle.parse_rate: "<count>/<period>", where only the period's first letter counts
 * (s, m, h, d: "20/min", "100/hour", "5/second", "1000/day"). Unset (or `defaultValue` undefined) = no throttle.
 */
export function throttleRate(
  defaultValue: string | undefined,
  c: Common,
): SettingSpec<ThrottleRate | undefined> {
  const parse = (name: string, text: string): ThrottleRate => {
    const match = /^\s*(\d+)\s*\/\s*([a-zA-Z]+)\s*$/.exec(text);
    const seconds = match ? RATE_PERIODS[match[2][0].toLowerCase()] : undefined;
    if (!match || seconds === undefined || Number(match[1]) < 1 || !Number.isSafeInteger(Number(match[1])))
      throw new ConfigError(
        name,
        `"${text}" is not a throttle rate (use <count>/<period> with a count ≥ 1 and a period of s, min, hour or day, e.g. 20/min)`,
      );
    return { requests: Number(match[1]), seconds, text: text.trim() };
  };
  return {
    doc: c.doc,
    group: c.group,
    ignored: false,
    defaultText: defaultValue,
    parse(name, raw) {
      if (isUnset(raw)) return defaultValue === undefined ? undefined : parse(name, defaultValue);
      return parse(name, raw);
    },
  };
}
