import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource, EntityManager, In } from 'typeorm';
import { pageOfQuery, type PageRequest } from '../common/pagination';
import { Project } from '../projects/project.entity';
import {
  MetadataField,
  MetadataModelField,
  MetadataModelFieldRequirement,
  MetadataValue,
} from './metadata.entity';

export type MetadataFieldColumns = Partial<
  Pick<MetadataField, 'name' | 'type' | 'description' | 'organisationId' | 'projectId'>
>;

export interface RequirementColumns {
  contentTypeId: number;
  objectId: number;
}

/** A requirement that applies to a new or updated object, with the field it requires. */
export interface ApplicableRequirement {
  modelFieldId: number;
  fieldName: string;
  fieldProjectId: number | null;
}

export interface ValueColumns {
  modelFieldId: number;
  fieldValue: string;
}

/** Every SQL statement about custom fields and their values; writes take the unit of work's manager. */
@Injectable()
export class MetadataRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private fields(manager?: EntityManager) {
    return (manager ?? this.dataSource.manager).getRepository(MetadataField);
  }

  private modelFields(manager?: EntityManager) {
    return (manager ?? this.dataSource.manager).getRepository(MetadataModelField);
  }

  // ---- fields

  /** The organisation-level fields of an organisation, in id order. */
  organisationFields(
    organisationId: number,
    page: PageRequest,
  ): Promise<{ count: number; rows: MetadataField[] }> {
    const query = this.fields()
      .createQueryBuilder('f')
      .where('f.organisation_id = :organisationId AND f.project_id IS NULL', { organisationId })
      .orderBy('f.id', 'ASC');
    return pageOfQuery(query, page);
  }

  /**
   * The project's own fields; with `includeOrganisation`, also the organisation-level fields no project field of
   * the same name overrides; with `contentTypeId`, only fields offered on that kind of object.
   */
  projectFields(
    project: Pick<Project, 'id' | 'organisationId'>,
    filter: { includeOrganisation: boolean; contentTypeId?: number; id?: number },
    page: PageRequest,
  ): Promise<{ count: number; rows: MetadataField[] }> {
    const query = this.fields()
      .createQueryBuilder('f')
      .where('f.organisation_id = :organisationId', { organisationId: project.organisationId })
      .andWhere(
        new Brackets((scope) => {
          scope.where('f.project_id = :projectId', { projectId: project.id });
          if (filter.includeOrganisation)
            scope.orWhere(
              'f.project_id IS NULL AND f.name NOT IN (SELECT p.name FROM metadata_fields p WHERE p.organisation_id = :organisationId AND p.project_id = :projectId)',
            );
        }),
      );
    if (filter.contentTypeId !== undefined)
      query.andWhere(
        'EXISTS (SELECT 1 FROM metadata_model_fields m WHERE m.field_id = f.id AND m.content_type_id = :contentTypeId)',
        { contentTypeId: filter.contentTypeId },
      );
    if (filter.id !== undefined) query.andWhere('f.id = :id', { id: filter.id });
    return pageOfQuery(query.orderBy('f.id', 'ASC'), page);
  }

  findField(id: number): Promise<MetadataField | null> {
    return this.fields().findOneBy({ id });
  }

  /** The field, locked FOR NO KEY UPDATE until the transaction ends. */
  lockField(manager: EntityManager, id: number): Promise<MetadataField | null> {
    return this.fields(manager).findOne({ where: { id }, lock: { mode: 'for_no_key_update' } });
  }

  /** Whether another field of the same scope (organisation, or organisation and project) has this name. */
  async fieldNameTaken(
    manager: EntityManager,
    scope: { organisationId: number; projectId: number | null; name: string },
    exceptId?: number,
  ): Promise<boolean> {
    const query = this.fields(manager)
      .createQueryBuilder('f')
      .where('f.organisation_id = :organisationId AND f.name = :name', scope);
    if (scope.projectId === null) query.andWhere('f.project_id IS NULL');
    else query.andWhere('f.project_id = :projectId', { projectId: scope.projectId });
    if (exceptId !== undefined) query.andWhere('f.id <> :exceptId', { exceptId });
    return (await query.getCount()) > 0;
  }

  insertField(
    manager: EntityManager,
    columns: Required<Pick<MetadataField, 'name' | 'type' | 'description' | 'organisationId' | 'projectId'>>,
  ): Promise<MetadataField> {
    const repo = this.fields(manager);
    return repo.save(repo.create(columns));
  }

  /** Writes exactly these columns and returns the row as stored. */
  async updateField(
    manager: EntityManager,
    id: number,
    columns: MetadataFieldColumns,
  ): Promise<MetadataField> {
    if (Object.keys(columns).length) await this.fields(manager).update({ id }, columns);
    return this.fields(manager).findOneByOrFail({ id });
  }

  /** Deletes the field; its model fields, their requirements and values go with it (ON DELETE CASCADE). */
  async deleteField(manager: EntityManager, id: number): Promise<void> {
    await this.fields(manager).delete({ id });
  }

  project(id: number): Promise<Project | null> {
    return this.dataSource.getRepository(Project).findOneBy({ id });
  }

  // ---- model fields

  /** The model fields of these fields with their requirements, by field id (two queries). */
  async modelFieldsOf(
    fieldIds: readonly number[],
    manager?: EntityManager,
  ): Promise<Map<number, MetadataModelField[]>> {
    const byField = new Map<number, MetadataModelField[]>();
    if (!fieldIds.length) return byField;
    const rows = await this.modelFields(manager).find({
      where: { fieldId: In([...fieldIds]) },
      order: { id: 'ASC' },
    });
    await this.attachRequirements(rows, manager);
    for (const row of rows) byField.set(row.fieldId, [...(byField.get(row.fieldId) ?? []), row]);
    return byField;
  }

  /** The model fields of the organisation's fields (optionally of one content type), with their requirements. */
  async organisationModelFields(
    organisationId: number,
    contentTypeId?: number,
  ): Promise<MetadataModelField[]> {
    const query = this.modelFields()
      .createQueryBuilder('m')
      .innerJoin('m.field', 'f')
      .where('f.organisation_id = :organisationId', { organisationId });
    if (contentTypeId !== undefined) query.andWhere('m.content_type_id = :contentTypeId', { contentTypeId });
    const rows = await query.orderBy('m.id', 'ASC').getMany();
    return this.attachRequirements(rows);
  }

  /** A model field of the organisation, with its field and requirements. */
  async organisationModelField(organisationId: number, id: number, manager?: EntityManager) {
    const row = await this.modelFields(manager)
      .createQueryBuilder('m')
      .innerJoinAndSelect('m.field', 'f')
      .where('m.id = :id AND f.organisation_id = :organisationId', { id, organisationId })
      .getOne();
    return row ? (await this.attachRequirements([row], manager))[0] : null;
  }

  /** The model field, locked FOR NO KEY UPDATE, if it is one of the organisation's. */
  lockModelField(
    manager: EntityManager,
    organisationId: number,
    id: number,
  ): Promise<MetadataModelField | null> {
    return this.modelFields(manager)
      .createQueryBuilder('m')
      .where('m.id = :id', { id })
      .andWhere(
        'EXISTS (SELECT 1 FROM metadata_fields f WHERE f.id = m.field_id AND f.organisation_id = :organisationId)',
        { organisationId },
      )
      .setLock('for_no_key_update')
      .getOne();
  }

  async modelFieldTaken(
    manager: EntityManager,
    fieldId: number,
    contentTypeId: number,
    exceptId?: number,
  ): Promise<boolean> {
    const query = this.modelFields(manager)
      .createQueryBuilder('m')
      .where('m.field_id = :fieldId AND m.content_type_id = :contentTypeId', { fieldId, contentTypeId });
    if (exceptId !== undefined) query.andWhere('m.id <> :exceptId', { exceptId });
    return (await query.getCount()) > 0;
  }

  insertModelField(
    manager: EntityManager,
    fieldId: number,
    contentTypeId: number,
  ): Promise<MetadataModelField> {
    const repo = this.modelFields(manager);
    return repo.save(repo.create({ fieldId, contentTypeId }));
  }

  async updateModelField(
    manager: EntityManager,
    id: number,
    columns: Partial<Pick<MetadataModelField, 'fieldId' | 'contentTypeId'>>,
  ): Promise<void> {
    if (Object.keys(columns).length) await this.modelFields(manager).update({ id }, columns);
  }

  /** Deletes the model field; its requirements and values go with it (ON DELETE CASCADE). */
  async deleteModelField(manager: EntityManager, id: number): Promise<void> {
    await this.modelFields(manager).delete({ id });
  }

  /** Makes `requirements` the model field's complete list. */
  async replaceRequirements(
    manager: EntityManager,
    modelFieldId: number,
    requirements: readonly RequirementColumns[],
  ): Promise<void> {
    const repo = manager.getRepository(MetadataModelFieldRequirement);
    await repo.delete({ modelFieldId });
    if (requirements.length) await repo.insert(requirements.map((r) => ({ ...r, modelFieldId })));
  }

  private async attachRequirements(
    rows: MetadataModelField[],
    manager?: EntityManager,
  ): Promise<MetadataModelField[]> {
    const requirements = rows.length
      ? await (manager ?? this.dataSource.manager)
          .getRepository(MetadataModelFieldRequirement)
          .find({ where: { modelFieldId: In(rows.map((r) => r.id)) }, order: { id: 'ASC' } })
      : [];
    for (const row of rows) row.isRequiredFor = requirements.filter((r) => r.modelFieldId === row.id);
    return rows;
  }

  // ---- values

  /**
   * These model fields with their fields, locked FOR SHARE in id order: the values written are checked against
   * a field type and scope no one changes or deletes before this transaction ends.
   */
  shareModelFields(manager: EntityManager, ids: readonly number[]): Promise<MetadataModelField[]> {
    if (!ids.length) return Promise.resolve([]);
    return this.modelFields(manager)
      .createQueryBuilder('m')
      .innerJoinAndSelect('m.field', 'f')
      .where('m.id IN (:...ids)', { ids: [...ids] })
      .orderBy('m.id', 'ASC')
      .setLock('pessimistic_read')
      .getMany();
  }

  /**
   * The requirements that apply to an object of this content type in this project: on model fields of that
   * content type whose field is the organisation's or this project's, required for the organisation or the project.
   */
  async applicableRequirements(
    manager: EntityManager,
    contentTypeId: number,
    project: Pick<Project, 'id' | 'organisationId'>,
    scopes: { organisation: number; project: number },
  ): Promise<ApplicableRequirement[]> {
    const rows: { model_field_id: number; name: string; project_id: number | null }[] = await manager.query(
      `SELECT r.model_field_id, f.name, f.project_id
         FROM metadata_model_field_requirements r
         JOIN metadata_model_fields m ON m.id = r.model_field_id
         JOIN metadata_fields f ON f.id = m.field_id
        WHERE m.content_type_id = $1
          AND f.organisation_id = $2
          AND (f.project_id IS NULL OR f.project_id = $3)
          AND ((r.content_type_id = $4 AND r.object_id = $2) OR (r.content_type_id = $5 AND r.object_id = $3))
        ORDER BY r.id`,
      [contentTypeId, project.organisationId, project.id, scopes.organisation, scopes.project],
    );
    return rows.map((r) => ({
      modelFieldId: r.model_field_id,
      fieldName: r.name,
      fieldProjectId: r.project_id,
    }));
  }

  /** Names of the project's own fields (they override organisation fields of the same name). */
  async projectFieldNames(
    manager: EntityManager,
    project: Pick<Project, 'id' | 'organisationId'>,
  ): Promise<Set<string>> {
    const rows = await this.fields(manager).find({
      select: { name: true },
      where: { organisationId: project.organisationId, projectId: project.id },
    });
    return new Set(rows.map((r) => r.name));
  }

  values(
    contentTypeId: number,
    objectIds: readonly number[],
    manager?: EntityManager,
  ): Promise<MetadataValue[]> {
    if (!objectIds.length) return Promise.resolve([]);
    return (manager ?? this.dataSource.manager)
      .getRepository(MetadataValue)
      .find({ where: { contentTypeId, objectId: In([...objectIds]) }, order: { id: 'ASC' } });
  }

  /** Makes `values` the object's complete list and returns them as stored. */
  async replaceValues(
    manager: EntityManager,
    owner: { contentTypeId: number; objectId: number; projectId: number },
    values: readonly ValueColumns[],
  ): Promise<MetadataValue[]> {
    const repo = manager.getRepository(MetadataValue);
    await repo.delete({ contentTypeId: owner.contentTypeId, objectId: owner.objectId });
    if (values.length) await repo.insert(values.map((v) => ({ ...v, ...owner })));
    return this.values(owner.contentTypeId, [owner.objectId], manager);
  }

  async deleteValues(
    manager: EntityManager,
    contentTypeId: number,
    objectIds: readonly number[],
  ): Promise<void> {
    if (objectIds.length)
      await manager.getRepository(MetadataValue).delete({ contentTypeId, objectId: In([...objectIds]) });
  }
}
