import { getIdentityFlags, type DocumentFeatureState, type EnvironmentDocument } from '../../libs/engine/src';
import type { FeatureSegment, FeatureState } from '../features/feature.entity';
import { chooseFeatureStates } from './identity-evaluation';

/** Only what the choice reads: ids, the feature, the override slot. */
function fs(
  id: number,
  featureId: number,
  override?: { segmentId: number; priority: number } | 'identity',
): FeatureState {
  const featureSegment = override && override !== 'identity' ? ({ ...override } as FeatureSegment) : null;
  return {
    id,
    featureId,
    identityId: override === 'identity' ? 7 : null,
    featureSegment,
  } as FeatureState;
}

/** The same case as an environment document, for the engine. */
function documentOf(states: readonly FeatureState[], identifier: string): EnvironmentDocument {
  const doc = (s: FeatureState): DocumentFeatureState => ({
    feature: { id: s.featureId, name: `f${s.featureId}`, type: 'STANDARD' },
    enabled: true,
    django_id: s.id,
    featurestate_uuid: `00000000-0000-4000-8000-${String(s.id).padStart(12, '0')}`,
    feature_segment: s.featureSegment ? { priority: s.featureSegment.priority } : null,
    feature_state_value: `state ${s.id}`,
    multivariate_feature_state_values: [],
  });
  const segmentIds = [
    ...new Set(states.flatMap((s) => (s.featureSegment ? [s.featureSegment.segmentId] : []))),
  ];
  return {
    api_key: 'key',
    name: 'env',
    project: {
      segments: segmentIds.map((id) => ({
        id,
        name: `s${id}`,
        rules: [
          { type: 'ALL', rules: [], conditions: [{ operator: 'EQUAL', property_: 'plan', value: 'pro' }] },
        ],
        feature_states: states.filter((s) => s.featureSegment?.segmentId === id).map(doc),
      })),
    },
    feature_states: states.filter((s) => !s.featureSegment && s.identityId === null).map(doc),
    identity_overrides: [
      { identifier, identity_features: states.filter((s) => s.identityId !== null).map(doc) },
    ],
  };
}

const chosenIds = (states: FeatureState[], matched: number[]) =>
  Object.fromEntries(chooseFeatureStates(states, matched).map(({ fs, by }) => [fs.featureId, [fs.id, by]]));

const engineIds = (states: FeatureState[], identifier: string) =>
  Object.fromEntries(
    getIdentityFlags(documentOf(states, identifier), identifier, { plan: 'pro' }).map((f) => [
      f.featureId,
      f.featureState.django_id,
    ]),
  );

describe('chooseFeatureStates (admin identity evaluation, the engine decides)', () => {
  // Feature 1: segment 1 (matched first) priority 5, segment 2 priority 1, segment 3 priority 1.
  // Feature 2: only segment 1. Feature 3: an identity override and a segment override of priority 0.
  const states = [
    fs(1, 1),
    fs(2, 2),
    fs(3, 3),
    fs(11, 1, { segmentId: 1, priority: 5 }),
    fs(12, 2, { segmentId: 1, priority: 7 }),
    fs(21, 1, { segmentId: 2, priority: 1 }),
    fs(31, 1, { segmentId: 3, priority: 1 }),
    fs(32, 3, { segmentId: 3, priority: 0 }),
    fs(99, 3, 'identity'),
  ];

  it('priority decides between matched segments; a tie keeps the segment matched first; identity beats all', () => {
    expect(chosenIds(states, [1, 2, 3])).toEqual({
      1: [21, 'SEGMENT'],
      2: [12, 'SEGMENT'],
      3: [99, 'IDENTITY'],
    });
  });

  it('the same states → the same winners as the engine (libs/engine, pinned to upstream cases)', () => {
    const ours = Object.fromEntries(Object.entries(chosenIds(states, [1, 2, 3])).map(([f, [id]]) => [f, id]));
    expect(ours).toEqual(engineIds(states, 'vip'));
  });

  it('segments not matched → their overrides are ignored (defaults, or the identity override)', () => {
    expect(chosenIds(states, [])).toEqual({ 1: [1, null], 2: [2, null], 3: [99, 'IDENTITY'] });
  });
});
