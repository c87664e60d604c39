import { evaluate } from './engine';
import { IDENTITY_OVERRIDE_PRIORITY, MISSING_PRIORITY, overrideWins, winningOverrides } from './precedence';
import type { EvaluationContext, SegmentContext } from './types';

interface Candidate {
  readonly name: string;
  readonly feature: string;
  readonly priority: number;
}

const pick = (candidates: Candidate[]) =>
  Object.fromEntries(
    [
      ...winningOverrides(
        candidates,
        (c) => c.feature,
        (c) => c.priority,
      ),
    ].map(([f, c]) => [f, c.name]),
  );

describe('override precedence', () => {
  it('lower priority → wins, whatever the order it is offered in', () => {
    expect(
      pick([
        { name: 'weak', feature: 'f', priority: 3 },
        { name: 'strong', feature: 'f', priority: 0 },
        { name: 'middle', feature: 'f', priority: 1 },
      ]),
    ).toEqual({ f: 'strong' });
  });

  it('equal priorities → the candidate offered first (the segment matched first) keeps the feature', () => {
    expect(
      pick([
        { name: 'first', feature: 'f', priority: 1 },
        { name: 'second', feature: 'f', priority: 1 },
      ]),
    ).toEqual({ f: 'first' });
  });

  it('identity override → beats a segment override of priority 0; no priority → loses to every other', () => {
    expect(
      pick([
        { name: 'segment', feature: 'f', priority: 0 },
        { name: 'identity', feature: 'f', priority: IDENTITY_OVERRIDE_PRIORITY },
        { name: 'unprioritised', feature: 'g', priority: MISSING_PRIORITY },
        { name: 'prioritised', feature: 'g', priority: 1_000_000 },
      ]),
    ).toEqual({ f: 'identity', g: 'prioritised' });
    expect(overrideWins(MISSING_PRIORITY, MISSING_PRIORITY)).toBe(false);
  });

  it('evaluate: the second matched segment with the lower priority → its override wins', () => {
    const segment = (key: string, priority: number, value: string): SegmentContext => ({
      key,
      name: key,
      rules: [{ type: 'ALL', conditions: [{ property: 'plan', operator: 'EQUAL', value: 'pro' }] }],
      overrides: [{ key: `${key}-fs`, name: 'banner', enabled: true, value, priority }],
    });
    const context: EvaluationContext = {
      environment: { key: 'env', name: 'env' },
      identity: { identifier: 'u', key: 'env_u', traits: { plan: 'pro' } },
      features: { banner: { key: '1', name: 'banner', enabled: true, value: 'default' } },
      segments: { a: segment('a', 2, 'from a'), b: segment('b', 1, 'from b'), c: segment('c', 1, 'from c') },
    };
    expect(evaluate(context).flags.banner).toMatchObject({
      value: 'from b',
      reason: 'TARGETING_MATCH; segment=b',
    });
  });
});
