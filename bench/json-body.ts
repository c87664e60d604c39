/**
 * `npx ts-node --transpile-only bench/json-body.ts`: what the unsafe-text check (NUL, lone surrogates) costs the
 * JSON body parser, per body: a plain JSON.parse against parseJsonBody, on the POST /api/v1/identities/ body of
 * `npm run bench` (10 traits), on the same body with an escaped emoji (the check then walks the parsed value)
 * and on a 100 kB body. Prints ns per parse, the median of 7 rounds.
 */
import { parseJsonBody } from '../src/http/body-parsers';

const traits = Array.from({ length: 10 }, (_, i) => ({
  trait_key: `trait_${i}`,
  trait_value: i % 3 === 0 ? i : i % 3 === 1 ? `value ${i}` : i % 2 === 0,
}));
const BODIES: Record<string, string> = {
  'POST /identities/ (10 traits)': JSON.stringify({ identifier: 'transient_1', transient: true, traits }),
  'same, one escaped emoji (walks)': JSON.stringify({
    identifier: 'transient_1',
    transient: true,
    traits: [...traits, { trait_key: 'mood', trait_value: '\\ud83d\\ude00' }],
  }).replace(/\\\\u/g, '\\u'),
  '100 kB body': JSON.stringify({
    name: 'x',
    items: Array.from({ length: 2000 }, (_, i) => ({ k: `key ${i}`, v: 'y'.repeat(30) })),
  }),
};

function nsPerCall(fn: () => unknown, iterations: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / iterations;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

for (const [name, text] of Object.entries(BODIES)) {
  const iterations = text.length > 10_000 ? 2_000 : 200_000;
  const plain: number[] = [];
  const checked: number[] = [];
  for (let round = 0; round < 7; round++) {
    plain.push(nsPerCall(() => JSON.parse(text), iterations));
    checked.push(nsPerCall(() => parseJsonBody(text), iterations));
  }
  const [p, c] = [median(plain), median(checked)];
  console.log(
    `${name.padEnd(34)} ${String(text.length).padStart(7)} B  JSON.parse ${p.toFixed(0).padStart(7)} ns  parseJsonBody ${c.toFixed(0).padStart(7)} ns  (+${(c - p).toFixed(0)} ns)`,
  );
}
