/**
 * Differential property test: random environment documents / evaluation contexts are evaluated by this
 * engine and by the engine inside npm `flagsmith-nodejs@8.1.2` (the oracle, docs/contracts/engine.md §12); the
 * results must be identical (the oracle has no `variant` field, so ours is dropped before comparing).
 *
 * Reproduce a failure with `FC_SEED=<seed> npx jest libs/engine/src/engine.oracle.spec.ts`.
 */
import { deepStrictEqual } from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { evaluate } from './engine';
import type {
  DocumentFeatureState,
  DocumentIdentityOverride,
  DocumentMultivariateValue,
  DocumentSegment,
  DocumentSegmentCondition,
  DocumentSegmentRule,
  EnvironmentDocument,
} from './environment-document';
import { evaluateDocument, getEnvironmentFlags, getIdentityFlags } from './local-evaluation';
import type {
  EvaluationContext,
  EvaluationResult,
  FeatureContext,
  FeatureValue,
  FeatureVariant,
  SegmentCondition,
  SegmentContext,
  SegmentRule,
  TraitValue,
} from './types';

// ---------------------------------------------------------------------------------------------------
// Oracle: the node SDK's engine, loaded by absolute path (its `exports` map only exposes the root).

interface OracleResult {
  readonly flags: Record<string, Record<string, unknown>>;
  readonly segments: readonly Record<string, unknown>[];
}
interface OracleEngineModule {
  getEvaluationResult(context: unknown): OracleResult;
  IdentityModel: new (
    createdDate: string,
    traits: readonly object[],
    features: readonly object[],
    environmentApiKey: string,
    identifier: string,
  ) => object;
  TraitModel: new (key: string, value: unknown) => object;
}
interface OracleMappersModule {
  getEvaluationContext(
    environment: object,
    identity?: object,
    overrideTraits?: undefined,
    isEnv?: boolean,
  ): unknown;
}
interface OracleEnvironmentModule {
  buildEnvironmentModel(document: unknown): { readonly apiKey: string };
}

const requireFromHere = createRequire(__filename);
const ORACLE_BASE = dirname(requireFromHere.resolve('flagsmith-nodejs'));
const loadOracle = <T>(relative: string): T => requireFromHere(join(ORACLE_BASE, relative)) as T;
const oracleEngine = loadOracle<OracleEngineModule>('flagsmith-engine/index.js');
const oracleMappers = loadOracle<OracleMappersModule>(
  'flagsmith-engine/evaluation/evaluationContext/mappers.js',
);
const oracleEnvironments = loadOracle<OracleEnvironmentModule>('flagsmith-engine/environments/util.js');

interface IdentityCase {
  readonly identifier: string;
  readonly traits: Record<string, TraitValue>;
}

/** Document → result exactly as the SDK computes it in local-evaluation mode (environment model built once). */
function oracleDocumentEvaluator(document: EnvironmentDocument): (identity?: IdentityCase) => OracleResult {
  const environment = oracleEnvironments.buildEnvironmentModel(document);
  return (identity) => {
    if (!identity) {
      return oracleEngine.getEvaluationResult(
        oracleMappers.getEvaluationContext(environment, undefined, undefined, true),
      );
    }
    const traits = Object.entries(identity.traits).map(
      ([key, value]) => new oracleEngine.TraitModel(key, value),
    );
    const model = new oracleEngine.IdentityModel('0', traits, [], environment.apiKey, identity.identifier);
    return oracleEngine.getEvaluationResult(oracleMappers.getEvaluationContext(environment, model));
  };
}

function withoutVariant(result: EvaluationResult): OracleResult {
  const flags: Record<string, Record<string, unknown>> = {};
  for (const [name, flag] of Object.entries(result.flags)) {
    const { variant: _variant, ...rest } = flag;
    flags[name] = rest;
  }
  return { flags, segments: result.segments.map((segment) => ({ ...segment })) };
}

