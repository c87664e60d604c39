import {
  getIdentityFlags,
  type DocumentFeatureState,
  type DocumentSegment,
  type EnvironmentDocument,
} from '../../libs/engine/src';
import { RemoteEvaluator, type StateSource } from './remote-evaluation';

function state(name: string, value: string, id: number, priority?: number): DocumentFeatureState {
  return {
    feature: { id: name === 'banner' ? 1 : 2, name, type: 'STANDARD' },
    enabled: true,
    django_id: id,
    featurestate_uuid: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
    feature_segment: priority === undefined ? null : { priority },
    feature_state_value: value,
    multivariate_feature_state_values: [],
  };
}

function proSegment(id: number, overrides: DocumentFeatureState[]): DocumentSegment {
  return {
    id,
    name: `segment ${id}`,
    rules: [{ type: 'ALL', rules: [], conditions: [{ operator: 'EQUAL', property_: 'plan', value: 'pro' }] }],
    feature_states: overrides,
  };
}

/**
 * Segment 1 (matched first) overrides banner with priority 5, segment 2 with priority 1, segment 3 with
 * priority 1 too: priority decides between 1 and 2, the match order between 2 and 3. `other` has a single override.
 */
const document: EnvironmentDocument = {
  api_key: 'client-key',
  name: 'Development',
  project: {
    segments: [
      proSegment(1, [state('banner', 'from 1', 11, 5), state('other', 'other from 1', 12, 7)]),
      proSegment(2, [state('banner', 'from 2', 21, 1)]),
      proSegment(3, [state('banner', 'from 3', 31, 1)]),
    ],
  },
  feature_states: [state('banner', 'default', 1), state('other', 'other default', 2)],
  identity_overrides: [{ identifier: 'vip', identity_features: [state('banner', 'vip', 99)] }],
};

const describeState = (
  feature: Parameters<ConstructorParameters<typeof RemoteEvaluator>[1]>[0],
): StateSource => ({
  featureId: Number(feature.context.metadata?.id),
  stateId: 0,
  serialize: (value) => JSON.stringify({ name: feature.context.name, value }),
});

/** The SDK evaluator's answer for an identity, as {feature name: value}. */
function remote(identifier: string, traits: Record<string, string>): Record<string, unknown> {
  const evaluator = new RemoteEvaluator(document, describeState, () => ({ client: true, server: true }));
  const own = document.identity_overrides?.find((o) => o.identifier === identifier);
  const overrides = own
    ? evaluator.overrideStates(
        {
          ...document,
          project: { segments: [] },
          feature_states: own.identity_features ?? [],
          identity_overrides: [],
        },
        describeState,
      )
    : undefined;
  const flags = evaluator.evaluate(
    { identifier, key: `client-key_${identifier}`, traits },
    'SERVER',
    overrides,
  );
  return Object.fromEntries(
    flags.parts.map((part) => {
      const flag = JSON.parse(part.subarray(1).toString()) as { name: string; value: unknown };
      return [flag.name, flag.value];
    }),
  );
}

/** The engine's answer (libs/engine, pinned to upstream's cases) for the same identity. */
function engine(identifier: string, traits: Record<string, string>): Record<string, unknown> {
  return Object.fromEntries(
    getIdentityFlags(document, identifier, traits).map((f) => [f.featureName, f.value]),
  );
}

describe('RemoteEvaluator precedence (the engine decides)', () => {
  it('two matched segments override a feature → the lower priority wins, not the first matched', () => {
    expect(remote('user', { plan: 'pro' })).toEqual({ banner: 'from 2', other: 'other from 1' });
    expect(remote('user', { plan: 'pro' })).toEqual(engine('user', { plan: 'pro' }));
  });

  it('identity override → beats every segment override; no segment matched → defaults', () => {
    expect(remote('vip', { plan: 'pro' })).toEqual({ banner: 'vip', other: 'other from 1' });
    expect(remote('vip', { plan: 'pro' })).toEqual(engine('vip', { plan: 'pro' }));
    expect(remote('user', { plan: 'free' })).toEqual({ banner: 'default', other: 'other default' });
    expect(remote('user', { plan: 'free' })).toEqual(engine('user', { plan: 'free' }));
  });
});
