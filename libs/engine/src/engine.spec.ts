import { evaluate } from './engine';
import { hashedPercentage } from './hashing';
import type {
  EvaluationContext,
  FeatureContext,
  SegmentCondition,
  SegmentContext,
  SegmentRule,
} from './types';

const ENVIRONMENT = { key: 'env', name: 'Production' };
const IDENTITY = { identifier: 'user', traits: { plan: 'pro', age: 30 } };

const yes: SegmentCondition = { property: 'plan', operator: 'EQUAL', value: 'pro' };
const no: SegmentCondition = { property: 'plan', operator: 'EQUAL', value: 'free' };

function segment(key: string, rules: SegmentRule[], overrides: FeatureContext[] = []): SegmentContext {
  return { key, name: `segment_${key}`, rules, overrides, metadata: { id: Number(key) } };
}

function matchedNames(segments: SegmentContext[], identity = IDENTITY): string[] {
  const context: EvaluationContext = {
    environment: ENVIRONMENT,
    identity,
    segments: Object.fromEntries(segments.map((s) => [s.key, s])),
  };
  return evaluate(context).segments.map((s) => s.name);
}

const ruleMatches = (rule: SegmentRule): boolean => matchedNames([segment('1', [rule])]).length === 1;

describe('rules', () => {
  it('ALL → every condition must match', () => {
    expect(ruleMatches({ type: 'ALL', conditions: [yes, yes] })).toBe(true);
    expect(ruleMatches({ type: 'ALL', conditions: [yes, no] })).toBe(false);
  });

  it('ANY → at least one condition must match', () => {
    expect(ruleMatches({ type: 'ANY', conditions: [no, yes] })).toBe(true);
    expect(ruleMatches({ type: 'ANY', conditions: [no, no] })).toBe(false);
  });

  it('NONE → no condition may match', () => {
    expect(ruleMatches({ type: 'NONE', conditions: [no, no] })).toBe(true);
    expect(ruleMatches({ type: 'NONE', conditions: [no, yes] })).toBe(false);
  });

  it('conditions and sub-rules → quantifier applied to each side separately, then AND', () => {
    // ANY over conditions (true) AND ANY over sub-rules (one true) → match
    expect(
      ruleMatches({
        type: 'ANY',
        conditions: [yes, no],
        rules: [{ type: 'ALL', conditions: [no] }, { type: 'ALL' }],
      }),
    ).toBe(true);
    // ALL conditions true, but the sub-rule fails → no match
    expect(ruleMatches({ type: 'ALL', conditions: [yes], rules: [{ type: 'ALL', conditions: [no] }] })).toBe(
      false,
    );
  });

  it('nested NONE inside ALL → exclusion group', () => {
    const rule: SegmentRule = {
      type: 'ALL',
      rules: [
        { type: 'ANY', conditions: [yes] },
        { type: 'NONE', conditions: [{ property: 'age', operator: 'LESS_THAN', value: '18' }] },
      ],
    };
    expect(ruleMatches(rule)).toBe(true);
    expect(
      matchedNames([segment('1', [rule])], { identifier: 'kid', traits: { plan: 'pro', age: 12 } }),
    ).toEqual([]);
  });

  it('empty rule (no conditions, no sub-rules) → matches, whatever its type', () => {
    expect(ruleMatches({ type: 'ANY' })).toBe(true);
    expect(ruleMatches({ type: 'SOMETIMES', conditions: [], rules: [] })).toBe(true);
  });

  it('unknown rule type with conditions → no match', () => {
    expect(ruleMatches({ type: 'SOMETIMES', conditions: [yes] })).toBe(false);
  });

  it('segment without rules → never matches', () => {
    expect(matchedNames([segment('1', [])])).toEqual([]);
  });

  it('segment with several top-level rules → all must match', () => {
    expect(
      matchedNames([
        segment('1', [
          { type: 'ALL', conditions: [yes] },
          { type: 'ALL', conditions: [no] },
        ]),
      ]),
    ).toEqual([]);
  });

  it('matched segments → reported in context order with their metadata', () => {
    const context: EvaluationContext = {
      environment: ENVIRONMENT,
      identity: IDENTITY,
      segments: {
        '2': segment('2', [{ type: 'ALL', conditions: [yes] }]),
        '1': segment('1', [{ type: 'ALL' }]),
      },
    };
    expect(evaluate(context).segments).toEqual([
      { name: 'segment_1', metadata: { id: 1 } },
      { name: 'segment_2', metadata: { id: 2 } },
    ]);
  });

  it('no identity → no segment is evaluated', () => {
    const context: EvaluationContext = {
      environment: ENVIRONMENT,
      segments: { '1': segment('1', [{ type: 'ALL' }]) },
    };
    expect(evaluate(context).segments).toEqual([]);
  });
});

