import { PageQuery, S, type Static } from '../http/schema';
import { METADATA_FIELD_TYPES } from './metadata.entity';

/**
 * Request and response schemas of /api/v1/metadata/fields/, /api/v1/organisations/{id}/metadata-model-fields/ and
 * /api/v1/projects/{id}/metadata/fields/ (Flagsmith's api/metadata/serializers.py). The `metadata` of feature,
 * segment and environment bodies is in src/entity-metadata/entity-metadata.ts.
 */

const PAGE = {
  ...PageQuery.properties,
  page_size: S.optional(S.unchecked(S.integer({ minimum: 1, description: 'Default 999, at most 999' }))),
};

export const MetadataFieldListQuery = S.object({
  ...PAGE,
  organisation: S.id({ description: 'Organisation ID to filter by (its organisation-level fields)' }),
});
export type MetadataFieldListQueryInput = Static<typeof MetadataFieldListQuery>;

/** POST and PUT (PATCH: partial). PUT without `project` makes the field organisation-level (Flagsmith's default). */
export const MetadataFieldInput = S.object({
  name: S.string({ maxLength: 255 }),
  type: S.optional(S.choice(METADATA_FIELD_TYPES, { description: 'Default str' })),
  description: S.optional(S.nullable(S.string({ allowBlank: true }))),
  organisation: S.id(),
  project: S.optional(
    S.nullable(S.id({ description: 'A project of the organisation: a project-level field' })),
  ),
});
export type MetadataFieldInput = Static<typeof MetadataFieldInput>;

const RequirementInput = S.object({
  content_type: S.id({ description: 'The organisation or project content type' }),
  object_id: S.integer({ minimum: 0, description: 'The organisation or project id' }),
});
export type RequirementInput = Static<typeof RequirementInput>;

/** POST and PUT (PATCH: partial); `is_required_for` is the complete list when sent. */
export const MetadataModelFieldInput = S.object({
  field: S.id({ description: 'A metadata field of the organisation' }),
  content_type: S.id({ description: 'A content type of supported-content-types' }),
  is_required_for: S.optional(S.list(RequirementInput)),
});
export type MetadataModelFieldInput = Static<typeof MetadataModelFieldInput>;

export const MetadataModelFieldListQuery = S.object({
  content_type: S.optional(S.integer({ description: 'Content type of the model to filter by.' })),
});
export type MetadataModelFieldListQueryInput = Static<typeof MetadataModelFieldListQuery>;

export const RequiredForModelsQuery = S.object({
  model_name: S.string({ description: 'feature, segment or environment' }),
});
export type RequiredForModelsQueryInput = Static<typeof RequiredForModelsQuery>;

export const ProjectMetadataFieldQuery = S.object({
  ...PAGE,
  include_organisation: S.optional(
    S.boolean({
      description: 'Include organisation-level fields not overridden by a project field of that name',
    }),
  ),
  entity: S.optional(S.choice(['feature', 'segment', 'environment'])),
});
export type ProjectMetadataFieldQueryInput = Static<typeof ProjectMetadataFieldQuery>;

// ---- responses

const RequirementJson = S.response({ content_type: S.integer(), object_id: S.integer() });
export type RequirementJson = Static<typeof RequirementJson>;

const NestedModelFieldJson = S.response({
  id: S.integer(),
  content_type: S.integer(),
  is_required_for: S.list(RequirementJson),
});

export const MetadataFieldJson = S.response(
  {
    id: S.integer(),
    name: S.string(),
    type: S.choice(METADATA_FIELD_TYPES),
    description: S.nullable(S.string({ allowBlank: true })),
    organisation: S.integer(),
    project: S.nullable(S.integer()),
    model_fields: S.list(NestedModelFieldJson),
  },
  { title: 'MetadataField' },
);
export type MetadataFieldJson = Static<typeof MetadataFieldJson>;
export const MetadataFieldPage = S.page(MetadataFieldJson);

export const MetadataModelFieldJson = S.response(
  {
    id: S.integer(),
    field: S.integer(),
    content_type: S.integer(),
    is_required_for: S.list(RequirementJson),
  },
  { title: 'MetadataModelField' },
);
export type MetadataModelFieldJson = Static<typeof MetadataModelFieldJson>;
export const MetadataModelFieldList = S.list(MetadataModelFieldJson);

export const ContentTypeJson = S.response(
  { id: S.integer(), app_label: S.string(), model: S.string() },
  { title: 'ContentType' },
);
export const ContentTypeList = S.list(ContentTypeJson);

/** supported-required-for-models of a model that has none. */
export const MessageJson = S.response({ message: S.string() });
