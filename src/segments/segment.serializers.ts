import type { FeatureSegment } from '../features/feature.entity';
import type { MetadataValueJson } from '../entity-metadata/entity-metadata';
import type { FeatureSegmentJson, FeatureSegmentListJson } from './feature-segment.schemas';
import { RuleNode, rulesJson } from './segment-tree';
import { Segment } from './segment.entity';
import type { SegmentJson } from './segment.schemas';

/** docs/contracts/admin-api.md §8 segment: `{id, uuid, name, description, project, feature, rules, metadata, created_at, updated_at, …}`. */
export function segmentJson(
  s: Segment,
  rules: readonly RuleNode[],
  metadata: readonly MetadataValueJson[] = [],
): SegmentJson {
  return {
    id: s.id,
    uuid: s.uuid,
    name: s.name,
    description: s.description,
    project: s.projectId,
    feature: s.featureId,
    version_of: s.id,
    rules: rulesJson(rules),
    metadata: [...metadata],
    membership_counts: [],
    managed_by: null,
    created_at: s.createdAt.toISOString(),
    updated_at: s.updatedAt.toISOString(),
  };
}

/** Create/update shape of a feature segment (segment override slot). */
export function featureSegmentJson(fs: FeatureSegment): FeatureSegmentJson {
  return {
    id: fs.id,
    uuid: fs.uuid,
    feature: fs.featureId,
    segment: fs.segmentId,
    environment: fs.environmentId,
    priority: fs.priority,
  };
}

/** List shape: adds `segment_name` and `is_feature_specific`; needs `segment` loaded. */
export function featureSegmentListJson(fs: FeatureSegment): FeatureSegmentListJson {
  return {
    ...featureSegmentJson(fs),
    segment_name: fs.segment.name,
    is_feature_specific: fs.segment.featureId !== null,
  };
}
