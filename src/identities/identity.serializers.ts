import { FeatureState, MultivariateFeatureStateValue } from '../features/feature.entity';
import { mvValuesJson, rawStateValue } from '../segments/override-values';
import { IdentityFlag } from './identity-evaluation';
import { Identity, Trait } from './identity.entity';

export function identityJson(i: Identity) {
  return { id: i.id, identifier: i.identifier, environment: i.environmentId };
}

export function traitJson(t: Trait) {
  return {
    id: t.id,
    trait_key: t.traitKey,
    value_type: t.valueType,
    integer_value: t.integerValue,
    string_value: t.stringValue,
    boolean_value: t.booleanValue,
    float_value: t.floatValue,
    created_date: t.createdDate.toISOString(),
  };
}

/**
 * An identity override state (Flagsmith FeatureStateSerializerBasic): raw `feature_state_value`; `identity` is the
 * pk, or `{id, identifier}` in lists (FeatureStateSerializerWithIdentity).
 */
export function identityOverrideJson(
  fs: FeatureState,
  mv: readonly MultivariateFeatureStateValue[] | undefined,
  identity: number | { id: number; identifier: string },
) {
  return {
    id: fs.id,
    uuid: fs.uuid,
    feature: fs.featureId,
    enabled: fs.enabled,
    feature_state_value: rawStateValue(fs),
    environment: fs.environmentId,
    identity,
    feature_segment: null,
    multivariate_feature_state_values: mvValuesJson(mv),
    live_from: fs.liveFrom?.toISOString() ?? null,
    version: fs.version,
    created_at: fs.createdAt.toISOString(),
    updated_at: fs.updatedAt.toISOString(),
    change_request: null,
    environment_feature_version: null,
    deleted_at: null,
  };
}

/** One row of …/featurestates/all/ (Flagsmith IdentityAllFeatureStatesSerializer). */
export function identityFlagJson(flag: IdentityFlag) {
  return {
    feature: flag.feature,
    enabled: flag.enabled,
    feature_state_value: flag.value,
    overridden_by: flag.overriddenBy,
    segment: flag.segment,
    multivariate_feature_state_values: flag.multivariateValues.map((mv) => ({
      multivariate_feature_option: {
        value: rawStateValue({
          valueType: mv.multivariateFeatureOption.type,
          stringValue: mv.multivariateFeatureOption.stringValue,
          integerValue: mv.multivariateFeatureOption.integerValue,
          booleanValue: mv.multivariateFeatureOption.booleanValue,
        }),
      },
      percentage_allocation: mv.percentageAllocation,
    })),
  };
}