// ---------------------------------------------------------------------------------------------------
// Value pools. Names that collide with Object.prototype members (`constructor`, `__proto__`, …) are left
// out on purpose: the oracle reads them through the prototype chain (a known divergence, see conditions.ts).

// prettier-ignore
const TRAIT_NAMES = [
  'age', 'plan', 'score', 'beta', 'version', 'x', '1', 'a-b', 'tamaño', 'サイズ', 'a.b', 'a b', 'company_id',
  '[$the.size$]', '$.nope', '$.identity.identifier', '$.identity', '$.identity.traits.',
];
// prettier-ignore
const TRAIT_PATHS = [
  'age', 'plan', 'x', '1', 'a-b', 'tamaño', 'a.b', 'a b', 'company_id', 'x.length', 'nope',
];
// prettier-ignore
const PROPERTIES = [
  ...TRAIT_NAMES, ...TRAIT_PATHS.map((name) => `$.identity.traits.${name}`),
  ...TRAIT_PATHS.map((name) => `$.identity.traits['${name}']`), "$.identity.traits['[$the.size$]']",
  '$.identity.identifier', '$.identity.key', '$.environment.name', '$.environment.key', '$.identity',
  '$.identity.traits', '$.identity.traits.', '$.nope', '$.', '$.identity.identifier.length',
  '$.features.f0.value', '$.features.f1.enabled', '$.segments.1.name', "$['identity']['identifier']",
  '$["environment"]["key"]', '$.identity.traits.plan.length', '$.identity.identifier[0]',
  '$. i am not" a valid jsonpath', '',
];
// prettier-ignore
const SPLIT_PROPERTIES = [
  '$.identity.identifier', '$.identity.key', '$.identity.traits.company_id', '$.identity.traits.age',
  '$.identity.traits.score', '$.identity.traits.beta', '$.identity.traits.plan', "$.identity.traits['a b']",
  '$.identity.traits.a b', '$.identity.traits.tamaño', "$.identity.traits['a.b']", '$.identity.traits.a.b',
  'company_id', '$.nope', '$.identity', '$.', '$.environment.name', '$.features.f0.value',
];
// prettier-ignore
const OPERATORS = [
  'EQUAL', 'NOT_EQUAL', 'GREATER_THAN', 'GREATER_THAN_INCLUSIVE', 'LESS_THAN', 'LESS_THAN_INCLUSIVE',
  'CONTAINS', 'NOT_CONTAINS', 'REGEX', 'MODULO', 'IN', 'IS_SET', 'IS_NOT_SET', 'PERCENTAGE_SPLIT',
  'UNKNOWN_OP', 'equal',
];
// prettier-ignore
const STRING_VALUES = [
  '', 'a', 'abc', 'pro', 'free', 'user_1', 'user_2', '0', '1', '10', '-3', '2.5', '1e3', ' 5', '100', '40',
  '0x10', 'true', 'false', 'True', 'False', 'null', 'tamaño', 'a,b', '1.2.3', 'v1.2.3', ' 1.2.3 ', '1.2',
  '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-beta', '1.0.0-beta.11', '1.0.0-rc.1', '2.0.0', '2.0.0+build.5',
  '1.0.0-01', '=1.2.3',
];
// prettier-ignore
const SEMVER_VALUES = [
  '1.2.3:semver', '1.0.0-beta:semver', 'v2.0.0:semver', '1.2:semver', '1.2.3:semver:semver',
  '1.0.0-alpha.1:semver', '2.0.0+build:semver', '1.0.0:semver', ' 1.2.3:semver', 'abc:semver',
  '1.0.0-beta.2:semver', '1.0.0-rc.1:semver', '10:semver', '1:semver', '0:semver', ':semver', 'true:semver',
  'a:semverb:semver', '1.2.3:semver ', '1.2.3:semverx',
];
const SUBSTRING_VALUES = ['', 'a', 'b', 'user', '1', ' ', '.', 'Development'];
// prettier-ignore
const REGEX_VALUES = [
  '^a', '[', '\\d+', '(a|b)', '.*', 'A', '^1', 'e$', '(?<x>a)\\k<x>', '[a-', 'true', '^$',
];
// prettier-ignore
const MODULO_VALUES = [
  '2|0', '3|1', '0|0', '2|', 'a|1', '2.5|0.5', '-2|-1', '2|0|1', '10|0', '3|-1', '|', '4|4',
];
// prettier-ignore
const IN_VALUES = [
  '[]', '[""]', 'a,b,c', '1,2,3', '["a","1"]', '[1,2]', '["user_1"]', 'user_1,user_2', 'a, b', '2.5,10', '[',
  '"a"',
];
// prettier-ignore
const CONDITION_VALUES = [
  ...STRING_VALUES, ...SEMVER_VALUES, ...REGEX_VALUES, ...MODULO_VALUES, ...IN_VALUES, '50', '33.3', '-1',
  '99.99', '0.001',
];
const VALUES_BY_OPERATOR: Readonly<Record<string, readonly string[]>> = {
  REGEX: REGEX_VALUES,
  MODULO: MODULO_VALUES,
  IN: IN_VALUES,
  EQUAL: SEMVER_VALUES,
  NOT_EQUAL: SEMVER_VALUES,
  GREATER_THAN: SEMVER_VALUES,
  GREATER_THAN_INCLUSIVE: SEMVER_VALUES,
  LESS_THAN: SEMVER_VALUES,
  LESS_THAN_INCLUSIVE: SEMVER_VALUES,
  CONTAINS: [...SEMVER_VALUES, ...SUBSTRING_VALUES],
  NOT_CONTAINS: SUBSTRING_VALUES,
};
const IDENTIFIERS = ['user_1', 'user_2', 'a', 'b', 'a,b', '["a"]', 'Ünï', 'id with space', '1', '0', ''];
const FEATURE_NAMES = ['f0', 'f1', 'f2', 'f3', '123', '7', 'Ünï feature', 'a b'];
const SEGMENT_NAMES = ['seg_a', 'seg_b', 'beta users', 'identity_overrides'];
const SEGMENT_IDS = [1, 2, 3, 5, 8, 13, 100, 0, -1, 4294967294, 4294967295, 4294967296];
const RULE_TYPES = ['ALL', 'ALL', 'ANY', 'ANY', 'NONE', 'BOGUS'];

