/**
 * Removes secrets from Sentry events before they leave the process: environment keys, tokens, passwords, cookies
 * and session ids, in headers, query strings, bodies and anywhere else their values were repeated (URLs, messages).
 * Pure functions over plain JSON-like data, so they work on errors and transactions alike.
 */

export const FILTERED = '[Filtered]';

/** Headers whose value is a credential. */
const SECRET_HEADERS = new Set([
  'x-environment-key',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-csrftoken',
  'x-csrf-token',
]);

/** Field, header and parameter names that hold credentials. */
const SECRET_NAME =
  /pass(word|wd)?|secret|token|api[-_]?key|^key$|_key$|auth|cookie|session|csrf|signature|credential|(^|_)otp($|_)|^code$/i;

/** `name=value` / `name: value` inside free text (query strings, messages, URLs). */
const SECRET_ASSIGNMENT =
  /((?:^|[?&;\s,{"'])[\w.-]*(?:pass(?:word|wd)?|secret|token|api[-_]?key|environment[-_]?key|auth[\w-]*|sessionid|session|csrftoken|signature|credential)["']?\s*[=:]\s*["']?)([^\s&"',;}]+)/gi;

/** Flagsmith server-side environment keys (`ser.…`) wherever they appear, e.g. in a path. */
const SERVER_KEY = /\bser\.[A-Za-z0-9_-]{6,}/g;

/** Values shorter than this are not searched for elsewhere (too likely to match innocent text). */
const MIN_SECRET_LENGTH = 6;

const MAX_DEPTH = 30;

type Json = unknown;

/** True when a header, field or query parameter of this name must not be sent. */
export function isSecretName(name: string): boolean {
  return SECRET_HEADERS.has(name.toLowerCase()) || SECRET_NAME.test(name);
}

/**
 * Scrubs an event (error or transaction) in place and returns it. Steps: filter secret request headers, cookies,
 * query parameters and body fields, remembering their values; then replace those values, `ser.` keys and
 * `password=…`-style assignments in every string of the event.
 */
export function scrubEvent<T extends object>(event: T): T {
  const secrets = new Set<string>();
  const record = event as Record<string, unknown>;
  const request = record.request;
  if (isObject(request)) scrubRequest(request, secrets);
  for (const key of ['extra', 'contexts', 'user', 'tags']) {
    if (isObject(record[key])) scrubFields(record[key], secrets, 0);
  }
  const breadcrumbs = record.breadcrumbs;
  if (Array.isArray(breadcrumbs)) {
    for (const crumb of breadcrumbs)
      if (isObject(crumb) && isObject(crumb.data)) scrubFields(crumb.data, secrets, 0);
  }
  const spans = record.spans;
  if (Array.isArray(spans)) {
    for (const span of spans) if (isObject(span) && isObject(span.data)) scrubFields(span.data, secrets, 0);
  }
  const patterns = [...secrets]
    .filter((s) => s.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  replaceStrings(record, (text) => scrubText(text, patterns), 0);
  return event;
}

function scrubRequest(request: Record<string, unknown>, secrets: Set<string>): void {
  if (isObject(request.headers)) {
    for (const [name, value] of Object.entries(request.headers)) {
      if (!isSecretName(name)) continue;
      rememberHeaderSecret(value, secrets);
      request.headers[name] = FILTERED;
    }
  }
  if (request.cookies !== undefined) {
    if (isObject(request.cookies)) {
      for (const value of Object.values(request.cookies)) remember(value, secrets);
    }
    request.cookies = FILTERED;
  }
  if (typeof request.query_string === 'string') {
    request.query_string = scrubQuery(request.query_string, secrets);
  } else if (isObject(request.query_string)) {
    scrubFields(request.query_string, secrets, 0);
  } else if (Array.isArray(request.query_string)) {
    for (const pair of request.query_string) {
      if (Array.isArray(pair) && typeof pair[0] === 'string' && isSecretName(pair[0])) {
        remember(pair[1], secrets);
        pair[1] = FILTERED;
      }
    }
  }
  if (typeof request.url === 'string') {
    const q = request.url.indexOf('?');
    if (q !== -1) request.url = request.url.slice(0, q + 1) + scrubQuery(request.url.slice(q + 1), secrets);
  }
  if (typeof request.data === 'string') {
    const text = request.data;
    try {
      const parsed: Json = JSON.parse(text);
      if (isObject(parsed) || Array.isArray(parsed)) {
        scrubFields(parsed, secrets, 0);
        request.data = JSON.stringify(parsed);
      }
    } catch {
      request.data = text.includes('=') ? scrubQuery(text, secrets) : text;
    }
  } else if (isObject(request.data) || Array.isArray(request.data)) {
    scrubFields(request.data, secrets, 0);
  }
}

function rememberHeaderSecret(value: unknown, secrets: Set<string>): void {
  const values = Array.isArray(value) ? value : [value];
  for (const v of values) {
    if (typeof v !== 'string') continue;
    secrets.add(v);
    // "Token abc", "Api-Key abc", "Bearer abc": the credential is the last word.
    const word = v.trim().split(/\s+/).pop();
    if (word) secrets.add(word);
    // Cookie: "a=1; sessionid=abc" — every cookie value is treated as secret.
    for (const part of v.split(/;\s*/)) {
      const eq = part.indexOf('=');
      if (eq !== -1) secrets.add(part.slice(eq + 1));
    }
  }
}

function remember(value: unknown, secrets: Set<string>): void {
  if (typeof value === 'string') secrets.add(value);
  else if (typeof value === 'number') secrets.add(String(value));
}

/** `a=1&token=x` → `a=1&token=[Filtered]`, remembering `x`. */
export function scrubQuery(query: string, secrets: Set<string> = new Set()): string {
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq === -1) return pair;
      let name = pair.slice(0, eq);
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // keep the raw name
      }
      if (!isSecretName(name)) return pair;
      const raw = pair.slice(eq + 1);
      secrets.add(raw);
      try {
        secrets.add(decodeURIComponent(raw.replace(/\+/g, ' ')));
      } catch {
        // raw only
      }
      return `${pair.slice(0, eq)}=${FILTERED}`;
    })
    .join('&');
}

/** Replaces the value of every secret-named field (any depth) with FILTERED, remembering the values. */
function scrubFields(value: Record<string, unknown> | unknown[], secrets: Set<string>, depth: number): void {
  if (depth > MAX_DEPTH) return;
  if (Array.isArray(value)) {
    for (const item of value)
      if (isObject(item) || Array.isArray(item)) scrubFields(item, secrets, depth + 1);
    return;
  }
  for (const [name, field] of Object.entries(value)) {
    if (isSecretName(name) && field !== null && field !== undefined && typeof field !== 'boolean') {
      if (isObject(field) || Array.isArray(field)) collectStrings(field, secrets, depth + 1);
      else remember(field, secrets);
      value[name] = FILTERED;
    } else if (isObject(field) || Array.isArray(field)) {
      scrubFields(field, secrets, depth + 1);
    }
  }
}

function collectStrings(value: unknown, secrets: Set<string>, depth: number): void {
  if (depth > MAX_DEPTH) return;
  if (typeof value === 'string') secrets.add(value);
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, secrets, depth + 1);
  else if (isObject(value)) for (const v of Object.values(value)) collectStrings(v, secrets, depth + 1);
}

/** Scrubs one piece of free text: known secret values, `ser.` keys and `name=value` assignments. */
export function scrubText(text: string, knownSecrets: readonly string[] = []): string {
  let out = text;
  for (const secret of knownSecrets) if (out.includes(secret)) out = out.split(secret).join(FILTERED);
  return out.replace(SERVER_KEY, FILTERED).replace(SECRET_ASSIGNMENT, `$1${FILTERED}`);
}

function replaceStrings(
  value: Record<string, unknown> | unknown[],
  fn: (s: string) => string,
  depth: number,
): void {
  if (depth > MAX_DEPTH) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'string') value[i] = fn(item);
      else if (isObject(item) || Array.isArray(item)) replaceStrings(item, fn, depth + 1);
    }
    return;
  }
  for (const key of Object.keys(value)) {
    // Internal SDK bookkeeping is never sent as is; leave it alone.
    if (key === 'sdkProcessingMetadata') continue;
    const item = value[key];
    if (typeof item === 'string') value[key] = fn(item);
    else if (isObject(item) || Array.isArray(item)) replaceStrings(item, fn, depth + 1);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
