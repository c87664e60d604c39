import type { DocumentFeatureState, DocumentSegment, EnvironmentDocument } from './environment-document';
import { hashedPercentage } from './hashing';
import {
  compileEnvironment,
  evaluateDocument,
  getEnvironmentFlags,
  getEvaluationContext,
  getIdentityFlags,
  getIdentitySegments,
} from './local-evaluation';

const API_KEY = 'B62qaMZNwfiqT76p38ggrQ';

function featureState(
  name: string,
  value: string,
  options: Partial<DocumentFeatureState> & { featureId?: number } = {},
): DocumentFeatureState {
  const { featureId = name.length, ...rest } = options;
  return {
    feature: { id: featureId, name, type: 'STANDARD' },
    enabled: true,
    django_id: 100,
    featurestate_uuid: 'dd77a1ab-08cf-4743-8a3b-19e730444a14',
    feature_segment: null,
    feature_state_value: value,
    multivariate_feature_state_values: [],
    ...rest,
  };
}

const proSegment: DocumentSegment = {
  id: 5,
  name: 'pro_users',
  rules: [
    {
      type: 'ALL',
      rules: [
        { type: 'ANY', rules: [], conditions: [{ operator: 'EQUAL', property_: 'plan', value: 'pro' }] },
      ],
      conditions: [],
    },
  ],
  feature_states: [
    featureState('banner', 'pro banner', { django_id: 200, feature_segment: { priority: 1 } }),
  ],
};

function documentWith(overrides: Partial<EnvironmentDocument> = {}): EnvironmentDocument {
  return {
    api_key: API_KEY,
    name: 'Development',
    project: { segments: [proSegment] },
    feature_states: [featureState('banner', 'default banner'), featureState('flag', 'x')],
    identity_overrides: [
      { identifier: 'vip', identity_features: [featureState('banner', 'vip banner', { django_id: 300 })] },
    ],
    ...overrides,
  };
}

describe('getEnvironmentFlags', () => {
  it('document → environment defaults only (no segments, no identity overrides)', () => {
    const flags = getEnvironmentFlags(documentWith());
    expect(flags.map((f) => [f.featureName, f.value, f.reason, f.source])).toEqual([
      ['banner', 'default banner', 'DEFAULT', 'ENVIRONMENT'],
      ['flag', 'x', 'DEFAULT', 'ENVIRONMENT'],
    ]);
  });

  it('multivariate feature → control value (no identity to split on)', () => {
    const mv = featureState('mv', 'control', {
      multivariate_feature_state_values: [
        { id: 1, percentage_allocation: 100, multivariate_feature_option: { id: 1, value: 'b', key: 'k' } },
      ],
    });
    const [flag] = getEnvironmentFlags(documentWith({ feature_states: [mv] }));
    expect(flag).toMatchObject({ value: 'control', reason: 'DEFAULT', variant: null });
  });
});

describe('getIdentityFlags', () => {
  it('identity matching no segment → environment defaults', () => {
    const [banner] = getIdentityFlags(documentWith(), 'someone', { plan: 'free' });
    expect(banner).toMatchObject({
      value: 'default banner',
      reason: 'DEFAULT',
      source: 'ENVIRONMENT',
      segment: null,
    });
  });

  it('identity in a segment → segment override, with the winning feature state and segment', () => {
    const [banner] = getIdentityFlags(documentWith(), 'someone', { plan: 'pro' });
    expect(banner).toMatchObject({
      featureId: 6,
      featureName: 'banner',
      enabled: true,
      value: 'pro banner',
      reason: 'TARGETING_MATCH; segment=pro_users',
      variant: null,
      source: 'SEGMENT',
      segment: proSegment,
    });
    expect(banner.featureState).toBe(proSegment.feature_states?.[0]);
  });

  it('identity with an identity override → beats segment overrides', () => {
    const [banner] = getIdentityFlags(documentWith(), 'vip', { plan: 'pro' });
    expect(banner).toMatchObject({
      value: 'vip banner',
      reason: 'TARGETING_MATCH; segment=identity_overrides',
      source: 'IDENTITY',
    });
  });

  it('identity override listed under an identifier containing a comma → applies to each part, not to itself', () => {
    const doc = documentWith({
      identity_overrides: [{ identifier: 'a,b', identity_features: [featureState('banner', 'csv')] }],
    });
    expect(getIdentityFlags(doc, 'a')[0].value).toBe('csv');
    expect(getIdentityFlags(doc, 'b')[0].value).toBe('csv');
    expect(getIdentityFlags(doc, 'a,b')[0].value).toBe('default banner');
  });

  it('multivariate feature → value split on md5("<django_id>,<api_key>_<identifier>")', () => {
    const mv = featureState('mv', 'control', {
      django_id: 42,
      multivariate_feature_state_values: [
        {
          id: 2,
          percentage_allocation: 50,
          multivariate_feature_option: { id: 1, value: 'second', key: 'k2' },
        },
        {
          id: 1,
          percentage_allocation: 50,
          multivariate_feature_option: { id: 2, value: 'first', key: 'k1' },
        },
      ],
    });
    const percentage = hashedPercentage(['42', `${API_KEY}_user_7`]);
    const [flag] = getIdentityFlags(documentWith({ feature_states: [mv] }), 'user_7');
    expect(flag).toMatchObject(
      percentage < 50
        ? { value: 'first', variant: 'k1', reason: 'SPLIT; weight=50' }
        : { value: 'second', variant: 'k2', reason: 'SPLIT; weight=50' },
    );
  });

  it('feature state without django_id → featurestate_uuid is the multivariate hashing key', () => {
    const uuid = '96fc3503-09d7-48f1-a83b-2dc903d5c08a';
    const limit = hashedPercentage([uuid, `${API_KEY}_user_7`]);
    const mv = (weight: number) =>
      featureState('mv', 'control', {
        django_id: null,
        featurestate_uuid: uuid,
        multivariate_feature_state_values: [
          {
            id: 1,
            percentage_allocation: weight,
            multivariate_feature_option: { id: 1, value: 'on', key: 'k' },
          },
        ],
      });
    expect(getIdentityFlags(documentWith({ feature_states: [mv(limit + 1e-9)] }), 'user_7')[0].variant).toBe(
      'k',
    );
    expect(getIdentityFlags(documentWith({ feature_states: [mv(limit)] }), 'user_7')[0].variant).toBe(
      'control',
    );
  });

  it('segment condition using "property" instead of "property_" → never matches (as in the SDKs)', () => {
    const segment: DocumentSegment = {
      id: 9,
      name: 'typo',
      rules: [
        {
          type: 'ALL',
          rules: [],
          conditions: [{ operator: 'IS_SET', value: '', ...{ property: 'plan' } }],
        },
      ],
      feature_states: [],
    };
    expect(
      getIdentitySegments(documentWith({ project: { segments: [segment] } }), 'u', { plan: 'pro' }),
    ).toEqual([]);
  });
});