const traitValueArb: fc.Arbitrary<TraitValue> = fc.oneof(
  { arbitrary: fc.constantFrom(...STRING_VALUES), weight: 4 },
  { arbitrary: fc.integer({ min: -20, max: 120 }), weight: 3 },
  {
    arbitrary: fc.constantFrom(0, -0, 1, 2, 10, 1e21, 2 ** 53, -1.5, 0.5, 2.5, 100, 33.3, NaN, Infinity),
    weight: 2,
  },
  { arbitrary: fc.double(), weight: 1 },
  { arbitrary: fc.boolean(), weight: 2 },
  { arbitrary: fc.constant(null), weight: 1 },
  { arbitrary: fc.string({ maxLength: 6 }), weight: 1 },
);
const traitsArb = fc.dictionary(fc.constantFrom(...TRAIT_NAMES), traitValueArb, { maxKeys: 7 });
const identityArb: fc.Arbitrary<IdentityCase> = fc.record({
  identifier: fc.constantFrom(...IDENTIFIERS),
  traits: traitsArb,
});

const featureValueArb: fc.Arbitrary<FeatureValue> = fc.oneof(
  fc.constantFrom('control', 'on', '', 'a'),
  fc.integer({ min: -5, max: 1000 }),
  fc.boolean(),
  fc.constant(null),
  fc.double({ noNaN: true, min: -10, max: 10 }),
);
const weightArb = fc.oneof(
  fc.integer({ min: 0, max: 100 }),
  fc.constantFrom(0, 12.5, 33.33, 50, 100, 0.1),
  fc.double({ noNaN: true, min: 0, max: 100 }),
);

