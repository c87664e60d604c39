/**
 * Engine throughput (issue 20 item 4): evaluations per second of this engine and of the engine inside npm
 * `flagsmith-nodejs` (the oracle of libs/engine/src/engine.oracle.spec.ts) on the same inputs, in the same process,
 * one after the other, so that both see the same machine. `npm run bench` prints it after the engine
 * micro-benchmark; alone: `npx ts-node --transpile-only bench/engine-throughput.ts` (BENCH_ENGINE_MS: time per row
 * and engine, default 1500).
 *
 * Rows:
 * - the upstream cases (libs/engine/testdata): each a whole evaluation context, `evaluate(context)` against the
 *   oracle's `getEvaluationResult(context)`;
 * - an environment document the size of the bench dataset (50 features, 10 of them multivariate, 10 traits per
 *   identity) with 20, 200 and 1 000 segments of mixed operators, evaluated per identity as the SDKs do in local
 *   evaluation: ours with the document compiled once (`getIdentityFlags`), the oracle building its context from
 *   the environment model built once, as flagsmith-nodejs does per `getIdentityFlags` call.
 */
import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  evaluate,
  getIdentityFlags,
  type DocumentFeatureState,
  type DocumentSegment,
  type EnvironmentDocument,
  type EvaluationContext,
  type TraitValue,
} from '../libs/engine/src';

export interface ThroughputRow {
  readonly name: string;
  readonly oursPerSecond: number;
  readonly oraclePerSecond: number;
  /** ours ÷ oracle; the target is ≥ 2. */
  readonly ratio: number;
}

interface OracleModules {
  getEvaluationResult(context: unknown): unknown;
  getEvaluationContext(environment: object, identity?: object): unknown;
  buildEnvironmentModel(document: unknown): { readonly apiKey: string };
  IdentityModel: new (
    createdDate: string,
    traits: readonly object[],
    features: readonly object[],
    environmentApiKey: string,
    identifier: string,
  ) => object;
  TraitModel: new (key: string, value: unknown) => object;
}

function loadOracle(): OracleModules {
  const require = createRequire(__filename);
  const base = dirname(require.resolve('flagsmith-nodejs'));
  const load = (relative: string) => require(join(base, relative)) as Record<string, unknown>;
  return {
    ...load('flagsmith-engine/index.js'),
    ...load('flagsmith-engine/evaluation/evaluationContext/mappers.js'),
    ...load('flagsmith-engine/environments/util.js'),
  } as unknown as OracleModules;
}

const MS_PER_ROW = Number(process.env.BENCH_ENGINE_MS ?? 1500);

/** Calls `once` over the inputs in rounds for `ms` (after one warm-up round); evaluations per second. */
function perSecond<T>(inputs: readonly T[], once: (input: T) => unknown, ms: number): number {
  let sink = 0;
  for (const input of inputs) sink += once(input) ? 1 : 0;
  let n = 0;
  const started = performance.now();
  let elapsed = 0;
  do {
    for (const input of inputs) sink += once(input) ? 1 : 0;
    n += inputs.length;
    elapsed = performance.now() - started;
  } while (elapsed < ms);
  if (sink < 0) throw new Error('unreachable'); // keeps the results alive
  return (n / elapsed) * 1000;
}

function row(name: string, ours: () => number, oracle: () => number): ThroughputRow {
  const oursPerSecond = ours();
  const oraclePerSecond = oracle();
  return { name, oursPerSecond, oraclePerSecond, ratio: oursPerSecond / oraclePerSecond };
}

function upstreamContexts(): EvaluationContext[] {
  const dir = join(__dirname, '../libs/engine/testdata/test_cases');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json') || file.endsWith('.jsonc'))
    .map((file) => {
      // The .jsonc cases carry // comments on their own lines.
      const text = readFileSync(join(dir, file), 'utf8').replace(/^\s*\/\/.*$/gm, '');
      return (JSON.parse(text) as { context: EvaluationContext }).context;
    });
}

/** A small deterministic generator (the bench dataset uses seed 42 too). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PLANS = ['free', 'pro', 'enterprise'];

/** Segment i: one of seven condition shapes, some nested, each overriding two features. */
function segment(i: number, features: number): DocumentSegment {
  const shapes = [
    { operator: 'EQUAL', property_: 'plan', value: PLANS[i % 3] },
    { operator: 'GREATER_THAN', property_: 'age', value: String(18 + (i % 50)) },
    { operator: 'CONTAINS', property_: 'email', value: `@d${i % 7}.example` },
    { operator: 'REGEX', property_: 'email', value: `^u${i % 10}[0-9]*@` },
    { operator: 'IN', property_: 'country', value: 'de,fr,es,it' },
    { operator: 'PERCENTAGE_SPLIT', property_: null, value: String(10 + (i % 80)) },
    { operator: 'IS_SET', property_: `flag_${i % 5}`, value: null },
  ];
  const condition = shapes[i % shapes.length];
  const override = (f: number): DocumentFeatureState => ({
    feature: { id: f + 1, name: `feature_${f}`, type: 'STANDARD' },
    enabled: i % 2 === 0,
    django_id: 100_000 + i * 10 + f,
    feature_segment: { priority: i },
    feature_state_value: `segment_${i}`,
  });
  return {
    id: i + 1,
    name: `segment_${i}`,
    rules: [
      {
        type: 'ALL',
        conditions: [],
        rules: [
          { type: i % 4 === 0 ? 'ANY' : 'ALL', conditions: [condition], rules: [] },
          ...(i % 3 === 0
            ? [
                {
                  type: 'NONE',
                  conditions: [{ operator: 'EQUAL', property_: 'beta', value: 'true' }],
                  rules: [],
                },
              ]
            : []),
        ],
      },
    ],
    feature_states: [override(i % features), override((i * 7 + 3) % features)],
  };
}

