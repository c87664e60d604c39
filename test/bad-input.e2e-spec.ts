import { Call, client, PASSWORD, signUp, uniqueEmail } from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import {
  buildOrganisationGraph,
  DatabaseFingerprint,
  fill,
  isFlagsmithErrorBody,
  Json,
  OrganisationGraph,
  placeholders,
  routeRecorder,
  WRITE_METHODS,
} from './support/management-api';
import {
  Caller,
  FieldType,
  Method,
  NOT_MANAGEMENT,
  NULL_AS_ABSENT,
  ROUTES,
  RouteSpec,
  WriteSpec,
  WRONG_VALUES,
} from './support/management-routes';

/**
 * Bad input to every write endpoint (management API, accounts, and the SDK's writes): malformed JSON, a list for an
 * object (or the reverse), a wrong type for each declared field, each required field missing, unknown ids in the
 * path and the body, and a 10 MB string. Every answer is 400/403/404/413 with a Flagsmith-shaped body — never a 500
 * — and the database is unchanged afterwards.
 */

/** Request metering: SDK requests are counted whatever their body (as Flagsmith does), so these tables move. */
// Counters every request moves, refused or not (throttles count before the body is read, as DRF's do).
const METERING = ['api_usage_daily', 'feature_evaluations_daily', 'request_throttles'];
const REFUSED = [400, 403, 404, 413];
const TEN_MB = 'x'.repeat(10 * 1024 * 1024);
/** Requests in flight at once per endpoint (every case is refused, so they cannot interfere). */
const CONCURRENCY = 6;

/** Encoded once: a Blob is sent as is. */
const TEN_MB_OBJECT = new Blob([JSON.stringify({ name: TEN_MB })]);
const TEN_MB_LIST = new Blob([JSON.stringify([TEN_MB])]);

interface Case {
  name: string;
  url: string;
  body?: Json;
  raw?: string | Blob;
  /** A stricter expectation than "refused". */
  status?: number;
}

type Endpoint = [string, Method, RouteSpec, WriteSpec];

const ENDPOINTS: Endpoint[] = ROUTES.flatMap((spec) =>
  Object.entries(spec.write ?? {}).map(([method, write]): Endpoint => [
    `${method} ${spec.path}`,
    method as Method,
    spec,
    write,
  ]),
);

function describeValue(value: unknown): string {
  return JSON.stringify(value)?.slice(0, 40) ?? String(value);
}

function cases(spec: RouteSpec, write: WriteSpec, ids: OrganisationGraph['ids']): Case[] {
  const url = fill(spec.url, ids);
  const base = write.body?.(ids) ?? {};
  const out: Case[] = [
    { name: 'malformed JSON', url, raw: '{"name": "x",', status: 400 },
    { name: 'a 10 MB string', url, raw: write.listBody ? TEN_MB_LIST : TEN_MB_OBJECT, status: 413 },
  ];
  for (const key of placeholders(spec.url))
    out.push({
      name: `an unknown {${key}} in the path`,
      url: fill(spec.url, ids, key),
      body: base,
      status: write.unknownPathStatus ?? 404,
    });
  if (write.noInput) return out;
  out.push(
    write.listBody
      ? { name: 'an object instead of a list', url, body: { id: 1, ...(base[0] ?? {}) } }
      : { name: 'a list instead of an object', url, body: [base] },
    { name: 'a JSON string instead of an object', url, raw: '"text"' },
  );
  const nullable = new Set(write.nullable ?? []);
  for (const [field, type] of Object.entries<FieldType>(write.fields ?? {})) {
    const nullOk = nullable.has(field) || NULL_AS_ABSENT.has(field);
    const wrong = [...WRONG_VALUES[type], ...(nullOk ? [] : [null])];
    for (const value of wrong)
      out.push({
        name: `${field} (${type}) = ${describeValue(value)}`,
        url,
        body: { ...base, [field]: value },
      });
  }
  for (const field of write.required ?? []) {
    const body = { ...base };
    delete body[field];
    out.push({ name: `no ${field}`, url, body, status: 400 });
  }
  if (write.required?.length) out.push({ name: 'an empty object', url, body: {}, status: 400 });
  for (const [name, body] of write.unknownIds?.(ids) ?? [])
    out.push({ name: `an unknown id in ${name}`, url, body });
  for (const [name, body] of write.extraCases?.(ids) ?? []) out.push({ name, url, body });
  return out;
}