function conditionValueArb(operator: string): fc.Arbitrary<string | null> {
  const specific = VALUES_BY_OPERATOR[operator];
  return fc.oneof(
    { arbitrary: fc.constantFrom(...CONDITION_VALUES), weight: 6 },
    { arbitrary: specific ? fc.constantFrom(...specific) : fc.constantFrom(...STRING_VALUES), weight: 4 },
    { arbitrary: traitValueArb.map((v) => String(v)), weight: 2 },
    { arbitrary: fc.constant(null), weight: 1 },
  );
}

interface GeneratedCondition {
  readonly property: string | null;
  readonly operator: string;
  readonly value: string | null;
}

const plainConditionArb: fc.Arbitrary<GeneratedCondition> = fc
  .constantFrom(...OPERATORS.filter((op) => op !== 'PERCENTAGE_SPLIT'))
  .chain((operator) =>
    fc.record({
      property: fc.oneof(
        { arbitrary: fc.constantFrom(...PROPERTIES), weight: 10 },
        { arbitrary: fc.constant(null), weight: 1 },
      ),
      operator: fc.constant(operator),
      value: conditionValueArb(operator),
    }),
  );
const splitConditionArb: fc.Arbitrary<GeneratedCondition> = fc.record({
  property: fc.oneof(
    { arbitrary: fc.constant(null), weight: 3 },
    { arbitrary: fc.constant(''), weight: 1 },
    { arbitrary: fc.constantFrom(...SPLIT_PROPERTIES), weight: 4 },
  ),
  operator: fc.constant('PERCENTAGE_SPLIT'),
  value: fc.oneof(
    fc.constantFrom('0', '50', '100', '33.3', '-1', 'abc', '99.99', '0.001', ''),
    fc.constant(null),
  ),
});
const conditionArb = fc.oneof(
  { arbitrary: plainConditionArb, weight: 6 },
  { arbitrary: splitConditionArb, weight: 1 },
);

const documentConditionArb: fc.Arbitrary<DocumentSegmentCondition> = conditionArb.map(
  ({ property, operator, value }) => ({ property_: property, operator, value }),
);

function documentRuleArb(depth: number): fc.Arbitrary<DocumentSegmentRule> {
  return fc.record({
    type: fc.constantFrom(...RULE_TYPES),
    conditions: fc.array(documentConditionArb, { maxLength: 3 }),
    rules: depth === 0 ? fc.constant([]) : fc.array(documentRuleArb(depth - 1), { maxLength: 2 }),
  });
}

const mvValueArb: fc.Arbitrary<DocumentMultivariateValue> = fc.record({
  id: fc.oneof(
    { arbitrary: fc.integer({ min: 1, max: 60 }), weight: 4 },
    { arbitrary: fc.constant(null), weight: 1 },
  ),
  mv_fs_value_uuid: fc.uuid(),
  percentage_allocation: weightArb,
  multivariate_feature_option: fc.record({
    id: fc.integer({ min: 1, max: 1000 }),
    value: featureValueArb,
    key: fc.option(fc.constantFrom('variant_a', 'variant_b', 'v'), { nil: null }),
  }),
});

function featureStateArb(kind: 'default' | 'segment' | 'identity'): fc.Arbitrary<DocumentFeatureState> {
  return fc.record({
    feature: fc.record({
      id: fc.integer({ min: 1, max: 40 }),
      name: fc.constantFrom(...FEATURE_NAMES),
      type: fc.constantFrom('STANDARD', 'MULTIVARIATE'),
    }),
    enabled: fc.boolean(),
    django_id: fc.oneof(
      { arbitrary: fc.integer({ min: 1, max: 100_000 }), weight: 5 },
      { arbitrary: fc.constant(null), weight: 1 },
    ),
    featurestate_uuid: fc.uuid(),
    feature_segment:
      kind === 'segment'
        ? fc.oneof(
            {
              arbitrary: fc.record({ priority: fc.option(fc.integer({ min: 0, max: 4 }), { nil: null }) }),
              weight: 6,
            },
            { arbitrary: fc.constant(null), weight: 1 },
          )
        : fc.constant(null),
    feature_state_value: featureValueArb,
    multivariate_feature_state_values: fc.oneof(
      { arbitrary: fc.constant([]), weight: 2 },
      { arbitrary: fc.array(mvValueArb, { minLength: 1, maxLength: 4 }), weight: 2 },
    ),
  });
}

