import { normalisePath } from '../src/openapi/openapi';
import { client, signUp, uniqueEmail } from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import {
  buildOrganisationGraph,
  DatabaseFingerprint,
  fill,
  isFlagsmithErrorBody,
  Json,
  OrganisationGraph,
  placeholders,
} from './support/management-api';
import { Caller, Method, ROUTES, RouteSpec, WriteSpec } from './support/management-routes';

/**
 * NUL characters and lone UTF-16 surrogates in any string a client sends: PostgreSQL refuses NUL in text
 * (SQLSTATE 22021) and a lone surrogate cannot be encoded as UTF-8, so such input must be refused up front with
 * DRF's messages, as a 400 naming the field, on every route that takes a body (every write operation the OpenAPI
 * document lists, and the SDK, realtime and OFREP routes) and in query strings and path parameters, and nothing
 * may be written.
 */

const NUL = 'a\u0000b';
const SURROGATE = 'a\ud800b';
const NUL_MESSAGE = 'Null characters are not allowed.';
const SURROGATE_MESSAGE = 'Surrogate characters are not allowed: U+D800.';
const BAD_VALUES: [string, string, string][] = [
  ['a NUL', NUL, NUL_MESSAGE],
  ['a lone surrogate', SURROGATE, SURROGATE_MESSAGE],
];
/** SDK requests are counted whatever their body (as Flagsmith does), so these tables move. */
const METERING = ['api_usage_daily', 'feature_evaluations_daily'];
const CONCURRENCY = 6;
const WRITE_OPERATION = /^(POST|PUT|PATCH) /;

type Path = (string | number)[];

interface Case {
  name: string;
  method: string;
  url: string;
  body?: Json;
  caller: Caller;
  /** Where the error must be in the answer's body, and what it must say. */
  path?: Path;
  message: string;
}

/** Every string in a JSON value, by its path. */
function stringPaths(value: Json, path: Path = []): Path[] {
  if (typeof value === 'string') return [path];
  if (Array.isArray(value)) return value.flatMap((item, i) => stringPaths(item, [...path, i]));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([key, item]) => stringPaths(item, [...path, key]));
  return [];
}

function withValueAt(value: Json, path: Path, replacement: string): Json {
  if (path.length === 0) return replacement;
  const copy = Array.isArray(value) ? [...value] : { ...value };
  copy[path[0]] = withValueAt(value?.[path[0]], path.slice(1), replacement);
  return copy;
}

/** The error at `path` of an answer: list items may be named by position or by index key (`{"0": …}`). */
function errorAt(body: Json, path: Path): Json {
  let here = body;
  for (const step of path) here = here?.[step] ?? here?.[String(step)];
  return here;
}

/** The cases of one write operation: each string of a valid body (or an extra field when it has none). */
function bodyCases(method: Method, spec: RouteSpec, write: WriteSpec, ids: OrganisationGraph['ids']): Case[] {
  const url = fill(spec.url, ids);
  const base: Json = write.noInput ? {} : (write.body?.(ids) ?? {});
  const paths = stringPaths(base);
  for (const [field, type] of Object.entries(write.fields ?? {}))
    if (type === 'string' && !Array.isArray(base) && !(field in base)) paths.push([field]);
  if (paths.length === 0) paths.push(Array.isArray(base) ? [0, 'note'] : ['note']);
  const caller = write.caller ?? 'admin';
  return BAD_VALUES.flatMap(([what, value, message]) =>
    paths.map((path) => ({
      name: `${what} in ${path.join('.')}`,
      method,
      url,
      body: withValueAt(base, path, value),
      caller,
      path,
      message,
    })),
  );
}

/** The same route with a NUL in each path parameter. */
function pathParameterCases(
  method: Method,
  spec: RouteSpec,
  write: WriteSpec,
  ids: OrganisationGraph['ids'],
): Case[] {
  return placeholders(spec.url).map((key) => ({
    name: `a NUL in {${key}}`,
    method,
    url: fill(spec.url, { ...ids, [key]: `${ids[key]}\u0000` }),
    body: write.noInput ? undefined : (write.body?.(ids) ?? {}),
    caller: write.caller ?? 'admin',
    message: NUL_MESSAGE,
  }));
}