/** The bench dataset's shape (test/support/seed-dataset REALISTIC_DATASET) with `segments` segments. */
function datasetDocument(segments: number): EnvironmentDocument {
  const features = 50;
  const multivariate = 10;
  const featureStates: DocumentFeatureState[] = Array.from({ length: features }, (_, f) => ({
    feature: { id: f + 1, name: `feature_${f}`, type: f < multivariate ? 'MULTIVARIATE' : 'STANDARD' },
    enabled: f % 3 !== 0,
    django_id: f + 1,
    feature_state_value: f % 2 ? `value_${f}` : f,
    multivariate_feature_state_values:
      f < multivariate
        ? [0, 1, 2].map((v) => ({
            id: f * 10 + v,
            percentage_allocation: 30,
            multivariate_feature_option: { id: f * 10 + v, value: `variant_${v}` },
          }))
        : [],
  }));
  return {
    id: 1,
    api_key: 'BenchEnvironmentKey0000',
    name: 'Production',
    project: {
      id: 1,
      name: 'Seeded Project',
      hide_disabled_flags: false,
      // The oracle's model builder reads the organisation.
      ...({
        organisation: {
          id: 1,
          name: 'Seeded Org',
          feature_analytics: false,
          stop_serving_flags: false,
          persist_trait_data: true,
        },
      } as object),
      segments: Array.from({ length: segments }, (_, i) => segment(i, features)),
    },
    feature_states: featureStates,
    identity_overrides: [],
  };
}

function identities(count: number): { identifier: string; traits: Record<string, TraitValue> }[] {
  const rand = prng(42);
  return Array.from({ length: count }, (_, i) => ({
    identifier: `user_${i}`,
    traits: {
      plan: PLANS[Math.floor(rand() * 3)],
      age: Math.floor(rand() * 80),
      email: `u${i}@d${i % 7}.example`,
      country: ['de', 'fr', 'us', 'jp'][i % 4],
      beta: rand() < 0.3,
      score: rand() * 100,
      version: `1.${i % 10}.0`,
      company_id: i % 97,
      ...(i % 2 ? { flag_1: 'x' } : {}),
      ...(i % 3 ? { flag_2: true } : { flag_3: 1 }),
    },
  }));
}

/**
 * Both engines give every identity the same enabled state and value for every feature (else the rows would time
 * different work); returns how many of those flags came from a segment override, to show segments do match.
 */
function agreeOnFlags(
  document: EnvironmentDocument,
  people: ReturnType<typeof identities>,
  oracleIdentities: readonly object[],
  oracle: OracleModules,
  environment: object,
): number {
  let fromSegments = 0;
  people.forEach((p, i) => {
    const theirs = (
      oracle.getEvaluationResult(oracle.getEvaluationContext(environment, oracleIdentities[i])) as {
        flags: Record<string, { enabled: boolean; value: unknown }>;
      }
    ).flags;
    for (const flag of getIdentityFlags(document, p.identifier, p.traits)) {
      const other = theirs[flag.featureName];
      if (!other || other.enabled !== flag.enabled || other.value !== flag.value)
        throw new Error(`engines disagree on ${flag.featureName} for ${p.identifier}`);
      if (flag.source === 'SEGMENT') fromSegments++;
    }
  });
  return fromSegments;
}

export function runEngineThroughput(ms = MS_PER_ROW): ThroughputRow[] {
  const oracle = loadOracle();
  const contexts = upstreamContexts();
  const rows: ThroughputRow[] = [
    row(
      `upstream cases (${contexts.length} contexts)`,
      () => perSecond(contexts, (c) => evaluate(c), ms),
      () => perSecond(contexts, (c) => oracle.getEvaluationResult(c), ms),
    ),
  ];
  const people = identities(200);
  for (const segments of [20, 200, 1000]) {
    const document = datasetDocument(segments);
    const environment = oracle.buildEnvironmentModel(document);
    const oracleIdentities = people.map(
      (p) =>
        new oracle.IdentityModel(
          '0',
          Object.entries(p.traits).map(([key, value]) => new oracle.TraitModel(key, value)),
          [],
          environment.apiKey,
          p.identifier,
        ),
    );
    const segmentHits = agreeOnFlags(document, people, oracleIdentities, oracle, environment);
    rows.push(
      row(
        `dataset, ${segments} segments (${segmentHits} segment flags), identity with 10 traits`,
        () => perSecond(people, (p) => getIdentityFlags(document, p.identifier, p.traits), ms),
        () =>
          perSecond(
            oracleIdentities,
            (identity) => oracle.getEvaluationResult(oracle.getEvaluationContext(environment, identity)),
            ms,
          ),
      ),
    );
  }
  return rows;
}

export function formatThroughputRows(rows: readonly ThroughputRow[]): string {
  const lines = rows.map(
    (r) =>
      `  ${r.name.padEnd(64)} ours ${Math.round(r.oursPerSecond).toLocaleString('en').padStart(10)}/s` +
      `  flagsmith-nodejs ${Math.round(r.oraclePerSecond).toLocaleString('en').padStart(10)}/s` +
      `  ratio ${r.ratio.toFixed(2)}`,
  );
  return ['engine throughput (evaluations per second, target ratio ≥ 2):', ...lines].join('\n');
}

if (require.main === module) process.stdout.write(`${formatThroughputRows(runEngineThroughput())}\n`);