const segmentArb: fc.Arbitrary<DocumentSegment> = fc.record({
  id: fc.constantFrom(...SEGMENT_IDS),
  name: fc.constantFrom(...SEGMENT_NAMES),
  rules: fc.array(documentRuleArb(2), { maxLength: 3 }),
  feature_states: fc.array(featureStateArb('segment'), { maxLength: 3 }),
});

const identityOverrideArb: fc.Arbitrary<DocumentIdentityOverride> = fc.record({
  identifier: fc.constantFrom(...IDENTIFIERS),
  identity_features: fc.array(featureStateArb('identity'), { maxLength: 3 }),
});

const documentArb: fc.Arbitrary<EnvironmentDocument> = fc
  .record({
    api_key: fc.constantFrom('B62qaMZNwfiqT76p38ggrQ', 'envKey', 'k'),
    name: fc.constantFrom('Development', 'Prod'),
    segments: fc.array(segmentArb, { maxLength: 5 }),
    feature_states: fc.array(featureStateArb('default'), { maxLength: 6 }),
    identity_overrides: fc.array(identityOverrideArb, { maxLength: 4 }),
  })
  .map(({ api_key, name, segments, feature_states, identity_overrides }) => ({
    id: 1,
    api_key,
    name,
    project: {
      id: 1,
      name: 'project',
      hide_disabled_flags: false,
      organisation: {
        id: 1,
        name: 'org',
        feature_analytics: false,
        stop_serving_flags: false,
        persist_trait_data: true,
      },
      segments,
    },
    feature_states,
    identity_overrides,
  }));

// ---------------------------------------------------------------------------------------------------
// Evaluation-context generator (exercises what documents cannot express: explicit identity keys,
// IN lists as arrays, missing feature keys / metadata, bigint variant priorities, keyed variants).

const contextConditionArb: fc.Arbitrary<SegmentCondition> = fc.oneof(
  { arbitrary: conditionArb, weight: 6 },
  {
    arbitrary: fc.record({
      property: fc.constantFrom(...PROPERTIES),
      operator: fc.constant('IN'),
      value: fc.array(fc.constantFrom(...STRING_VALUES, ...IDENTIFIERS), { maxLength: 4 }),
    }),
    weight: 1,
  },
);

function contextRuleArb(depth: number): fc.Arbitrary<SegmentRule> {
  return fc.record(
    {
      type: fc.constantFrom(...RULE_TYPES),
      conditions: fc.array(contextConditionArb, { maxLength: 3 }),
      rules: depth === 0 ? fc.constant([]) : fc.array(contextRuleArb(depth - 1), { maxLength: 2 }),
    },
    { requiredKeys: ['type'] },
  );
}

const variantArb: fc.Arbitrary<FeatureVariant> = fc.record(
  {
    value: featureValueArb,
    weight: weightArb,
    priority: fc.oneof(
      fc.integer({ min: 0, max: 10 }),
      fc.bigInt({ min: 0n, max: 2n ** 128n }),
      fc.constant(null),
    ),
    key: fc.constantFrom('variant_a', 'variant_b'),
  },
  { requiredKeys: ['value', 'weight'] },
);

