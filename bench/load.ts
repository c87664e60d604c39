/**
 * Drives one scenario with autocannon and prints its result as one JSON line. Runs in its own process so the
 * load generator does not share an event loop with the runner.
 */
import autocannon from 'autocannon';

export interface Scenario {
  readonly name: string;
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers: Record<string, string>;
  /** Rotated per request: query strings appended to `url`, or request bodies for POST. */
  readonly variants?: readonly string[];
  readonly connections: number;
  readonly seconds: number;
}

export interface LoadResult {
  readonly name: string;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly total: number;
}

async function run(scenario: Scenario): Promise<LoadResult> {
  let next = 0;
  const variants = scenario.variants ?? [];
  const result = await autocannon({
    url: scenario.url,
    method: scenario.method,
    headers: scenario.headers,
    connections: scenario.connections,
    duration: scenario.seconds,
    requests:
      variants.length === 0
        ? undefined
        : [
            {
              setupRequest: (request) => {
                const variant = variants[next++ % variants.length];
                return scenario.method === 'GET'
                  ? { ...request, path: `${new URL(scenario.url).pathname}${variant}` }
                  : { ...request, body: variant };
              },
            },
          ],
  });
  return {
    name: scenario.name,
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    total: result.requests.total,
  };
}

const scenario = JSON.parse(process.argv[2]) as Scenario;
run(scenario).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  },
);
