import { Project } from './project.entity';
import type { ProjectJson } from './project.schemas';

export function projectJson(p: Project): ProjectJson {
  return {
    id: p.id,
    uuid: p.uuid,
    name: p.name,
    organisation: p.organisationId,
    created_date: p.createdDate.toISOString(),
    hide_disabled_flags: p.hideDisabledFlags,
    prevent_flag_defaults: p.preventFlagDefaults,
    enable_realtime_updates: p.enableRealtimeUpdates,
    only_allow_lower_case_feature_names: p.onlyAllowLowerCaseFeatureNames,
    feature_name_regex: p.featureNameRegex,
    stale_flags_limit_days: p.staleFlagsLimitDays,
    minimum_change_request_approvals: p.minimumChangeRequestApprovals,
    enforce_feature_owners: p.enforceFeatureOwners,
    enable_dynamo_db: false,
    use_edge_identities: false,
    migration_status: 'NOT_APPLICABLE',
    show_edge_identity_overrides_for_feature: p.showEdgeIdentityOverridesForFeature,
    edge_v2_migration_status: 'NOT_STARTED',
    max_segments_allowed: p.maxSegmentsAllowed,
    max_features_allowed: p.maxFeaturesAllowed,
    max_segment_overrides_allowed: p.maxSegmentOverridesAllowed,
  };
}
