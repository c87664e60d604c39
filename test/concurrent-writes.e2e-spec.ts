import { Client } from 'pg';
import { startTestApp, TestApp } from './support/app';
import { Call, client, createEnvironment, createOrganisation, createProject, signUp } from './api-helpers';
import { ReplicatedCluster, startReplicatedCluster } from './support/pg-cluster';

/**
 * Issue 13 items 4 and 7: concurrent management writes lose nothing and never deadlock. Two instances on a real
 * primary with a streaming replica that lags 1 s on purpose, and the SDK document cache in a real memcached, as
 * a production deployment runs them.
 */
describe('concurrent writes (two instances, lagging replica, memcached)', () => {
  let cluster: ReplicatedCluster;
  let a: TestApp;
  let b: TestApp;
  let callA: Call;
  let callB: Call;
  let token: string;
  let projectId: number;
  let envs: { id: number; api_key: string }[];

  beforeAll(async () => {
    cluster = await startReplicatedCluster({ applyDelay: '1s' });
    const env = {
      DATABASE_URL: cluster.primary.url,
      REPLICA_DATABASE_URLS: cluster.replica.url,
      ENVIRONMENT_CACHE_BACKEND: 'memcached',
      ENVIRONMENT_CACHE_LOCATION: process.env.TEST_MEMCACHED_LOCATION!,
    };
    a = await startTestApp(env);
    b = await startTestApp(env);
    callA = client(a);
    callB = client(b);
    token = (await signUp(callA)).token;
    const org = await createOrganisation(callA, token);
    projectId = (await createProject(callA, token, org.id)).id;
    envs = [];
    for (const name of ['Dev', 'Staging', 'Prod'])
      envs.push(await createEnvironment(callA, token, projectId, name));
  }, 60_000);

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await cluster?.stop();
  });

  /** Deadlocks PostgreSQL detected in the primary's database so far (a retried deadlock still costs ~1 s). */
  const deadlocks = async (): Promise<number> => {
    const pg = new Client({ connectionString: cluster.primary.url });
    await pg.connect();
    try {
      // The statistics are per backend until flushed; ask for fresh ones.
      await pg.query('SELECT pg_stat_clear_snapshot()');
      const { rows } = await pg.query<{ n: string }>(
        'SELECT deadlocks AS n FROM pg_stat_database WHERE datname = current_database()',
      );
      return Number(rows[0].n);
    } finally {
      await pg.end();
    }
  };

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test bodies are loosely typed JSON
  const ok = async (p: ReturnType<Call>, what: string): Promise<any> => {
    const res = await p;
    if (res.status >= 300) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  it('two instances PATCHing different fields of one row at once: 100 trials, no change lost', async () => {
    const auth = token;
    const feature = await ok(
      callA('POST', `/api/v1/projects/${projectId}/features/`, { auth, body: { name: 'lost_update' } }),
      'feature',
    );
    const segment = await ok(
      callA('POST', `/api/v1/projects/${projectId}/segments/`, {
        auth,
        body: { name: 'seg', project: projectId, rules: [{ type: 'ALL', rules: [], conditions: [] }] },
      }),
      'segment',
    );
    const env = envs[0];
    const states = await ok(
      callA('GET', `/api/v1/environments/${env.api_key}/featurestates/?feature=${feature.id}`, { auth }),
      'states',
    );
    const state = states.results[0];
    const lost: string[] = [];
    const deadlocksBefore = await deadlocks();
    for (let trial = 0; trial < 100; trial++) {
      const text = `t${trial}`;
      const flag = trial % 2 === 0;
      await Promise.all([
        ok(
          callA('PATCH', `/api/v1/projects/${projectId}/features/${feature.id}/`, {
            auth,
            body: { description: text },
          }),
          'f1',
        ),
        ok(
          callB('PATCH', `/api/v1/projects/${projectId}/features/${feature.id}/`, {
            auth,
            body: { is_archived: flag },
          }),
          'f2',
        ),
        ok(
          callA('PATCH', `/api/v1/environments/${env.api_key}/featurestates/${state.id}/`, {
            auth,
            body: { enabled: flag },
          }),
          's1',
        ),
        ok(
          callB('PATCH', `/api/v1/environments/${env.api_key}/featurestates/${state.id}/`, {
            auth,
            body: { feature_state_value: text },
          }),
          's2',
        ),
        ok(
          callA('PATCH', `/api/v1/projects/${projectId}/segments/${segment.id}/`, {
            auth,
            body: { name: `seg${text}` },
          }),
          'g1',
        ),
        ok(
          callB('PATCH', `/api/v1/projects/${projectId}/segments/${segment.id}/`, {
            auth,
            body: { description: text },
          }),
          'g2',
        ),
        ok(
          callA('PATCH', `/api/v1/environments/${env.api_key}/`, { auth, body: { name: `env${text}` } }),
          'e1',
        ),
        ok(
          callB('PATCH', `/api/v1/environments/${env.api_key}/`, { auth, body: { description: text } }),
          'e2',
        ),
        ok(callA('PATCH', `/api/v1/projects/${projectId}/`, { auth, body: { name: `p${text}` } }), 'p1'),
        ok(
          callB('PATCH', `/api/v1/projects/${projectId}/`, { auth, body: { hide_disabled_flags: flag } }),
          'p2',
        ),
      ]);
      const f = await ok(
        callA('GET', `/api/v1/projects/${projectId}/features/${feature.id}/`, { auth }),
        'f',
      );
      if (f.description !== text || f.is_archived !== flag) lost.push(`feature ${trial}`);
      const s = await ok(
        callA('GET', `/api/v1/environments/${env.api_key}/featurestates/${state.id}/`, { auth }),
        's',
      );
      if (s.enabled !== flag || s.feature_state_value !== text) lost.push(`state ${trial}`);
      const g = await ok(
        callA('GET', `/api/v1/projects/${projectId}/segments/${segment.id}/`, { auth }),
        'g',
      );
      if (g.name !== `seg${text}` || g.description !== text) lost.push(`segment ${trial}`);
      const e = await ok(callA('GET', `/api/v1/environments/${env.api_key}/`, { auth }), 'e');
      if (e.name !== `env${text}` || e.description !== text) lost.push(`environment ${trial}`);
      const p = await ok(callA('GET', `/api/v1/projects/${projectId}/`, { auth }), 'p');
      if (p.name !== `p${text}` || p.hide_disabled_flags !== flag) lost.push(`project ${trial}`);
    }
    expect(lost).toEqual([]);
    // Locks are taken so that these writers wait for each other instead of deadlocking (and retrying): 0 in most
    // runs, 1 seen once in a clean-clone CI run; with FOR UPDATE row locks this counted ~300.
    expect((await deadlocks()) - deadlocksBefore).toBeLessThan(10);
  }, 300_000);

  it("two instances replacing one segment's rules at once: 30 trials, the stored tree is one of the two", async () => {
    const auth = token;
    const tree = (value: string) => [
      {
        type: 'ALL',
        rules: [{ type: 'ANY', rules: [], conditions: [{ property: 'plan', operator: 'EQUAL', value }] }],
        conditions: [],
      },
    ];
    const segment = await ok(
      callA('POST', `/api/v1/projects/${projectId}/segments/`, {
        auth,
        body: { name: 'rules_race', project: projectId, rules: tree('start') },
      }),
      'segment',
    );
    const mixed: string[] = [];
    for (let trial = 0; trial < 30; trial++) {
      const [x, y] = [`a${trial}`, `b${trial}`];
      await Promise.all([
        ok(
          callA('PATCH', `/api/v1/projects/${projectId}/segments/${segment.id}/`, {
            auth,
            body: { rules: tree(x) },
          }),
          'r1',
        ),
        ok(
          callB('PATCH', `/api/v1/projects/${projectId}/segments/${segment.id}/`, {
            auth,
            body: { rules: tree(y) },
          }),
          'r2',
        ),
      ]);
      const got = await ok(
        callA('GET', `/api/v1/projects/${projectId}/segments/${segment.id}/`, { auth }),
        'get',
      );
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test bodies are loosely typed JSON
      const values = (got.rules as any[]).flatMap((r) =>
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        (r.rules as any[]).flatMap((c) => (c.conditions as { value: string }[]).map((k) => k.value)),
      );
      if (!(values.length === 1 && [x, y].includes(values[0]))) mixed.push(`${trial}: ${values.join(',')}`);
    }
    expect(mixed).toEqual([]);
  }, 120_000);

  it('16 clients creating, updating and deleting features, segments and overrides in one project: no failure, documents match', async () => {
    const auth = token;
    const failures: string[] = [];
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test bodies are loosely typed JSON
    const attempt = async (p: ReturnType<Call>, what: string): Promise<{ status: number; body: any }> => {
      const res = await p;
      if (res.status >= 300)
        failures.push(`${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      return res;
    };
    const overrides: string[][] = envs.map(() => []);
    const deadlocksBefore = await deadlocks();
    await Promise.all(
      Array.from({ length: 16 }, async (_, c) => {
        const call = c % 2 ? callB : callA;
        for (let i = 0; i < 12; i++) {
          const created = await attempt(
            call('POST', `/api/v1/projects/${projectId}/features/`, { auth, body: { name: `c${c}_f${i}` } }),
            'create feature',
          );
          if (created.status >= 300) continue;
          await attempt(
            call('PATCH', `/api/v1/projects/${projectId}/features/${created.body.id}/`, {
              auth,
              body: { description: `d${i}` },
            }),
            'update feature',
          );
          const seg = await attempt(
            call('POST', `/api/v1/projects/${projectId}/segments/`, {
              auth,
              body: {
                name: `c${c}_s${i}`,
                project: projectId,
                rules: [{ type: 'ALL', rules: [], conditions: [] }],
              },
            }),
            'create segment',
          );
          if (i % 3 !== 0 && seg.status < 300) {
            const envIndex = (c + i) % envs.length;
            const override = await attempt(
              call(
                'POST',
                `/api/v1/environments/${envs[envIndex].api_key}/features/${created.body.id}/create-segment-override/`,
                {
                  auth,
                  body: {
                    enabled: true,
                    feature_state_value: { type: 'unicode', string_value: `o${i}` },
                    feature_segment: { segment: seg.body.id },
                  },
                },
              ),
              'create override',
            );
            if (override.status < 300) {
              const updated = await attempt(
                call('PATCH', `/api/v1/features/featurestates/${override.body.id}/`, {
                  auth,
                  body: { enabled: false },
                }),
                'update override',
              );
              if (updated.status < 300) overrides[envIndex].push(`c${c}_s${i}:c${c}_f${i}:false`);
            }
          }
          if (i % 3 === 0) {
            await attempt(
              call('DELETE', `/api/v1/projects/${projectId}/features/${created.body.id}/`, { auth }),
              'delete feature',
            );
            if (seg.status < 300)
              await attempt(
                call('DELETE', `/api/v1/projects/${projectId}/segments/${seg.body.id}/`, { auth }),
                'delete segment',
              );
          }
        }
      }),
    );
    expect(failures).toEqual([]);
    // Each write locks the project's environment rows last, in id order, and bumps them in a second statement:
    // none of them can deadlock (the one-statement bump did, 3 to 28 times per run).
    expect((await deadlocks()) - deadlocksBefore).toBe(0);
    const features = await ok(
      callA('GET', `/api/v1/projects/${projectId}/features/?page_size=999`, { auth }),
      'list',
    );
    const segments = await ok(
      callA('GET', `/api/v1/projects/${projectId}/segments/?page_size=999`, { auth }),
      'segs',
    );
    const expectedFeatures = (features.results as { name: string }[]).map((f) => f.name).sort();
    const expectedSegments = (segments.results as { name: string }[]).map((s) => s.name).sort();
    for (const env of envs) {
      const key = await ok(
        callA('POST', `/api/v1/environments/${env.api_key}/api-keys/`, { auth, body: { name: 'server' } }),
        'key',
      );
      const res = await fetch(`${a.url}/api/v1/environment-document/`, {
        headers: { 'x-environment-key': key.key },
      });
      const doc = (await res.json()) as {
        feature_states: { feature: { name: string } }[];
        project: {
          segments: { name: string; feature_states: { enabled: boolean; feature: { name: string } }[] }[];
        };
      };
      expect(doc.feature_states.map((s) => s.feature.name).sort()).toEqual(expectedFeatures);
      expect(doc.project.segments.map((s) => s.name).sort()).toEqual(expectedSegments);
      const served = doc.project.segments.flatMap((g) =>
        g.feature_states.map((fs) => `${g.name}:${fs.feature.name}:${fs.enabled}`),
      );
      expect(served.sort()).toEqual(overrides[envs.indexOf(env)].sort());
    }
  }, 120_000);
});
