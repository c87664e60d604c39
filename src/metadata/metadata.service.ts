import { Injectable } from '@nestjs/common';
import { QueryFailedError, type EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import {
  DomainError,
  type FieldErrors,
  NotFound,
  PermissionDenied,
  ValidationFailed,
} from '../common/domain-errors';
import type { PageRequest } from '../common/pagination';
import { UnitOfWork } from '../common/unit-of-work';
import type { Organisation } from '../organisations/organisation.entity';
import { PermissionsService } from '../permissions/permissions.service';
import type { MetadataModel } from '../entity-metadata/entity-metadata';
import { type ContentType, CONTENT_TYPES, contentTypeById, SUPPORTED_REQUIREMENTS } from './content-types';
import type { MetadataField, MetadataModelField } from './metadata.entity';
import {
  type MetadataFieldColumns,
  MetadataRepository,
  type RequirementColumns,
} from './metadata.repository';
import type {
  MetadataFieldInput,
  MetadataModelFieldInput,
  ProjectMetadataFieldQueryInput,
  RequirementInput,
} from './metadata.schemas';
import { invalidPk } from './metadata-values.service';

const NAME_TAKEN = 'A metadata field with this name already exists.';
const FOREIGN_PROJECT = 'Project must belong to the specified organisation.';
const MOVED = 'Metadata fields cannot be moved to another organisation.';
const MODEL_FIELD_TAKEN = 'The fields field, content_type must make a unique set.';
const REQUIREMENT_ORGANISATION = 'The requirement organisation does not match the field organisation';
const REQUIREMENT_TYPE = 'The requirement content type must be project or organisation';
/** Flagsmith keeps no audit log of custom field definitions (the values are audited with their object). */
const UNAUDITED = { unaudited: 'Flagsmith records no audit log entry for custom field definitions' };

/** 404 `{"message": …}` of supported-required-for-models for a model without requirements. */
export class NoSupportedModels extends DomainError {
  readonly status = 404;
  constructor() {
    super('No supported models found for the given model name.');
    this.name = 'NoSupportedModels';
  }
  body(): object {
    return { message: this.message };
  }
}

function isUniqueViolation(err: unknown): boolean {
  return (
    err instanceof QueryFailedError && (err.driverError as { code?: string } | undefined)?.code === '23505'
  );
}

/**
 * Custom field definitions (Flagsmith's api/metadata/): fields of an organisation or project, the kinds of object
 * each is offered on (model fields) and where it is required. Organisation members read them; organisation
 * admins (and project admins, for their project's fields) write them (Flagsmith's permissions.py).
 */
@Injectable()
export class MetadataService {
  constructor(
    private readonly metadata: MetadataRepository,
    private readonly uow: UnitOfWork,
    private readonly permissions: PermissionsService,
  ) {}

  // ---- fields

  /** Organisation-level fields; none for an organisation the caller is not in (Flagsmith filters, no 404). */
  async organisationFields(
    principal: Principal,
    organisationId: number,
    page: PageRequest,
  ): Promise<{ count: number; rows: MetadataField[] }> {
    if ((await this.permissions.organisationRole(principal, organisationId)) === null)
      return { count: 0, rows: [] };
    return this.metadata.organisationFields(organisationId, page);
  }

  projectFields(
    project: { id: number; organisationId: number },
    query: ProjectMetadataFieldQueryInput,
    page: PageRequest,
    id?: number,
  ): Promise<{ count: number; rows: MetadataField[] }> {
    return this.metadata.projectFields(
      project,
      {
        includeOrganisation: query.include_organisation ?? false,
        contentTypeId: query.entity ? this.contentType(query.entity).id : undefined,
        id,
      },
      page,
    );
  }

  /** A field the project's list with the same query shows, else NotFound. */
  async projectField(
    project: { id: number; organisationId: number },
    query: ProjectMetadataFieldQueryInput,
    id: number,
  ): Promise<MetadataField> {
    const { rows } = await this.projectFields(project, query, { page: 1, pageSize: 1 }, id);
    if (!rows.length) throw new NotFound();
    return rows[0];
  }

  /** A field of one of the caller's organisations, else NotFound. */
  async field(principal: Principal, id: number): Promise<MetadataField> {
    const field = await this.metadata.findField(id);
    if (!field || (await this.permissions.organisationRole(principal, field.organisationId)) === null)
      throw new NotFound();
    return field;
  }

  modelFieldsOf(fieldIds: readonly number[]): Promise<Map<number, MetadataModelField[]>> {
    return this.metadata.modelFieldsOf(fieldIds);
  }

  async createField(principal: Principal, input: MetadataFieldInput): Promise<MetadataField> {
    const organisation = await this.permissions.requireOrganisation(principal, input.organisation, 'MEMBER');
    const projectId = input.project ?? null;
    await this.requireManager(principal, organisation.id, projectId);
    await this.checkProject(organisation.id, projectId);
    return this.uow
      .run(async (tx) => {
        const scope = { organisationId: organisation.id, projectId, name: input.name };
        if (await this.metadata.fieldNameTaken(tx.manager, scope))
          throw ValidationFailed.field('name', NAME_TAKEN);
        return this.metadata.insertField(tx.manager, {
          ...scope,
          type: input.type ?? 'str',
          description: input.description ?? null,
        });
      }, UNAUDITED)
      .catch(nameTaken);
  }

  /** PUT (`partial` false: a missing `project` makes the field organisation-level) or PATCH. */
  async updateField(
    principal: Principal,
    id: number,
    input: Partial<MetadataFieldInput>,
    partial: boolean,
  ): Promise<MetadataField> {
    await this.field(principal, id);
    return this.uow
      .run(async (tx) => {
        const current = await this.metadata.lockField(tx.manager, id);
        if (!current) throw new NotFound();
        await this.requireManager(principal, current.organisationId, current.projectId);
        if (input.organisation !== undefined && input.organisation !== current.organisationId)
          throw ValidationFailed.field('organisation', MOVED);
        const projectId =
          partial && input.project === undefined ? current.projectId : (input.project ?? null);
        if (projectId !== current.projectId) {
          await this.requireManager(principal, current.organisationId, projectId);
          await this.checkProject(current.organisationId, projectId);
        }
        const name = input.name ?? current.name;
        const scope = { organisationId: current.organisationId, projectId, name };
        if (await this.metadata.fieldNameTaken(tx.manager, scope, current.id))
          throw ValidationFailed.field('name', NAME_TAKEN);
        const columns: MetadataFieldColumns = { projectId };
        if (input.name !== undefined) columns.name = input.name;
        if (input.type !== undefined) columns.type = input.type;
        if (input.description !== undefined) columns.description = input.description;
        return this.metadata.updateField(tx.manager, current.id, columns);
      }, UNAUDITED)
      .catch(nameTaken);
  }

  /** Deletes the field with its model fields, requirements and every value of it. */
  async removeField(principal: Principal, id: number): Promise<void> {
    await this.field(principal, id);
    await this.uow.run(async (tx) => {
      const current = await this.metadata.lockField(tx.manager, id);
      if (!current) throw new NotFound();
      await this.requireManager(principal, current.organisationId, current.projectId);
      await this.metadata.deleteField(tx.manager, current.id);
    }, UNAUDITED);
  }

  // ---- model fields (the guard has checked the caller is in the organisation)

  modelFields(organisation: Organisation, contentTypeId?: number): Promise<MetadataModelField[]> {
    return this.metadata.organisationModelFields(organisation.id, contentTypeId);
  }

  async modelField(
    organisation: Organisation,
    id: number,
    manager?: EntityManager,
  ): Promise<MetadataModelField> {
    const modelField = await this.metadata.organisationModelField(organisation.id, id, manager);
    if (!modelField) throw new NotFound();
    return modelField;
  }

  async createModelField(
    principal: Principal,
    organisation: Organisation,
    input: MetadataModelFieldInput,
  ): Promise<MetadataModelField> {
    // Flagsmith: a field that is not the organisation's (or none) is a refusal of the permission, as is a caller
    // who may not manage the field.
    const field = await this.metadata.findField(input.field);
    if (!field || field.organisationId !== organisation.id) throw new PermissionDenied();
    await this.requireManager(principal, organisation.id, field.projectId);
    const requirements = await this.checkModelField(organisation, input);
    return this.uow.run(async (tx) => {
      const locked = await this.metadata.lockField(tx.manager, field.id);
      if (!locked) throw new PermissionDenied();
      if (await this.metadata.modelFieldTaken(tx.manager, field.id, input.content_type))
        throw ValidationFailed.field('non_field_errors', MODEL_FIELD_TAKEN);
      const saved = await this.metadata.insertModelField(tx.manager, field.id, input.content_type);
      await this.metadata.replaceRequirements(tx.manager, saved.id, requirements ?? []);
      return this.modelField(organisation, saved.id, tx.manager);
    }, UNAUDITED);
  }

  async updateModelField(
    principal: Principal,
    organisation: Organisation,
    id: number,
    input: Partial<MetadataModelFieldInput>,
  ): Promise<MetadataModelField> {
    const requirements = await this.checkModelField(organisation, input);
    return this.uow.run(async (tx) => {
      const current = await this.metadata.lockModelField(tx.manager, organisation.id, id);
      if (!current) throw new NotFound();
      const field = await this.metadata.lockField(tx.manager, current.fieldId);
      if (!field) throw new NotFound();
      await this.requireManager(principal, organisation.id, field.projectId);
      const fieldId = input.field ?? current.fieldId;
      if (fieldId !== current.fieldId) {
        const other = await this.metadata.lockField(tx.manager, fieldId);
        if (!other || other.organisationId !== organisation.id)
          throw ValidationFailed.field('field', invalidPk(fieldId));
        await this.requireManager(principal, organisation.id, other.projectId);
      }
      const contentTypeId = input.content_type ?? current.contentTypeId;
      if (await this.metadata.modelFieldTaken(tx.manager, fieldId, contentTypeId, current.id))
        throw ValidationFailed.field('non_field_errors', MODEL_FIELD_TAKEN);
      await this.metadata.updateModelField(tx.manager, current.id, { fieldId, contentTypeId });
      if (requirements) await this.metadata.replaceRequirements(tx.manager, current.id, requirements);
      return this.modelField(organisation, current.id, tx.manager);
    }, UNAUDITED);
  }

  /** Deletes the model field with its requirements and the values given through it. */
  async removeModelField(principal: Principal, organisation: Organisation, id: number): Promise<void> {
    await this.uow.run(async (tx) => {
      const current = await this.metadata.lockModelField(tx.manager, organisation.id, id);
      if (!current) throw new NotFound();
      const field = await this.metadata.lockField(tx.manager, current.fieldId);
      await this.requireManager(principal, organisation.id, field?.projectId ?? null);
      await this.metadata.deleteModelField(tx.manager, current.id);
    }, UNAUDITED);
  }

  // ---- content types

  supportedContentTypes(): readonly ContentType[] {
    return CONTENT_TYPES;
  }

  /** What a field offered on `modelName` may be required for (NoSupportedModels for another name). */
  supportedRequiredForModels(modelName: string): ContentType[] {
    const models = Object.hasOwn(SUPPORTED_REQUIREMENTS, modelName)
      ? SUPPORTED_REQUIREMENTS[modelName as MetadataModel]
      : [];
    if (!models.length) throw new NoSupportedModels();
    return CONTENT_TYPES.filter((c) => models.includes(c.model));
  }

  // ---- rules

  private contentType(model: MetadataModel): ContentType {
    return CONTENT_TYPES.find((c) => c.model === model)!;
  }

  /**
   * Organisation admins manage every field of the organisation; project admins the fields of their project
   * (MetadataFieldPermissions / MetadataModelFieldPermissions). Others: 403.
   */
  private async requireManager(principal: Principal, organisationId: number, projectId: number | null) {
    if ((await this.permissions.organisationGrant(principal, organisationId))?.admin) return;
    if (projectId !== null) {
      const project = await this.metadata.project(projectId);
      if (
        project &&
        project.organisationId === organisationId &&
        (await this.permissions.projectGrant(principal, project))?.admin
      )
        return;
    }
    throw new PermissionDenied();
  }

  private async checkProject(organisationId: number, projectId: number | null): Promise<void> {
    if (projectId === null) return;
    const project = await this.metadata.project(projectId);
    if (!project || project.organisationId !== organisationId)
      throw ValidationFailed.field('project', FOREIGN_PROJECT);
  }

  /**
   * The content types of a model field body, then its requirements (MetaDataModelFieldSerializer.validate): each
   * for the organisation of the field or one of its projects. Returns the requirements to store (undefined: keep).
   */
  private async checkModelField(
    organisation: Organisation,
    input: Partial<MetadataModelFieldInput>,
  ): Promise<RequirementColumns[] | undefined> {
    const requirementErrors = (input.is_required_for ?? []).map((r): FieldErrors =>
      contentTypeById(r.content_type) ? {} : { content_type: [invalidPk(r.content_type)] },
    );
    const errors: FieldErrors = {};
    if (input.content_type !== undefined && !contentTypeById(input.content_type))
      errors.content_type = [invalidPk(input.content_type)];
    if (requirementErrors.some((e) => Object.keys(e).length)) errors.is_required_for = requirementErrors;
    if (Object.keys(errors).length) throw new ValidationFailed(errors);
    if (input.is_required_for === undefined) return undefined;
    const unique = new Map<string, RequirementColumns>();
    for (const r of input.is_required_for) {
      await this.checkRequirement(organisation, r);
      unique.set(`${r.content_type}:${r.object_id}`, {
        contentTypeId: r.content_type,
        objectId: r.object_id,
      });
    }
    return [...unique.values()];
  }

  private async checkRequirement(organisation: Organisation, r: RequirementInput): Promise<void> {
    const model = contentTypeById(r.content_type)!.model;
    let organisationId: number;
    if (model === 'organisation') organisationId = r.object_id;
    else if (model === 'project') {
      const project =
        r.object_id >= 1 && r.object_id <= 2147483647 ? await this.metadata.project(r.object_id) : null;
      if (!project) throw ValidationFailed.field('non_field_errors', REQUIREMENT_ORGANISATION);
      organisationId = project.organisationId;
    } else throw ValidationFailed.field('non_field_errors', REQUIREMENT_TYPE);
    if (organisationId !== organisation.id)
      throw ValidationFailed.field('non_field_errors', REQUIREMENT_ORGANISATION);
  }
}

function nameTaken(err: unknown): never {
  if (isUniqueViolation(err)) throw ValidationFailed.field('name', NAME_TAKEN);
  throw err;
}