describe('getIdentitySegments', () => {
  it('identity → matched document segments, without the synthetic identity-override segments', () => {
    expect(getIdentitySegments(documentWith(), 'vip', { plan: 'pro' })).toEqual([proSegment]);
    expect(getIdentitySegments(documentWith(), 'vip', { plan: 'free' })).toEqual([]);
  });
});

describe('getEvaluationContext', () => {
  it('document → the node SDK context shape (segments keyed by id, overrides with priority, metadata)', () => {
    const context = getEvaluationContext(documentWith(), { identifier: 'u', traits: { plan: 'pro' } });
    expect(context.environment).toEqual({ key: API_KEY, name: 'Development' });
    expect(context.identity).toEqual({ identifier: 'u', traits: { plan: 'pro' } });
    expect(context.features?.banner).toEqual({
      key: '100',
      name: 'banner',
      enabled: true,
      value: 'default banner',
      metadata: { id: 6 },
    });
    expect(context.segments?.['5']).toMatchObject({
      key: '5',
      name: 'pro_users',
      metadata: { source: 'api', id: 5 },
      overrides: [{ key: '200', name: 'banner', value: 'pro banner', priority: 1 }],
    });
  });

  it('identities with identical overrides → one synthetic segment listing both identifiers', () => {
    const overrides = [featureState('flag', 'o'), featureState('banner', 'o')];
    const doc = documentWith({
      identity_overrides: [
        { identifier: 'x', identity_features: overrides },
        { identifier: 'y', identity_features: [...overrides].reverse() },
        { identifier: 'z', identity_features: [featureState('flag', 'other')] },
        { identifier: 'nobody', identity_features: [] },
      ],
    });
    const synthetic = Object.values(getEvaluationContext(doc).segments ?? {}).filter(
      (s) => s.metadata?.source === 'identity_override',
    );
    expect(synthetic.map((s) => s.rules[0].conditions?.[0])).toEqual([
      { property: '$.identity.identifier', operator: 'IN', value: 'x,y' },
      { property: '$.identity.identifier', operator: 'IN', value: 'z' },
    ]);
    expect(synthetic[0]).toMatchObject({
      name: 'identity_overrides',
      key: expect.stringMatching(/^identity_override_[0-9a-f]{40}$/),
    });
    expect(synthetic[0].overrides?.map((o) => [o.name, o.priority])).toEqual([
      ['banner', -Infinity],
      ['flag', -Infinity],
    ]);
  });
});

describe('evaluateDocument', () => {
  it('identity → spec-shaped result with matched segments in context order', () => {
    const result = evaluateDocument(documentWith(), { identifier: 'vip', traits: { plan: 'pro' } });
    expect(result.segments).toEqual([
      { name: 'pro_users', metadata: { source: 'api', id: 5 } },
      { name: 'identity_overrides', metadata: { source: 'identity_override' } },
    ]);
    expect(result.flags.banner).toEqual({
      name: 'banner',
      enabled: true,
      value: 'vip banner',
      reason: 'TARGETING_MATCH; segment=identity_overrides',
      variant: null,
      metadata: { id: 6 },
    });
  });
});

describe('compileEnvironment', () => {
  it('same document object → compiled once and reused', () => {
    const doc = documentWith();
    expect(compileEnvironment(doc)).toBe(compileEnvironment(doc));
  });

  it('document with duplicate feature names → the last feature state wins (keyed by name)', () => {
    const doc = documentWith({
      feature_states: [featureState('banner', 'one'), featureState('banner', 'two')],
    });
    expect(getEnvironmentFlags(doc).map((f) => f.value)).toEqual(['two']);
  });
});
