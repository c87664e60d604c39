import type { MetadataField, MetadataModelField } from './metadata.entity';
import type { MetadataFieldJson, MetadataModelFieldJson, RequirementJson } from './metadata.schemas';

function requirementsJson(m: MetadataModelField): RequirementJson[] {
  return (m.isRequiredFor ?? []).map((r) => ({ content_type: r.contentTypeId, object_id: r.objectId }));
}

/** MetadataFieldSerializer: `modelFields` are the field's model fields with their requirements. */
export function metadataFieldJson(
  f: MetadataField,
  modelFields: readonly MetadataModelField[],
): MetadataFieldJson {
  return {
    id: f.id,
    name: f.name,
    type: f.type,
    description: f.description,
    organisation: f.organisationId,
    project: f.projectId,
    model_fields: modelFields.map((m) => ({
      id: m.id,
      content_type: m.contentTypeId,
      is_required_for: requirementsJson(m),
    })),
  };
}

/** MetaDataModelFieldSerializer (requirements loaded). */
export function metadataModelFieldJson(m: MetadataModelField): MetadataModelFieldJson {
  return { id: m.id, field: m.fieldId, content_type: m.contentTypeId, is_required_for: requirementsJson(m) };
}
