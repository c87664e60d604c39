import { createServer } from 'node:net';
import { client, createEnvironment, createOrganisation, createProject, signUp } from './api-helpers';
import type { TestApp } from './support/app';
import { createTestDatabase } from './support/database';
import { ServerProcess, spawnServer } from './support/server-process';

/**
 * A tenant's REGEX condition `^(a+)+$` (catastrophic for a backtracking engine) evaluated against a long trait
 * sent with the public client key, on the built server in its own process: the evaluation answers quickly and
 * a liveness probe sent at the same time is not held up. Before the fix, one such request blocked the event loop
 * for minutes (11.5 s measured for 28 characters).
 */

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** A request's status and duration; a request still unanswered after `timeoutMs` is aborted (status 0). */
async function timed(url: string, init: RequestInit, timeoutMs: number) {
  const started = performance.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    return { status: res.status, text, ms: performance.now() - started };
  } catch {
    return { status: 0, text: '', ms: performance.now() - started };
  }
}

// A catastrophic input for ^(a+)+$: many a's and a final character that makes the match fail.
const attack = (length: number) => `${'a'.repeat(length - 1)}!`;

// Warm evaluations take ~1 ms here (plus HTTP); backtracking needs minutes from ~30 characters on. 250 ms per
// request leaves room for a loaded 2-core machine while staying orders of magnitude below the stall; the
// median of several tries keeps one scheduling hiccup from failing the test.
const BOUND_MS = 250;
// How long a request may take before it is aborted: far above the bound, far below the stall.
const ABORT_MS = 5000;

describe('REGEX segment conditions (RE2, linear time)', () => {
  let server: ServerProcess | undefined;
  let base: string;
  let clientKey: string;

  beforeAll(async () => {
    const port = await freePort();
    server = spawnServer({
      DATABASE_URL: await createTestDatabase(),
      PORT: String(port),
      HOST: '127.0.0.1',
      ENABLE_TELEMETRY: 'false',
      DJANGO_SECRET_KEY: 'x'.repeat(60),
    });
    await server.waitForOutput(/listening on/);
    base = `http://127.0.0.1:${port}`;
    const call = client({ url: base } as TestApp);
    const { token } = await signUp(call);
    const org = await createOrganisation(call, token, 'Tenant');
    const project = await createProject(call, token, org.id);
    const env = await createEnvironment(call, token, project.id);
    clientKey = env.api_key;
    const as = (method: string, path: string, body?: unknown) => call(method, path, { auth: token, body });
    const p = `/api/v1/projects/${project.id}`;
    const feature = await as('POST', `${p}/features/`, { name: 'gated', default_enabled: false });
    expect(feature.status).toBe(201);
    const segment = await as('POST', `${p}/segments/`, {
      name: 'only a',
      rules: [
        {
          type: 'ALL',
          conditions: [],
          rules: [
            {
              type: 'ANY',
              rules: [],
              conditions: [{ operator: 'REGEX', property: 'name', value: '^(a+)+$' }],
            },
          ],
        },
      ],
    });
    expect(segment.status).toBe(201);
    const override = await as(
      'POST',
      `/api/v1/environments/${env.api_key}/features/${feature.body.id}/create-segment-override/`,
      {
        enabled: true,
        feature_state_value: { type: 'unicode', string_value: 'a' },
        feature_segment: { segment: segment.body.id },
      },
    );
    expect([200, 201]).toContain(override.status);
  }, 60_000);

  afterAll(async () => {
    if (server && server.child.exitCode === null) await server.stop('SIGKILL');
  });

  /** POST /api/v1/identities/ with the trait `name`; whether `gated` came out enabled (the segment matched). */
  const identities = (name: string) =>
    timed(
      `${base}/api/v1/identities/`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-Environment-Key': clientKey },
        body: JSON.stringify({
          identifier: `u${Math.random()}`,
          traits: [{ trait_key: 'name', trait_value: name }],
        }),
      },
      ABORT_MS,
    );
  const ofrep = (name: string) =>
    timed(
      `${base}/ofrep/v1/evaluate/flags/gated`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-API-Key': clientKey },
        body: JSON.stringify({ context: { targetingKey: `u${Math.random()}`, name } }),
      },
      ABORT_MS,
    );
  const liveness = () => timed(`${base}/health/liveness/`, {}, ABORT_MS);
  const gatedEnabled = (text: string) =>
    (JSON.parse(text) as { flags: { feature: { name: string }; enabled: boolean }[] }).flags.find(
      (f) => f.feature.name === 'gated',
    )?.enabled;

  /** The median of `tries` runs of the evaluation sent together with a liveness probe. */
  async function underAttack(evaluation: () => ReturnType<typeof timed>, tries = 5) {
    const runs = [];
    for (let i = 0; i < tries; i++) {
      const [answer, probe] = await Promise.all([evaluation(), liveness()]);
      runs.push({ answer, probe });
    }
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
    return {
      runs,
      answerMs: median(runs.map((r) => r.answer.ms)),
      probeMs: median(runs.map((r) => r.probe.ms)),
    };
  }

  it('SDK identities: matching and non-matching traits → the segment decides as RE2 does', async () => {
    expect(gatedEnabled((await identities('aaaa')).text)).toBe(true);
    expect(gatedEnabled((await identities('aab')).text)).toBe(false);
  });

  it('SDK identities: ^(a+)+$ against a 2 000-character trait → answers fast, liveness answers meanwhile', async () => {
    await identities('aa!'); // warm-up: the pattern compiles once per environment document
    // 2 000 characters is the longest trait value the endpoint accepts (longer ones get a 400 before evaluation).
    const result = await underAttack(() => identities(attack(2000)));
    for (const { answer, probe } of result.runs) {
      expect([answer.status, probe.status]).toEqual([200, 200]);
      expect(gatedEnabled(answer.text)).toBe(false);
    }
    expect(result.answerMs).toBeLessThan(BOUND_MS);
    expect(result.probeMs).toBeLessThan(BOUND_MS);
  });

  it('OFREP: ^(a+)+$ against a 10 000-character context attribute → answers fast, liveness answers meanwhile', async () => {
    await ofrep('aa!');
    const result = await underAttack(() => ofrep(attack(10_000)));
    for (const { answer, probe } of result.runs) {
      expect([answer.status, probe.status]).toEqual([200, 200]);
      expect(JSON.parse(answer.text)).toMatchObject({ key: 'gated', value: false });
    }
    expect(result.answerMs).toBeLessThan(BOUND_MS);
    expect(result.probeMs).toBeLessThan(BOUND_MS);
  });
});
