import { createSocket, Socket } from 'node:dgram';
import { createServer } from 'node:net';
import { MetricsService } from '../src/metrics/metrics.service';
import { MAX_PACKET_BYTES } from '../src/metrics/statsd-client';
import { startTestApp, TestApp } from './support/app';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/;
const LABEL_PAIR = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/;

/** A strict parser of the Prometheus text format 0.0.4: throws on any line that does not conform. */
function parseExposition(text: string): Exposition {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ')) {
      const name = line.slice(7).split(' ')[0];
      if (!METRIC_NAME.test(name)) throw new Error(`bad HELP line: ${line}`);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type, ...rest] = line.slice(7).split(' ');
      if (!METRIC_NAME.test(name) || rest.length > 0) throw new Error(`bad TYPE line: ${line}`);
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type))
        throw new Error(`bad type: ${line}`);
      if (types.has(name)) throw new Error(`TYPE given twice for ${name}`);
      types.set(name, type);
      continue;
    }
    if (line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`bad sample line: ${JSON.stringify(line)}`);
    const [, name, , labelText = '', rawValue] = match;
    const labels: Record<string, string> = {};
    let rest = labelText;
    while (rest.length > 0) {
      const pair = LABEL_PAIR.exec(rest);
      if (!pair) throw new Error(`bad labels in: ${line}`);
      labels[pair[1]] = pair[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      rest = rest.slice(pair[0].length);
    }
    const value = rawValue === '+Inf' ? Infinity : rawValue === '-Inf' ? -Infinity : Number(rawValue);
    if (Number.isNaN(value) && rawValue !== 'NaN') throw new Error(`bad value in: ${line}`);
    const family = name.replace(/_(bucket|sum|count)$/, '');
    if (!types.has(name) && !(types.get(family) === 'histogram'))
      throw new Error(`sample before its TYPE: ${line}`);
    samples.push({ name, labels, value });
  }
  return { types, samples };
}

