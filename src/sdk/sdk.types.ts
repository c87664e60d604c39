import type { FeatureValue } from '../../libs/engine/src';

/** Environment document (docs/contracts/sdk-api.md §5.1), as served. */
export interface SdkDocumentMultivariateValue {
  id: number;
  mv_fs_value_uuid: string;
  percentage_allocation: number;
  multivariate_feature_option: { id: number; value: FeatureValue; key: string | null };
}

export interface SdkDocumentFeatureState {
  feature: { id: number; name: string; type: string };
  enabled: boolean;
  django_id: number;
  featurestate_uuid: string;
  feature_segment: { priority: number } | null;
  feature_state_value: FeatureValue;
  multivariate_feature_state_values: SdkDocumentMultivariateValue[];
}

export interface SdkDocumentCondition {
  operator: string;
  property_: string | null;
  value: string | null;
}

export interface SdkDocumentRule {
  type: string;
  rules: SdkDocumentRule[];
  conditions: SdkDocumentCondition[];
}

export interface SdkDocumentSegment {
  id: number;
  name: string;
  rules: SdkDocumentRule[];
  feature_states: SdkDocumentFeatureState[];
}

export interface SdkDocumentIdentityOverride {
  identifier: string;
  environment_api_key: string;
  identity_uuid: string | null;
  django_id: number;
  created_date: string | null;
  composite_key: string;
  dashboard_alias: null;
  identity_traits: [];
  identity_features: SdkDocumentFeatureState[];
}

export interface SdkDocument {
  id: number;
  api_key: string;
  name: string;
  project: {
    id: number;
    name: string;
    hide_disabled_flags: boolean;
    enable_realtime_updates: boolean;
    server_key_only_feature_ids: number[];
    organisation: {
      id: number;
      name: string;
      feature_analytics: boolean;
      stop_serving_flags: boolean;
      persist_trait_data: boolean;
    };
    segments: SdkDocumentSegment[];
  };
  feature_states: SdkDocumentFeatureState[];
  identity_overrides: SdkDocumentIdentityOverride[];
  allow_client_traits: boolean;
  hide_sensitive_data: boolean;
  hide_disabled_flags: boolean | null;
  use_identity_composite_key_for_hashing: boolean;
  use_identity_overrides_in_local_eval: boolean;
  updated_at: string;
  amplitude_config: null;
  heap_config: null;
  mixpanel_config: null;
  rudderstack_config: null;
  segment_config: null;
  webhook_config: null;
}

/** Feature fields of the SDK flag object that the document does not carry. */
export interface FeatureMeta {
  id: number;
  name: string;
  type: string;
  created_date: string;
  description: string | null;
  initial_value: string | null;
  default_enabled: boolean;
  is_server_key_only: boolean;
}

/**
 * Everything the SDK endpoints need for one environment, plain JSON (this is what the shared second-level cache
 * holds): the document, plus feature metadata and the ids the flag objects show.
 */
export interface EnvironmentSource {
  environmentId: number;
  /** `environments.updated_at` as epoch seconds text: the version every cache entry is keyed by. */
  version: string;
  updatedAtEpoch: string;
  document: SdkDocument;
  features: FeatureMeta[];
  /** Identity overrides that are not in the document (use_identity_overrides_in_local_eval = false). */
  identityOverrides: SdkDocumentIdentityOverride[];
  /** feature state id → feature_segment id, for segment overrides. */
  featureSegmentOfState: Record<number, number>;
  /** feature state id → identity id, for identity overrides. */
  identityOfState: Record<number, number>;
  /** Epoch ms when the next scheduled feature state goes live (the cache must not outlive it). */
  nextLiveFrom: number | null;
}

/** A resolved SDK key. */
export interface KeyRow {
  environmentId: number;
  clientKey: string;
  /** Environment version (updated_at epoch text) at lookup time. */
  version: string;
  active: boolean;
  /** Epoch ms, null = never. */
  expiresAt: number | null;
}

export type KeyOrigin = 'CLIENT' | 'SERVER';
