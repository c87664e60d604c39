import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type FieldErrors, ValidationFailed } from '../common/domain-errors';
import {
  EntityMetadata,
  METADATA_VALUE_MAX_LENGTH,
  type MetadataModel,
  type MetadataOwner,
  type MetadataValueInput,
  type MetadataValueJson,
} from '../entity-metadata/entity-metadata';
import { contentType } from './content-types';
import type { MetadataFieldType, MetadataValue } from './metadata.entity';
import { MetadataRepository } from './metadata.repository';

const INT = /^[+-]?\d+(?:_\d+)*$/;
/** What Python's urlparse needs to find a scheme and a network location. */
const URL_WITH_HOST = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]+)/;

/** Flagsmith's MetadataField.is_field_value_valid (the text as DRF's CharField hands it over: trimmed). */
export function isValidMetadataValue(type: MetadataFieldType, value: string): boolean {
  if (value.length > METADATA_VALUE_MAX_LENGTH) return false;
  switch (type) {
    case 'int':
      return INT.test(value.trim());
    case 'bool':
      return ['true', 'false'].includes(value.toLowerCase());
    case 'url': {
      const host = URL_WITH_HOST.exec(value)?.[1];
      // urlparse raises ValueError for an unclosed IPv6 bracket; Flagsmith counts that as invalid.
      return !!host && host.includes('[') === host.includes(']');
    }
    case 'str':
    case 'multiline_str':
      return true;
  }
}

export const invalidPk = (id: number) => `Invalid pk "${id}" - object does not exist.`;
const DUPLICATE = 'The fields model_field, content_type, object_id must make a unique set.';

export function metadataValueJson(v: MetadataValue): MetadataValueJson {
  return { id: v.id, model_field: v.modelFieldId, field_value: v.fieldValue };
}

/**
 * The values of features, segments and environments (EntityMetadata, src/entity-metadata/entity-metadata.ts): checked
 * as Flagsmith's MetadataSerializer and MetadataSerializerMixin do, written in the caller's unit of work.
 */
@Injectable()
export class MetadataValuesService extends EntityMetadata {
  constructor(private readonly metadata: MetadataRepository) {
    super();
  }

  async valuesOf(
    model: MetadataModel,
    ids: readonly number[],
    manager?: EntityManager,
  ): Promise<Map<number, MetadataValueJson[]>> {
    const byObject = new Map<number, MetadataValueJson[]>();
    for (const value of await this.metadata.values(contentType(model).id, ids, manager))
      byObject.set(value.objectId, [...(byObject.get(value.objectId) ?? []), metadataValueJson(value)]);
    return byObject;
  }

  async replace(
    manager: EntityManager,
    owner: MetadataOwner,
    values: readonly MetadataValueInput[],
  ): Promise<MetadataValueJson[]> {
    const contentTypeId = contentType(owner.model).id;
    const { project } = owner;
    const modelFields = new Map(
      (await this.metadata.shareModelFields(manager, [...new Set(values.map((v) => v.model_field))])).map(
        (m) => [m.id, m],
      ),
    );
    // Per item, as DRF's ListSerializer answers: {} for a good item, its errors for a bad one.
    const seen = new Set<number>();
    const itemErrors = values.map((value): FieldErrors => {
      const modelField = modelFields.get(value.model_field);
      const field = modelField?.field;
      // A model field of another organisation, another kind of object or another project does not exist here.
      if (
        !modelField ||
        !field ||
        field.organisationId !== project.organisationId ||
        modelField.contentTypeId !== contentTypeId ||
        (field.projectId !== null && field.projectId !== project.id)
      )
        return { model_field: [invalidPk(value.model_field)] };
      if (!isValidMetadataValue(field.type, value.field_value))
        return { non_field_errors: [`Invalid value for field ${field.name}`] };
      if (seen.has(modelField.id)) return { non_field_errors: [DUPLICATE] };
      seen.add(modelField.id);
      return {};
    });
    if (itemErrors.some((e) => Object.keys(e).length)) throw new ValidationFailed({ metadata: itemErrors });

    const requirements = await this.metadata.applicableRequirements(manager, contentTypeId, project, {
      organisation: contentType('organisation').id,
      project: contentType('project').id,
    });
    if (requirements.length) {
      const overridden = await this.metadata.projectFieldNames(manager, project);
      const missing = requirements.find(
        (r) => !seen.has(r.modelFieldId) && !(r.fieldProjectId === null && overridden.has(r.fieldName)),
      );
      if (missing)
        throw ValidationFailed.field('metadata', `Missing required metadata field: ${missing.fieldName}`);
    }

    const stored = await this.metadata.replaceValues(
      manager,
      { contentTypeId, objectId: owner.id, projectId: project.id },
      values.map((v) => ({ modelFieldId: v.model_field, fieldValue: v.field_value })),
    );
    return stored.map(metadataValueJson);
  }

  async remove(manager: EntityManager, model: MetadataModel, ids: readonly number[]): Promise<void> {
    await this.metadata.deleteValues(manager, contentType(model).id, ids);
  }
}