function find(exposition: Exposition, name: string, labels: Record<string, string>): Sample[] {
  return exposition.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

function value(exposition: Exposition, name: string, labels: Record<string, string>): number | undefined {
  const found = find(exposition, name, labels);
  if (found.length > 1) throw new Error(`${found.length} samples match ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise((done) => server.close(done));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('Prometheus /metrics on the main port (PROMETHEUS_ENABLED=true)', () => {
  let t: TestApp;
  let exposition: Exposition;
  let contentType: string | null;

  beforeAll(async () => {
    t = await startTestApp({ PROMETHEUS_ENABLED: 'true' });
    for (let i = 0; i < 3; i++) await fetch(`${t.url}/health/liveness/`);
    await fetch(`${t.url}/no/such/route/abc123`);
    const metrics = t.app.get(MetricsService);
    metrics.increment('cache.hit', { cache: 'environment' });
    metrics.increment('cache.hit', { cache: 'environment' });
    metrics.increment('cache.miss', { cache: 'environment' });
    const res = await fetch(`${t.url}/metrics`);
    expect(res.status).toBe(200);
    contentType = res.headers.get('content-type');
    exposition = parseExposition(await res.text());
  });
  afterAll(async () => {
    await t.close();
  });

  it('GET /metrics answers Prometheus text format 0.0.4 that parses line by line', () => {
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(exposition.samples.length).toBeGreaterThan(20);
  });

  it('request counter counts each request under its route pattern, method and status', () => {
    expect(exposition.types.get('flagport_http_requests_total')).toBe('counter');
    expect(
      value(exposition, 'flagport_http_requests_total', {
        route: '/health/liveness',
        method: 'GET',
        status: '200',
      }),
    ).toBe(3);
  });

  it('request to an unknown path is labelled as unmatched, never with the raw URL', () => {
    expect(
      value(exposition, 'flagport_http_requests_total', {
        route: '<unmatched>',
        method: 'GET',
        status: '404',
      }),
    ).toBe(1);
    expect(exposition.samples.some((s) => Object.values(s.labels).some((v) => v.includes('abc123')))).toBe(
      false,
    );
  });

  it('duration histogram has cumulative buckets ending in +Inf equal to the count', () => {
    const labels = { route: '/health/liveness', method: 'GET', status: '200' };
    expect(exposition.types.get('flagport_http_request_duration_seconds')).toBe('histogram');
    const buckets = find(exposition, 'flagport_http_request_duration_seconds_bucket', labels);
    expect(buckets.length).toBeGreaterThan(5);
    for (let i = 1; i < buckets.length; i++)
      expect(buckets[i].value).toBeGreaterThanOrEqual(buckets[i - 1].value);
    expect(buckets[buckets.length - 1].labels.le).toBe('+Inf');
    expect(buckets[buckets.length - 1].value).toBe(3);
    expect(value(exposition, 'flagport_http_request_duration_seconds_count', labels)).toBe(3);
    expect(value(exposition, 'flagport_http_request_duration_seconds_sum', labels)).toBeGreaterThan(0);
  });

  it('MetricsService counters appear as *_total counters with their tags as labels', () => {
    expect(exposition.types.get('flagport_cache_hit_total')).toBe('counter');
    expect(value(exposition, 'flagport_cache_hit_total', { cache: 'environment' })).toBe(2);
    expect(value(exposition, 'flagport_cache_miss_total', { cache: 'environment' })).toBe(1);
  });

  it('database pool gauges report the primary pool', () => {
    expect(exposition.types.get('flagport_db_pool_connections')).toBe('gauge');
    expect(
      value(exposition, 'flagport_db_pool_connections', { pool: 'primary', state: 'total' }),
    ).toBeGreaterThanOrEqual(1);
    expect(value(exposition, 'flagport_db_pool_connections', { pool: 'primary', state: 'waiting' })).toBe(0);
  });

  it('process metrics are included under the usual names', () => {
    expect(value(exposition, 'process_cpu_seconds_total', {})).toBeGreaterThan(0);
    expect(value(exposition, 'process_resident_memory_bytes', {})).toBeGreaterThan(1_000_000);
    expect(value(exposition, 'process_start_time_seconds', {})).toBeGreaterThan(1_600_000_000);
    expect(value(exposition, 'nodejs_heap_size_used_bytes', {})).toBeGreaterThan(0);
    expect(find(exposition, 'nodejs_version_info', { version: process.version })).toHaveLength(1);
  });
});

describe('Prometheus on its own port (PROMETHEUS_PORT)', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    t = await startTestApp({ PROMETHEUS_ENABLED: 'true', PROMETHEUS_PORT: String(port), HOST: '127.0.0.1' });
    await fetch(`${t.url}/health/liveness/`);
  });
  afterAll(async () => {
    await t.close();
  });

  it('metrics port serves /metrics with the main port’s requests', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    const exposition = parseExposition(await res.text());
    expect(
      value(exposition, 'flagport_http_requests_total', {
        route: '/health/liveness',
        method: 'GET',
        status: '200',
      }),
    ).toBe(1);
  });

  it('main port does not serve /metrics when a metrics port is set', async () => {
    expect((await fetch(`${t.url}/metrics`)).status).toBe(404);
  });

  it('metrics port answers 404 to anything but GET /metrics', async () => {
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
  });

  it('metrics port is closed when the app closes', async () => {
    const other = await startTestApp({
      PROMETHEUS_ENABLED: 'true',
      PROMETHEUS_PORT: String(await freePort()),
      HOST: '127.0.0.1',
    });
    const otherPort = other.config.PROMETHEUS_PORT!;
    expect((await fetch(`http://127.0.0.1:${otherPort}/metrics`)).status).toBe(200);
    await other.close();
    await expect(fetch(`http://127.0.0.1:${otherPort}/metrics`)).rejects.toThrow();
  });
});

