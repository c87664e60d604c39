/**
 * Shape of the Flagsmith environment document (docs/contracts/sdk-api.md §5.1, `GET /api/v1/environment-document/`).
 * Only the fields the engine reads are typed; documents may carry more.
 */
import type { FeatureValue } from './types';

export interface DocumentFeature {
  readonly id: number;
  readonly name: string;
  /** `STANDARD` | `MULTIVARIATE` */
  readonly type?: string | null;
}

export interface DocumentMultivariateOption {
  readonly id?: number | null;
  readonly value: FeatureValue;
  /** Variant key (newer field). */
  readonly key?: string | null;
}

export interface DocumentMultivariateValue {
  /** Sort key of the variants; when null the uuid (as a 128-bit integer) is used. */
  readonly id?: number | null;
  readonly mv_fs_value_uuid?: string | null;
  readonly percentage_allocation: number;
  readonly multivariate_feature_option: DocumentMultivariateOption;
}

export interface DocumentFeatureSegment {
  /** 0 = strongest; missing ⇒ weakest. */
  readonly priority?: number | null;
}

export interface DocumentFeatureState {
  readonly feature: DocumentFeature;
  readonly enabled: boolean;
  /** Multivariate hashing key (as a string) when set; otherwise `featurestate_uuid` is used. */
  readonly django_id?: number | null;
  readonly featurestate_uuid?: string | null;
  readonly feature_segment?: DocumentFeatureSegment | null;
  readonly feature_state_value?: FeatureValue;
  readonly multivariate_feature_state_values?: readonly DocumentMultivariateValue[] | null;
}

export interface DocumentSegmentCondition {
  readonly operator: string;
  /** NB: `property_` with a trailing underscore (a `property` key is ignored, as in the SDKs). */
  readonly property_?: string | null;
  readonly value?: string | null;
}

export interface DocumentSegmentRule {
  readonly type: string;
  readonly rules?: readonly DocumentSegmentRule[] | null;
  readonly conditions?: readonly DocumentSegmentCondition[] | null;
}

export interface DocumentSegment {
  readonly id: number;
  readonly name: string;
  readonly rules?: readonly DocumentSegmentRule[] | null;
  /** This segment's overrides in this environment. */
  readonly feature_states?: readonly DocumentFeatureState[] | null;
}

export interface DocumentIdentityOverride {
  readonly identifier: string;
  readonly identity_features?: readonly DocumentFeatureState[] | null;
}

export interface DocumentProject {
  readonly id?: number;
  readonly name?: string;
  readonly hide_disabled_flags?: boolean | null;
  readonly segments?: readonly DocumentSegment[] | null;
}

export interface EnvironmentDocument {
  readonly id?: number;
  /** The environment's client API key: it seeds identity hashing (`"<api_key>_<identifier>"`). */
  readonly api_key: string;
  readonly name: string;
  readonly project: DocumentProject;
  /** Environment defaults, one per feature. */
  readonly feature_states: readonly DocumentFeatureState[];
  readonly identity_overrides?: readonly DocumentIdentityOverride[] | null;
  readonly hide_disabled_flags?: boolean | null;
}
