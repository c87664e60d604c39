import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { evaluate } from './engine';
import type { EvaluationContext, EvaluationResult } from './types';

/** Upstream engine test cases (Flagsmith/engine-test-data v3.9.0), copied unmodified: see libs/engine/testdata/README.md. */
const TEST_DATA_DIR = resolve(__dirname, '../testdata/test_cases');

/** Removes `//` and `/* *\/` comments outside string literals (JSONC → JSON). */
function stripJsonComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') {
      const start = i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      out += text.slice(start, ++i);
    } else if (ch === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (ch === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 2;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

interface TestCase {
  readonly context: EvaluationContext;
  readonly result: EvaluationResult;
}

const files = readdirSync(TEST_DATA_DIR)
  .filter((name) => name.startsWith('test_') && /\.jsonc?$/.test(name))
  .sort();

describe('engine test data (docs/contracts/engine.md, Flagsmith engine-test-data)', () => {
  it('finds all 199 upstream cases', () => {
    expect(files).toHaveLength(199);
  });

  it.each(files)('%s → evaluation result equals the expected result', (name) => {
    const testCase = JSON.parse(
      stripJsonComments(readFileSync(join(TEST_DATA_DIR, name), 'utf8')),
    ) as TestCase;

    const result = evaluate(testCase.context);

    expect(result).toStrictEqual(testCase.result);
  });
});

describe('stripJsonComments', () => {
  it('strips line and block comments → keeps comment-like text inside strings', () => {
    const text = '// head\n{"a": "x // y /* z */", /* c */ "b": "q\\"//"} // tail';
    expect(JSON.parse(stripJsonComments(text))).toEqual({ a: 'x // y /* z */', b: 'q"//' });
  });
});
