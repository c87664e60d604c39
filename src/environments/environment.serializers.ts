import type { MetadataValueJson } from '../entity-metadata/entity-metadata';
import { Environment, EnvironmentApiKey } from './environment.entity';
import type { ClonedEnvironmentJson, EnvironmentJson, ServerKeyJson } from './environment.schemas';

export function environmentJson(
  e: Environment,
  metadata: readonly MetadataValueJson[] = [],
): EnvironmentJson {
  return {
    id: e.id,
    uuid: e.uuid,
    name: e.name,
    api_key: e.apiKey,
    description: e.description,
    project: e.projectId,
    minimum_change_request_approvals: e.minimumChangeRequestApprovals,
    allow_client_traits: e.allowClientTraits,
    banner_text: e.bannerText,
    banner_colour: e.bannerColour,
    hide_disabled_flags: e.hideDisabledFlags,
    use_mv_v2_evaluation: e.useMvV2Evaluation,
    use_identity_composite_key_for_hashing: e.useIdentityCompositeKeyForHashing,
    hide_sensitive_data: e.hideSensitiveData,
    use_v2_feature_versioning: e.useV2FeatureVersioning,
    use_identity_overrides_in_local_eval: e.useIdentityOverridesInLocalEval,
    is_creating: e.isCreating,
    created_date: e.createdDate.toISOString(),
    updated_at: e.updatedAt.toISOString(),
    metadata: [...metadata],
  };
}

/** The answer of POST /environments/{api_key}/clone/. */
export function clonedEnvironmentJson(e: Environment): ClonedEnvironmentJson {
  return { id: e.id, name: e.name, api_key: e.apiKey, project: e.projectId };
}

export function environmentApiKeyJson(k: EnvironmentApiKey): ServerKeyJson {
  return {
    id: k.id,
    key: k.key,
    active: k.active,
    created_at: k.createdAt.toISOString(),
    name: k.name,
    expires_at: k.expiresAt?.toISOString() ?? null,
    has_expired: k.expiresAt !== null && k.expiresAt.getTime() <= Date.now(),
  };
}
