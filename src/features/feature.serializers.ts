import type { MetadataValueJson } from '../entity-metadata/entity-metadata';
import { Feature, FeatureState, MultivariateFeatureOption } from './feature.entity';
import type {
  FeatureJson,
  PlainFeatureJson,
  GroupOwnerJson,
  MvOptionJson,
  OwnerJson,
  ProjectFeatureJson,
} from './feature.schemas';
import { rawValue } from './feature-values';

export type { GroupOwnerJson, OwnerJson };

/** Related rows of a page of features, loaded in one query per relation. */
export interface FeatureRelations {
  tags: Map<number, number[]>;
  options: Map<number, MultivariateFeatureOption[]>;
  owners: Map<number, OwnerJson[]>;
  groupOwners: Map<number, GroupOwnerJson[]>;
  /** Custom field values (absent: not loaded, for the bodies without them). */
  metadata?: ReadonlyMap<number, MetadataValueJson[]>;
}

/** With `?environment=`: the environment default states and override counts of the page's features. */
export interface EnvironmentContext {
  states: Map<number, FeatureState>;
  segmentOverrides: Map<number, number>;
  identityOverrides: Map<number, number>;
}

export function mvOptionJson(o: MultivariateFeatureOption): MvOptionJson {
  return {
    id: o.id,
    uuid: o.uuid,
    type: o.type,
    integer_value: o.integerValue,
    string_value: o.stringValue,
    boolean_value: o.booleanValue,
    default_percentage_allocation: o.defaultPercentageAllocation,
    key: o.key,
    feature: o.featureId,
  };
}

/** The nested option form inside a feature (no `feature`). */
function nestedOptionJson(o: MultivariateFeatureOption) {
  const { feature: _feature, ...rest } = mvOptionJson(o);
  return rest;
}

/** FeatureStateSerializerSmall. */
export function smallStateJson(s: FeatureState) {
  return {
    id: s.id,
    feature_state_value: rawValue(s),
    environment: s.environmentId,
    identity: s.identityId,
    feature_segment: s.featureSegmentId,
    enabled: s.enabled,
  };
}

/** Flagsmith's feature body (list, retrieve, create, update). */
export function featureJson(f: Feature, rel: FeatureRelations, env?: EnvironmentContext): FeatureJson {
  const state = env?.states.get(f.id);
  return {
    id: f.id,
    uuid: f.uuid,
    name: f.name,
    type: f.type,
    default_enabled: f.defaultEnabled,
    initial_value: f.initialValue,
    created_date: f.createdDate.toISOString(),
    description: f.description,
    tags: rel.tags.get(f.id) ?? [],
    multivariate_options: (rel.options.get(f.id) ?? []).map(nestedOptionJson),
    is_archived: f.isArchived,
    owners: rel.owners.get(f.id) ?? [],
    group_owners: rel.groupOwners.get(f.id) ?? [],
    project: f.projectId,
    is_server_key_only: f.isServerKeyOnly,
    environment_feature_state: state ? smallStateJson(state) : null,
    segment_feature_state: null,
    num_segment_overrides: env ? (env.segmentOverrides.get(f.id) ?? 0) : 0,
    num_identity_overrides: env ? (env.identityOverrides.get(f.id) ?? 0) : null,
    is_num_identity_overrides_complete: true,
    last_modified_in_any_environment: null,
    last_modified_in_current_environment: null,
    metadata: rel.metadata?.get(f.id) ?? [],
    code_references_counts: [],
  };
}

/** ProjectFeatureSerializer: the answer of add-owners / remove-owners / add-group-owners / remove-group-owners. */
/** CreateFeatureSerializer's body: the feature body without what FeatureSerializerWithMetadata adds. */
export function plainFeatureJson(feature: FeatureJson): PlainFeatureJson {
  const {
    metadata: _metadata,
    code_references_counts: _codeReferences,
    lifecycle_stage: _stage,
    ...plain
  } = feature;
  return plain;
}

export function projectFeatureJson(f: Feature, rel: FeatureRelations): ProjectFeatureJson {
  return {
    id: f.id,
    name: f.name,
    created_date: f.createdDate.toISOString(),
    description: f.description,
    initial_value: f.initialValue,
    default_enabled: f.defaultEnabled,
    type: f.type,
    owners: rel.owners.get(f.id) ?? [],
    group_owners: rel.groupOwners.get(f.id) ?? [],
    is_server_key_only: f.isServerKeyOnly,
  };
}