describe('NUL characters and lone surrogates in client input', () => {
  let t: TestApp;
  let g: OrganisationGraph;
  let account: { token: string };
  let fingerprint: DatabaseFingerprint;
  let before: Record<string, string>;
  let writeOperations: string[];

  beforeAll(async () => {
    t = await startTestApp({ SSE_AUTHENTICATION_TOKEN: 'sse-token', MFA_CODE_THROTTLE_RATE: '1000/min' });
    const call = client(t);
    g = await buildOrganisationGraph(call, 'Acme');
    account = await signUp(call, uniqueEmail('account'));
    const docs = await fetch(`${t.url}/api/v1/docs.json`);
    const doc: Json = await docs.json();
    writeOperations = Object.entries<Json>(doc.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .map((method) => `${method.toUpperCase()} ${normalisePath(path)}`)
        .filter((key) => WRITE_OPERATION.test(key)),
    );
    fingerprint = new DatabaseFingerprint(t.databaseUrl, METERING);
    await fingerprint.connect();
    before = await fingerprint.take();
  });
  afterAll(async () => {
    await fingerprint?.close();
    await t?.close();
  });

  async function send(c: Case): Promise<{ status: number; body: Json }> {
    const headers: Record<string, string> = {};
    if (c.body !== undefined) headers['content-type'] = 'application/json';
    if (c.caller === 'admin') headers.authorization = `Token ${g.admin.token}`;
    if (c.caller === 'account') headers.authorization = `Token ${account.token}`;
    if (c.caller === 'sdk') headers['x-environment-key'] = g.serverKey;
    try {
      const res = await fetch(`${t.url}${c.url}`, {
        method: c.method,
        headers,
        body: c.body === undefined ? undefined : JSON.stringify(c.body),
      });
      const text = await res.text();
      try {
        return { status: res.status, body: JSON.parse(text) };
      } catch {
        return { status: res.status, body: text };
      }
    } catch (err) {
      return { status: 0, body: `request failed: ${(err as Error).message}` };
    }
  }

  /** Sends every case; returns the ones not answered 400 with the message at the expected place. */
  async function failuresOf(cases: Case[], check?: (c: Case, body: Json) => boolean): Promise<string[]> {
    const failures: string[] = [];
    const queue = [...cases];
    const worker = async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const res = await send(c);
        const named =
          check?.(c, res.body) ??
          (isFlagsmithErrorBody(res.body) &&
            (c.path === undefined
              ? Object.values(res.body).some((v) => JSON.stringify(v) === JSON.stringify([c.message]))
              : JSON.stringify(errorAt(res.body, c.path)) === JSON.stringify([c.message])));
        if (res.status !== 400 || !named)
          failures.push(
            `${c.method} ${c.url.slice(0, 80)} ${c.name}: ${res.status} ${JSON.stringify(res.body)?.slice(0, 200)}`,
          );
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return failures.sort();
  }

  const routeOf = (operation: string): [Method, RouteSpec, WriteSpec] | undefined => {
    const [method, path] = operation.split(' ') as [Exclude<Method, 'GET'>, string];
    const spec = ROUTES.find((r) => r.write?.[method] && normalisePath(r.url) === path);
    return spec && [method, spec, spec.write![method]!];
  };

  it('every write operation of the OpenAPI document is in the route table', () => {
    expect(writeOperations.length).toBeGreaterThan(50);
    expect(writeOperations.filter((operation) => !routeOf(operation))).toEqual([]);
  });

  it('a NUL or a lone surrogate in any string of the body of any documented write → 400 naming the field', async () => {
    const cases = writeOperations.flatMap((operation) => {
      const [method, spec, write] = routeOf(operation)!;
      return bodyCases(method, spec, write, g.ids);
    });
    expect(cases.length).toBeGreaterThan(150);
    expect(await failuresOf(cases)).toEqual([]);
  });

  it('a NUL in any path parameter of any documented write → 400 naming the parameter', async () => {
    const cases = writeOperations.flatMap((operation) => {
      const [method, spec, write] = routeOf(operation)!;
      return pathParameterCases(method, spec, write, g.ids);
    });
    expect(cases.length).toBeGreaterThan(50);
    expect(await failuresOf(cases)).toEqual([]);
  });

  it('SDK, realtime and management reads → 400 naming the query parameter, path parameter or body field', async () => {
    const env = encodeURIComponent(g.ids.env);
    const cases: Case[] = [
      ...BAD_VALUES.flatMap(([what, value, message]): Case[] => [
        {
          name: `${what} in a trait value`,
          method: 'POST',
          url: '/api/v1/identities/',
          body: { identifier: 'erin', traits: [{ trait_key: 'plan', trait_value: value }] },
          caller: 'sdk',
          path: ['traits', 0, 'trait_value'],
          message,
        },
        {
          name: `${what} in a trait key`,
          method: 'POST',
          url: '/api/v1/identities/',
          body: {
            identifier: 'erin',
            traits: [
              { trait_key: 'ok', trait_value: 1 },
              { trait_key: value, trait_value: 1 },
            ],
          },
          caller: 'sdk',
          path: ['traits', 1, 'trait_key'],
          message,
        },
        {
          name: `${what} in queue-change's updated_at`,
          method: 'POST',
          url: `/sse/environments/${env}/queue-change`,
          body: { updated_at: value },
          caller: 'anonymous',
          path: ['updated_at'],
          message,
        },
      ]),
      {
        name: 'a NUL in ?identifier=',
        method: 'GET',
        url: '/api/v1/identities/?identifier=a%00b',
        caller: 'sdk',
        path: ['identifier'],
        message: NUL_MESSAGE,
      },
      {
        name: 'a NUL in the deprecated identity path',
        method: 'GET',
        url: '/api/v1/identities/a%00b/',
        caller: 'sdk',
        message: NUL_MESSAGE,
      },
      {
        name: 'a NUL in the SSE stream key',
        method: 'GET',
        url: `/sse/environments/${env}%00/stream`,
        caller: 'anonymous',
        message: NUL_MESSAGE,
      },
      {
        name: 'a NUL in the identities search',
        method: 'GET',
        url: `/api/v1/environments/${env}/identities/?q=a%00`,
        caller: 'admin',
        path: ['q'],
        message: NUL_MESSAGE,
      },
      {
        name: 'a NUL in the features search',
        method: 'GET',
        url: `/api/v1/projects/${g.ids.project}/features/?search=a%00`,
        caller: 'admin',
        path: ['search'],
        message: NUL_MESSAGE,
      },
    ];
    expect(await failuresOf(cases)).toEqual([]);
  });

  it('OFREP: a NUL or a lone surrogate in the context or the flag key → 400 INVALID_CONTEXT naming the field', async () => {
    const ofrep = (c: Case, body: Json) =>
      body?.errorCode === 'INVALID_CONTEXT' &&
      typeof body.errorDetails === 'string' &&
      body.errorDetails.includes(c.message) &&
      (c.path === undefined || body.errorDetails.includes(c.path.join('.')));
    const cases: Case[] = [
      ...BAD_VALUES.flatMap(([what, value, message]): Case[] => [
        {
          name: `${what} in the targeting key`,
          method: 'POST',
          url: '/ofrep/v1/evaluate/flags',
          body: { context: { targetingKey: value } },
          caller: 'sdk',
          path: ['context', 'targetingKey'],
          message,
        },
        {
          name: `${what} in a context attribute`,
          method: 'POST',
          url: '/ofrep/v1/evaluate/flags/plain',
          body: { context: { targetingKey: 'erin', plan: value } },
          caller: 'sdk',
          path: ['context', 'plan'],
          message,
        },
      ]),
      {
        name: 'a NUL in the flag key',
        method: 'POST',
        url: '/ofrep/v1/evaluate/flags/plain%00',
        body: { context: { targetingKey: 'erin' } },
        caller: 'sdk',
        message: NUL_MESSAGE,
      },
    ];
    expect(await failuresOf(cases, ofrep)).toEqual([]);
  });

  it('nothing was written by any of these requests', async () => {
    expect(DatabaseFingerprint.changed(before, await fingerprint.take())).toEqual([]);
  });
});
