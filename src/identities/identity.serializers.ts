import { rawValue } from '../features/feature-values';
import { IdentityFlag } from './identity-evaluation';
import { Identity, Trait } from './identity.entity';
import type { IdentityFlagJson, IdentityJson, TraitJson } from './identity.schemas';

export function identityJson(i: Identity): IdentityJson {
  return { id: i.id, identifier: i.identifier, environment: i.environmentId };
}

export function traitJson(t: Trait): TraitJson {
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

/** One row of …/featurestates/all/ (Flagsmith IdentityAllFeatureStatesSerializer). */
export function identityFlagJson(flag: IdentityFlag): IdentityFlagJson {
  return {
    feature: flag.feature,
    enabled: flag.enabled,
    feature_state_value: flag.value,
    overridden_by: flag.overriddenBy,
    segment: flag.segment,
    multivariate_feature_state_values: flag.multivariateValues.map((mv) => ({
      multivariate_feature_option: {
        value: rawValue({
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