describe('bad input to write endpoints', () => {
  const recorder = routeRecorder();
  let t: TestApp;
  let call: Call;
  let g: OrganisationGraph;
  let account: { token: string };
  let fingerprint: DatabaseFingerprint;
  let last: Record<string, string>;

  beforeAll(async () => {
    // Many refused second-factor bodies come from one client address (Flagsmith's mfa_code rate is 5/min).
    t = await startTestApp({ MFA_CODE_THROTTLE_RATE: '1000/min' }, { beforeListen: recorder.beforeListen });
    call = client(t);
    g = await buildOrganisationGraph(call, 'Acme');
    account = await signUp(call, uniqueEmail('account'));
    // the SDK cases must reach validation, not a refused key (GET /identities/ creates the identity: before `last`)
    const probe = await fetch(`${t.url}/api/v1/identities/?identifier=probe`, {
      headers: { 'x-environment-key': g.serverKey },
    });
    if (probe.status !== 200) throw new Error(`server key refused: ${probe.status}`);
    fingerprint = new DatabaseFingerprint(t.databaseUrl, METERING);
    await fingerprint.connect();
    last = await fingerprint.take();
  });
  afterAll(async () => {
    await fingerprint?.close();
    await t?.close();
  });

  async function written(): Promise<string[]> {
    const now = await fingerprint.take();
    const changed = DatabaseFingerprint.changed(last, now);
    last = now;
    return changed;
  }

  async function send(method: Method, c: Case, caller: Caller): Promise<{ status: number; body: Json }> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (caller === 'admin') headers.authorization = `Token ${g.admin.token}`;
    if (caller === 'account') headers.authorization = `Token ${account.token}`;
    if (caller === 'sdk') headers['x-environment-key'] = g.serverKey;
    const payload = c.raw ?? JSON.stringify(c.body);
    try {
      const res = await fetch(`${t.url}${c.url}`, { method, headers, body: payload });
      const text = await res.text();
      let body: Json = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: reported as such
      }
      return { status: res.status, body };
    } catch (err) {
      return { status: 0, body: `request failed: ${(err as Error).message}` };
    }
  }

  it('every write route is in the bad-input table (or not a management/SDK write, with a reason)', () => {
    const missing = recorder.routes
      .filter(
        (r) =>
          WRITE_METHODS.has(r.method) &&
          !(r.path in NOT_MANAGEMENT) &&
          !ROUTES.some((spec) => spec.path === r.path && spec.write?.[r.method as Exclude<Method, 'GET'>]),
      )
      .map((r) => `${r.method} ${r.path}`);
    expect(missing).toEqual([]);
    const stale = ENDPOINTS.filter(
      ([, method, spec]) => !recorder.routes.some((r) => r.path === spec.path && r.method === method),
    ).map(([name]) => name);
    expect(stale).toEqual([]);
  });

  it.each(ENDPOINTS)(
    '%s refuses bad input with 400/403/404/413 and a Flagsmith-shaped body, and writes nothing',
    async (_name, method, spec, write) => {
      const failures: string[] = [];
      const queue = cases(spec, write, g.ids);
      const worker = async () => {
        for (let c = queue.shift(); c; c = queue.shift()) {
          const res = await send(method, c, write.caller ?? 'admin');
          const statusOk = c.status === undefined ? REFUSED.includes(res.status) : res.status === c.status;
          if (!statusOk || !isFlagsmithErrorBody(res.body))
            failures.push(`${c.name}: ${res.status} ${JSON.stringify(res.body)?.slice(0, 300)}`);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      failures.sort();
      expect({ failures, written: await written() }).toEqual({ failures: [], written: [] });
    },
  );

  it('the account used for /auth/users/me still works (no case logged it out or deleted it)', async () => {
    const me = await call('GET', '/api/v1/auth/users/me/', { auth: account.token });
    expect(me.status).toBe(200);
    const login = await call('POST', '/api/v1/auth/login/', {
      body: { email: me.body.email, password: PASSWORD },
    });
    expect(login.status).toBe(200);
  });
});