function featureContextArb(withPriority: boolean): fc.Arbitrary<FeatureContext> {
  return fc.record(
    {
      key: fc.constantFrom('1', '78986', 'dd77a1ab-08cf-4743-8a3b-19e730444a14', ''),
      name: fc.constantFrom(...FEATURE_NAMES),
      enabled: fc.boolean(),
      value: featureValueArb,
      variants: fc.array(variantArb, { maxLength: 3 }),
      priority: withPriority
        ? fc.oneof(fc.integer({ min: -2, max: 4 }), fc.constant(-Infinity))
        : fc.constant(0),
      metadata: fc.record({ id: fc.integer({ min: 1, max: 40 }) }),
    },
    { requiredKeys: ['name', 'enabled', 'value'] },
  );
}

const segmentContextArb: fc.Arbitrary<SegmentContext> = fc.record(
  {
    key: fc.constantFrom('1', '2', '16', 'seg-x', '4294967296'),
    name: fc.constantFrom(...SEGMENT_NAMES),
    rules: fc.array(contextRuleArb(2), { maxLength: 3 }),
    overrides: fc.array(featureContextArb(true), { maxLength: 3 }),
    metadata: fc.record({ source: fc.constant('api'), id: fc.integer({ min: 1, max: 20 }) }),
  },
  { requiredKeys: ['key', 'name', 'rules'] },
);

const contextArb: fc.Arbitrary<EvaluationContext> = fc.record(
  {
    environment: fc.record({
      key: fc.constantFrom('envKey', 'k'),
      name: fc.constantFrom('Development', 'Prod'),
    }),
    identity: fc.record(
      {
        identifier: fc.constantFrom(...IDENTIFIERS),
        key: fc.constantFrom('32103813', 'envKey_user_1', ''),
        traits: traitsArb,
      },
      { requiredKeys: ['identifier'] },
    ),
    features: fc
      .array(featureContextArb(false), { maxLength: 5 })
      .map((features) => Object.fromEntries(features.map((f) => [f.name, f]))),
    segments: fc
      .array(segmentContextArb, { maxLength: 4 })
      .map((segments) => Object.fromEntries(segments.map((s) => [s.key, s]))),
  },
  { requiredKeys: ['environment'] },
);

// Single conditions with a trait correlated to the condition value, so that every operator is seen
// both matching and not matching for every trait type.

const TRAIT_PATH = /^\$\.identity\.traits(?:\.(.+)|\['(.+)'\])$/;

function relatedValues(value: SegmentCondition['value']): TraitValue[] {
  const text: string = typeof value === 'string' ? value : value ? (value[0] ?? '') : '';
  const bare = text.replace(':semver', '');
  const parts = bare.split(/[,|]/);
  const numbers = parts.map((part) => parseFloat(part));
  return [
    text,
    bare,
    bare.trim(),
    `${bare}x`,
    `x${bare}`,
    bare.toUpperCase(),
    parts[0],
    parts[parts.length - 1],
    ...numbers,
    ...numbers.map((n) => n + 1),
    ...numbers.map((n) => -n),
    // MODULO "<divisor>|<remainder>": multiples of the divisor plus the remainder, as numbers and strings
    ...[-2, 0, 1, 3, 7].map((k) => numbers[0] * k + (numbers[1] ?? 0)),
    ...[1, 4].map((k) => String(numbers[0] * k + (numbers[1] ?? 0))),
    text.toLowerCase() === 'true',
    text.toLowerCase() === 'false',
    !text,
    null,
    '1.2.4',
    '1.2.3-rc.1',
    '0.9.0',
    `v${bare}`,
    `=${bare}`,
    ` ${bare} `,
    `${bare}-rc.1`,
    `${bare}+build.7`,
    `${bare}.0`,
  ].filter((v) => typeof v !== 'number' || !Number.isNaN(v));
}

interface ConditionCase {
  readonly condition: SegmentCondition;
  readonly identity: { identifier: string; key?: string; traits: Record<string, TraitValue> };
}