describe('Prometheus off (PROMETHEUS_ENABLED=false)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ PROMETHEUS_ENABLED: 'false' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('GET /metrics answers 404', async () => {
    expect((await fetch(`${t.url}/metrics`)).status).toBe(404);
  });

  it('MetricsService calls are accepted and do nothing', () => {
    const metrics = t.app.get(MetricsService);
    expect(metrics.enabled).toBe(false);
    expect(() => metrics.increment('cache.hit', { cache: 'environment' })).not.toThrow();
  });
});

describe('StatsD (STATSD_HOST/PORT/PREFIX) to a UDP collector on 127.0.0.1', () => {
  let t: TestApp;
  let collector: Socket;
  const packets: string[] = [];
  const lines = () => packets.flatMap((p) => p.split('\n'));

  async function waitForLine(pattern: RegExp, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = lines().find((l) => pattern.test(l));
      if (line !== undefined) return line;
      if (Date.now() > deadline)
        throw new Error(`no StatsD line matching ${String(pattern)}; got:\n${lines().join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    collector = createSocket('udp4');
    collector.on('message', (message) => packets.push(message.toString('utf8')));
    await new Promise<void>((done) => collector.bind(0, '127.0.0.1', done));
    t = await startTestApp({
      STATSD_HOST: '127.0.0.1',
      STATSD_PORT: String(collector.address().port),
      STATSD_PREFIX: 'test.api',
      PROMETHEUS_ENABLED: 'false',
    });
    await fetch(`${t.url}/health/liveness/`);
    await fetch(`${t.url}/health/liveness/`);
    await fetch(`${t.url}/no/such/route/`);
    t.app.get(MetricsService).increment('cache.hit', { cache: 'environment' });
  });
  afterAll(async () => {
    await t.close();
    collector.close();
  });

  it('request counts arrive per route, method and status, summed into one counter line', async () => {
    await waitForLine(/^test\.api\.http\.requests\.health_liveness\.GET\.200:2\|c$/);
    await waitForLine(/^test\.api\.http\.requests\.unmatched\.GET\.404:1\|c$/);
  });

  it('each request’s duration arrives as a timing in milliseconds', async () => {
    await waitForLine(/^test\.api\.http\.response_time\.health_liveness\.GET\.200:\d+(\.\d+)?\|ms$/);
    const timings = lines().filter((l) =>
      l.startsWith('test.api.http.response_time.health_liveness.GET.200:'),
    );
    expect(timings).toHaveLength(2);
  });

  it('gunicorn-compatible totals arrive for existing Flagsmith dashboards', async () => {
    await waitForLine(/^test\.api\.gunicorn\.requests:3\|c$/);
    await waitForLine(/^test\.api\.gunicorn\.request\.status\.200:2\|c$/);
  });

  it('cache hits recorded through MetricsService arrive as counters', async () => {
    await waitForLine(/^test\.api\.cache\.hit\.environment:1\|c$/);
  });

  it('database pool usage arrives as gauges', async () => {
    await waitForLine(/^test\.api\.db\.pool\.connections\.primary\.total:\d+\|g$/);
    await waitForLine(/^test\.api\.db\.pool\.connections\.primary\.waiting:0\|g$/);
  });

  it('every line is valid StatsD and every packet fits one datagram', () => {
    expect(lines().filter((l) => !/^[\w.-]+:-?\d+(\.\d+)?\|(c|ms|g)$/.test(l))).toEqual([]);
    expect(packets.every((p) => Buffer.byteLength(p) <= MAX_PACKET_BYTES)).toBe(true);
  });

  it('counters are sent as deltas: nothing new arrives for a route without new requests', async () => {
    const before = lines().filter((l) => l.startsWith('test.api.http.requests.health_liveness.')).length;
    await new Promise((r) => setTimeout(r, 2500));
    const after = lines().filter((l) => l.startsWith('test.api.http.requests.health_liveness.')).length;
    expect(after).toBe(before);
  });
});
