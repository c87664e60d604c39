/**
 * Engine micro-benchmark (no server): µs per `evaluate()` of a context with one segment whose single condition
 * is the row's, against a trait value. `npm run bench` prints it first; alone:
 * `npx ts-node --transpile-only bench/engine.ts`. BENCH_REGEX_ATTACK_LENGTH sets the length of the text of the
 * `^(a+)+$` row (default 10 000; keep it under ~25 on a backtracking engine, which needs minutes from 30 on).
 */
import { evaluate, type EvaluationContext, type TraitValue } from '../libs/engine/src';

export interface EngineRow {
  readonly name: string;
  readonly usPerEvaluation: number;
  readonly matched: boolean;
}

interface EngineCase {
  readonly name: string;
  readonly operator: string;
  readonly value: string;
  readonly traits: readonly TraitValue[];
}

const attackLength = Number(process.env.BENCH_REGEX_ATTACK_LENGTH ?? 10_000);

const CASES: readonly EngineCase[] = [
  { name: 'EQUAL (comparison row)', operator: 'EQUAL', value: 'pro', traits: ['pro', 'free'] },
  {
    name: 'REGEX @example\\.com$, short traits',
    operator: 'REGEX',
    value: '@example\\.com$',
    traits: ['alice@example.com', 'bob@other.org'],
  },
  {
    name: 'REGEX ^user_\\d+$, short traits',
    operator: 'REGEX',
    value: '^user_\\d+$',
    traits: ['user_123', 'admin'],
  },
  {
    name: `REGEX ^(a+)+$, ${attackLength} characters`,
    operator: 'REGEX',
    value: '^(a+)+$',
    traits: [`${'a'.repeat(attackLength - 1)}!`],
  },
];

function contextFor(c: EngineCase, trait: TraitValue): EvaluationContext {
  return {
    environment: { key: 'env', name: 'Production' },
    identity: { identifier: 'user', traits: { trait } },
    segments: {
      '1': {
        key: '1',
        name: 'segment',
        rules: [{ type: 'ALL', conditions: [{ property: 'trait', operator: c.operator, value: c.value }] }],
      },
    },
  };
}

/** Runs each case for at least `minMs` (after a warm-up) and returns µs per evaluation. */
export function runEngineBench(minMs = 500): EngineRow[] {
  return CASES.map((c) => {
    const contexts = c.traits.map((t) => contextFor(c, t));
    let matched = false;
    for (const context of contexts) matched = evaluate(context).segments.length > 0 || matched;
    let n = 0;
    const started = performance.now();
    let elapsed = 0;
    do {
      for (const context of contexts) evaluate(context);
      n += contexts.length;
      elapsed = performance.now() - started;
    } while (elapsed < minMs);
    return { name: c.name, usPerEvaluation: (elapsed * 1000) / n, matched };
  });
}

export function formatEngineRows(rows: readonly EngineRow[]): string {
  const width = Math.max(...rows.map((r) => r.name.length));
  const lines = rows.map(
    (r) =>
      `| ${r.name.padEnd(width)} | ${r.usPerEvaluation.toFixed(2).padStart(10)} | ${String(r.matched).padEnd(7)} |`,
  );
  return [
    `| ${'engine case'.padEnd(width)} | µs / eval  | matched |`,
    `|${'-'.repeat(width + 2)}|------------|---------|`,
    ...lines,
  ].join('\n');
}

if (require.main === module) process.stdout.write(`${formatEngineRows(runEngineBench())}\n`);
