import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';
import pino from 'pino';

/** What one access-log line is built from; filled by the onResponse hook. */
export interface AccessRecord {
  readonly remoteAddress: string;
  readonly method: string;
  /** The request target as received: path plus query string. */
  readonly url: string;
  readonly httpVersion: string;
  readonly status: number;
  /** Response body size, when known. */
  readonly bytes: number | undefined;
  readonly durationMs: number;
  readonly requestHeaders: Readonly<Record<string, string | string[] | undefined>>;
  responseHeader(name: string): unknown;
  /** Seconds since the epoch at which the response finished. */
  readonly nowMs: number;
}

type Atom = (r: AccessRecord) => string;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

let cachedSecond = -1;
let cachedStamp = '';
/** `[26/Nov/2026:08:56:30 +0000]` (UTC); computed once per second. */
export function clfTime(nowMs: number): string {
  const second = Math.floor(nowMs / 1000);
  if (second !== cachedSecond) {
    const d = new Date(second * 1000);
    cachedStamp =
      `[${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
      `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000]`;
    cachedSecond = second;
  }
  return cachedStamp;
}

const pathOf = (url: string) => {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
};
const queryOf = (url: string) => {
  const q = url.indexOf('?');
  return q === -1 ? '' : url.slice(q + 1);
};
const headerText = (value: unknown): string => {
  if (value === undefined || value === null || value === '') return '-';
  if (Array.isArray(value)) return value.join(', ');
  return typeof value === 'string' ? value : `${value as number}`;
};

/** gunicorn's atoms (https://docs.gunicorn.org/en/stable/settings.html#access-log-format). */
const ATOMS: Record<string, Atom> = {
  h: (r) => r.remoteAddress || '-',
  l: () => '-',
  u: () => '-',
  t: (r) => clfTime(r.nowMs),
  r: (r) => `${r.method} ${r.url} HTTP/${r.httpVersion}`,
  m: (r) => r.method,
  U: (r) => pathOf(r.url),
  q: (r) => queryOf(r.url),
  H: (r) => `HTTP/${r.httpVersion}`,
  s: (r) => String(r.status),
  b: (r) => (r.bytes === undefined ? '-' : String(r.bytes)),
  B: (r) => String(r.bytes ?? 0),
  f: (r) => headerText(r.requestHeaders.referer),
  a: (r) => headerText(r.requestHeaders['user-agent']),
  T: (r) => String(Math.floor(r.durationMs / 1000)),
  D: (r) => String(Math.round(r.durationMs * 1000)),
  M: (r) => String(Math.round(r.durationMs)),
  L: (r) => (r.durationMs / 1000).toFixed(6),
  p: () => `<${process.pid}>`,
};

/** gunicorn escapes double quotes inside atom values so that quoted fields stay parseable. */
const escapeQuotes = (text: string) => (text.includes('"') ? text.replace(/"/g, '\\"') : text);

function atomFor(name: string): Atom {
  const header = /^\{(.+)\}([ioe])$/.exec(name);
  if (header) {
    const key = header[1].toLowerCase();
    if (header[2] === 'i') return (r) => headerText(r.requestHeaders[key]);
    if (header[2] === 'o') return (r) => headerText(r.responseHeader(key));
    return () => '-'; // {name}e: WSGI environ variables do not exist here
  }
  return ATOMS[name] ?? (() => '-'); // gunicorn prints '-' for unknown atoms
}

/** Compiles an ACCESS_LOG_FORMAT string once into a function that renders one line. */
export function compileAccessLogFormat(format: string): (record: AccessRecord) => string {
  const parts: (string | Atom)[] = [];
  const pattern = /%\(([^)]*)\)s|%%/g;
  let last = 0;
  for (let m = pattern.exec(format); m !== null; m = pattern.exec(format)) {
    if (m.index > last) parts.push(format.slice(last, m.index));
    parts.push(m[0] === '%%' ? '%' : atomFor(m[1]));
    last = m.index + m[0].length;
  }
  if (last < format.length) parts.push(format.slice(last));
  return (record) => {
    let line = '';
    for (const part of parts) line += typeof part === 'string' ? part : escapeQuotes(part(record));
    return line;
  };
}

/** The same request as the JSON record Flagsmith writes for gunicorn's access log when LOG_FORMAT=json. */
export function accessJsonRecord(line: string, r: AccessRecord, requestId: string): string {
  return JSON.stringify({
    level: 'info',
    time: new Date(r.nowMs).toISOString(),
    context: 'gunicorn.access',
    msg: line,
    request_id: requestId,
    method: r.method,
    path: r.url,
    status: String(r.status),
    remote_ip: r.remoteAddress,
    user_agent: headerText(r.requestHeaders['user-agent']),
    duration_in_ms: Math.round(r.durationMs),
    response_size_in_bytes: r.bytes ?? 0,
  });
}

export interface AccessLogSink {
  write(line: string): void;
  close(): void;
}

/** `-` = stdout, anything else = a file path (appended to; its folder is created). Writes are buffered. */
export function openAccessLog(location: string): AccessLogSink {
  if (location !== '-') mkdirSync(dirname(location), { recursive: true });
  const dest = pino.destination({
    dest: location === '-' ? 1 : location,
    append: true,
    sync: false,
    minLength: 0,
  });
  return {
    write: (line) => {
      dest.write(`${line}\n`);
    },
    close: () => {
      try {
        dest.flushSync();
      } catch {
        // nothing buffered, or the stream is already closed
      }
      if (location !== '-') dest.end();
    },
  };
}