describe('flags', () => {
  const feature: FeatureContext = {
    key: '10',
    name: 'banner',
    enabled: false,
    value: 'default',
    metadata: { id: 7 },
  };
  const override = (value: string, priority?: number): FeatureContext => ({
    key: `o_${value}`,
    name: 'banner',
    enabled: true,
    value,
    priority,
  });

  function flagFor(segments: SegmentContext[], features: FeatureContext[] = [feature]) {
    return evaluate({
      environment: ENVIRONMENT,
      identity: IDENTITY,
      features: Object.fromEntries(features.map((f) => [f.name, f])),
      segments: Object.fromEntries(segments.map((s) => [s.key, s])),
    }).flags.banner;
  }
  const always: SegmentRule[] = [{ type: 'ALL' }];

  it('no override → environment default, reason DEFAULT, metadata passed through', () => {
    expect(flagFor([])).toEqual({
      name: 'banner',
      enabled: false,
      value: 'default',
      reason: 'DEFAULT',
      variant: null,
      metadata: { id: 7 },
    });
  });

  it('matched segment override → override value, reason names the segment', () => {
    expect(flagFor([segment('1', always, [override('seg')])])).toEqual({
      name: 'banner',
      enabled: true,
      value: 'seg',
      reason: 'TARGETING_MATCH; segment=segment_1',
      variant: null,
    });
  });

  it('several overrides → lowest priority number wins', () => {
    const flag = flagFor([
      segment('1', always, [override('weak', 5)]),
      segment('2', always, [override('strong', 0)]),
    ]);
    expect(flag.value).toBe('strong');
  });

  it('equal priorities → first segment in context order wins', () => {
    const flag = flagFor([
      segment('1', always, [override('first', 1)]),
      segment('2', always, [override('second', 1)]),
    ]);
    expect(flag.value).toBe('first');
  });

  it('override without priority → loses to any prioritised override', () => {
    const flag = flagFor([
      segment('1', always, [override('none')]),
      segment('2', always, [override('nine', 9)]),
    ]);
    expect(flag.value).toBe('nine');
  });

  it('override for a feature absent from the context → not emitted', () => {
    const other = { ...override('x'), name: 'other' };
    expect(
      Object.keys(
        evaluate({
          environment: ENVIRONMENT,
          identity: IDENTITY,
          features: { banner: feature },
          segments: { '1': segment('1', always, [other]) },
        }).flags,
      ),
    ).toEqual(['banner']);
  });
});

describe('multivariate', () => {
  const identityKey = 'env_user';
  const percentage = hashedPercentage(['mv', identityKey]);

  function mvFlag(variants: FeatureContext['variants'], identity: EvaluationContext['identity'] = IDENTITY) {
    const feature: FeatureContext = { key: 'mv', name: 'mv', enabled: true, value: 'control', variants };
    return evaluate({ environment: ENVIRONMENT, identity, features: { mv: feature } }).flags.mv;
  }

  it('identity inside a variant’s bucket → variant value, SPLIT reason and variant key', () => {
    const flag = mvFlag([{ value: 'blue', weight: 100, priority: 1, key: 'variant_blue' }]);
    expect(flag).toMatchObject({ value: 'blue', reason: 'SPLIT; weight=100', variant: 'variant_blue' });
  });

  it('variant without key → variant null', () => {
    expect(mvFlag([{ value: 'blue', weight: 100 }]).variant).toBeNull();
  });

  it('identity outside every bucket → control value, reason unchanged, variant "control"', () => {
    const flag = mvFlag([{ value: 'blue', weight: 0, key: 'variant_blue' }]);
    expect(flag).toMatchObject({ value: 'control', reason: 'DEFAULT', variant: 'control' });
  });

  it('buckets → laid out in priority order, the identity lands in [start, start + weight)', () => {
    const first = Math.floor(percentage); // bucket [0, first) excludes the identity; the next one starts at `first`
    const flag = mvFlag([
      { value: 'second', weight: 100 - first, priority: 2, key: 'b' },
      { value: 'first', weight: first, priority: 1, key: 'a' },
    ]);
    expect(flag).toMatchObject({ value: 'second', reason: `SPLIT; weight=${100 - first}`, variant: 'b' });
  });

  it('bucket ending exactly at the identity’s percentage → excluded (upper bound exclusive)', () => {
    expect(mvFlag([{ value: 'x', weight: percentage, key: 'x' }]).variant).toBe('control');
  });

  it('fractional weight → rendered as a JavaScript number in the reason', () => {
    expect(
      mvFlag([
        { value: 'x', weight: 99.5, key: 'x' },
        { value: 'y', weight: 0.5, key: 'y' },
      ]).reason,
    ).toMatch(/^SPLIT; weight=(99\.5|0\.5)$/);
  });

  it('no identity → control value, no split, variant null', () => {
    expect(mvFlag([{ value: 'blue', weight: 100, key: 'k' }], null)).toMatchObject({
      value: 'control',
      reason: 'DEFAULT',
      variant: null,
    });
  });

  it('explicit identity key → used for hashing instead of "<env key>_<identifier>"', () => {
    const explicit = hashedPercentage(['mv', 'custom-key']);
    const variants = [{ value: 'in', weight: explicit + 1e-9, key: 'in' }];
    expect(mvFlag(variants, { identifier: 'user', key: 'custom-key' }).variant).toBe('in');
  });
});
