/**
 * SSE fan-out client, run as its own process by bench/sse.ts: opens N event streams on one environment, reports
 * "ready" once every stream has its first `environment_updated` event, then on "go" (stdin) commits a change the
 * way another instance would (bump `environments.updated_at` + NOTIFY flagport_environment_changed in one
 * transaction) and measures how long until every stream received the new event. Prints one JSON line.
 */
import { Agent, get, IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import { Client } from 'pg';

export interface FanoutOptions {
  readonly url: string;
  readonly streams: number;
  readonly databaseUrl: string;
  readonly environmentId: number;
  readonly timeoutMs: number;
}

export interface FanoutResult {
  readonly streams: number;
  readonly connected: number;
  readonly delivered: number;
  readonly openSeconds: number;
  /** From COMMIT sent to the last stream's event. */
  readonly allMs: number;
  readonly p50Ms: number;
}

const EVENT = 'event: environment_updated';

interface Stream {
  events: number;
  deliveredAt: number | undefined;
  tail: string;
  response: IncomingMessage | undefined;
}

function open(url: string, agent: Agent, stream: Stream, onEvent: () => void): Promise<void> {
  return new Promise((done, fail) => {
    const request = get(url, { agent }, (response) => {
      if (response.statusCode !== 200) {
        fail(new Error(`stream answered ${response.statusCode}`));
        response.resume();
        return;
      }
      stream.response = response;
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        const text = stream.tail + chunk;
        let at = text.indexOf(EVENT);
        while (at !== -1) {
          stream.events++;
          if (stream.events === 1) done();
          onEvent();
          at = text.indexOf(EVENT, at + EVENT.length);
        }
        stream.tail = text.slice(-EVENT.length);
      });
    });
    request.once('error', fail);
  });
}

async function run(options: FanoutOptions): Promise<FanoutResult> {
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const streams: Stream[] = Array.from({ length: options.streams }, () => ({
    events: 0,
    deliveredAt: undefined,
    tail: '',
    response: undefined,
  }));
  let committedAt = 0;
  let delivered = 0;
  let allDelivered: () => void = () => undefined;
  const everyone = new Promise<void>((done) => (allDelivered = done));

  const opened = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 100 }, async () => {
      while (next < streams.length) {
        const stream = streams[next++];
        await open(options.url, agent, stream, () => {
          if (committedAt > 0 && stream.deliveredAt === undefined && stream.events >= 2) {
            stream.deliveredAt = performance.now();
            if (++delivered === streams.length) allDelivered();
          }
        });
      }
    }),
  );
  const openSeconds = (Date.now() - opened) / 1000;
  process.stdout.write(`ready ${streams.length}\n`);

  await new Promise<void>((done) => {
    const lines = createInterface({ input: process.stdin });
    lines.once('line', () => {
      lines.close();
      done();
    });
  });

  const db = new Client({ connectionString: options.databaseUrl });
  await db.connect();
  await db.query('BEGIN');
  const rows = await db.query<{ id: number; api_key: string }>(
    'UPDATE environments SET updated_at = clock_timestamp() WHERE id = $1 RETURNING id, api_key',
    [options.environmentId],
  );
  await db.query('SELECT pg_notify($1, $2)', [
    'flagport_environment_changed',
    JSON.stringify({
      environment_ids: rows.rows.map((r) => r.id),
      api_keys: rows.rows.map((r) => r.api_key),
    }),
  ]);
  committedAt = performance.now();
  await db.query('COMMIT');
  await db.end();

  const timeout = new Promise<void>((done) => setTimeout(done, options.timeoutMs).unref());
  await Promise.race([everyone, timeout]);
  const times = streams
    .map((s) => s.deliveredAt)
    .filter((t): t is number => t !== undefined)
    .map((t) => t - committedAt)
    .sort((a, b) => a - b);
  for (const stream of streams) stream.response?.destroy();
  agent.destroy();
  return {
    streams: streams.length,
    connected: streams.filter((s) => s.events > 0).length,
    delivered: times.length,
    openSeconds,
    allMs: times.length === streams.length ? Math.round(times[times.length - 1]) : -1,
    p50Ms: times.length ? Math.round(times[Math.floor(times.length / 2)]) : -1,
  };
}

if (require.main === module) {
  const options = JSON.parse(process.argv[2]) as FanoutOptions;
  run(options).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    },
  );
}