const conditionCaseArb: fc.Arbitrary<ConditionCase> = contextConditionArb.chain((condition) =>
  fc
    .record({
      identifier: fc.constantFrom(...IDENTIFIERS),
      key: fc.option(fc.constantFrom('32103813', ''), { nil: undefined }),
      traits: traitsArb,
      related: fc.option(fc.constantFrom(...relatedValues(condition.value)), { nil: undefined, freq: 4 }),
    })
    .map(({ identifier, key, traits, related }) => {
      const property = condition.property ?? '';
      const match = TRAIT_PATH.exec(property);
      const traitName = match ? (match[1] ?? match[2]) : property;
      const withRelated = related === undefined || !traitName ? traits : { ...traits, [traitName]: related };
      return {
        condition,
        identity:
          key === undefined ? { identifier, traits: withRelated } : { identifier, key, traits: withRelated },
      };
    }),
);

function singleConditionContext({ condition, identity }: ConditionCase): EvaluationContext {
  return {
    environment: { key: 'envKey', name: 'Development' },
    identity,
    segments: { '16': { key: '16', name: 'segment', rules: [{ type: 'ALL', conditions: [condition] }] } },
  };
}

// ---------------------------------------------------------------------------------------------------

function runProperty<T>(arbitrary: fc.Arbitrary<T>, numRuns: number, check: (value: T) => void): void {
  const seed = process.env.FC_SEED
    ? Number(process.env.FC_SEED)
    : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  try {
    fc.assert(fc.property(arbitrary, check), { numRuns, seed });
  } catch (error) {
    // Errors may come from another realm (node:assert), so read messages structurally.
    const messageOf = (value: unknown): string =>
      typeof value === 'object' && value !== null && 'message' in value
        ? String(value.message)
        : String(value);
    const cause = typeof error === 'object' && error !== null && 'cause' in error ? error.cause : undefined;
    throw new Error(
      `Disagreement with flagsmith-nodejs (seed=${seed}; rerun with FC_SEED=${seed}):\n${messageOf(error)}` +
        (cause === undefined
          ? ''
          : `\n\nOurs vs oracle (actual = ours, expected = oracle):\n${messageOf(cause)}`),
    );
  }
}

describe('engine vs flagsmith-nodejs 8.1.2 engine (differential, fast-check)', () => {
  it('environment document + identity → same flags and segments as the node SDK, for 10 000 random documents', () => {
    runProperty(
      fc.tuple(documentArb, fc.array(identityArb, { minLength: 1, maxLength: 3 })),
      10_000,
      ([doc, ids]) => {
        const oracle = oracleDocumentEvaluator(doc);
        const environmentResult = evaluateDocument(doc);
        deepStrictEqual(withoutVariant(environmentResult), oracle());
        deepStrictEqual(
          getEnvironmentFlags(doc).map((f) => [f.featureName, f.value, f.reason, f.variant]),
          Object.values(environmentResult.flags).map((f) => [f.name, f.value, f.reason, f.variant]),
        );
        for (const identity of ids) {
          const ours = evaluateDocument(doc, identity);
          deepStrictEqual(withoutVariant(ours), oracle(identity));
          const flags = getIdentityFlags(doc, identity.identifier, identity.traits);
          deepStrictEqual(
            flags.map((f) => [f.featureName, f.enabled, f.value, f.reason, f.variant]),
            Object.values(ours.flags).map((f) => [f.name, f.enabled, f.value, f.reason, f.variant]),
          );
        }
      },
    );
  }, 120_000);

  it('evaluation context → same flags and segments as the node SDK, for 5 000 random contexts', () => {
    runProperty(contextArb, 5_000, (context) => {
      deepStrictEqual(withoutVariant(evaluate(context)), oracleEngine.getEvaluationResult(context));
    });
  }, 120_000);

  it('single condition + correlated trait → same segment match as the node SDK, for 20 000 random conditions', () => {
    runProperty(conditionCaseArb, 20_000, (testCase) => {
      const context = singleConditionContext(testCase);
      deepStrictEqual(evaluate(context).segments, oracleEngine.getEvaluationResult(context).segments);
    });
  }, 120_000);
});
