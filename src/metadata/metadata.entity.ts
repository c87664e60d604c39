import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  OneToMany,
  PrimaryGeneratedColumn,
  Relation,
} from 'typeorm';
import { Organisation } from '../organisations/organisation.entity';
import { Project } from '../projects/project.entity';

/** Flagsmith's FieldType: how a value is checked. */
export const METADATA_FIELD_TYPES = ['int', 'str', 'bool', 'url', 'multiline_str'] as const;
export type MetadataFieldType = (typeof METADATA_FIELD_TYPES)[number];

/**
 * A custom field of an organisation (or of one of its projects). Names are unique per organisation among its
 * organisation-level fields, and per project among that project's fields (two partial unique indexes).
 */
@Entity({ name: 'metadata_fields' })
@Index('UQ_metadata_fields_org_name', ['organisationId', 'name'], {
  unique: true,
  where: '"project_id" IS NULL',
})
@Index('UQ_metadata_fields_project_name', ['organisationId', 'projectId', 'name'], {
  unique: true,
  where: '"project_id" IS NOT NULL',
})
export class MetadataField {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'varchar', length: 255, default: 'str' })
  type!: MetadataFieldType;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ name: 'organisation_id', type: 'integer' })
  organisationId!: number;

  @ManyToOne(() => Organisation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organisation_id' })
  organisation?: Relation<Organisation>;

  @Column({ name: 'project_id', type: 'integer', nullable: true })
  @Index('IDX_metadata_fields_project')
  projectId!: number | null;

  @ManyToOne(() => Project, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'project_id' })
  project?: Relation<Project> | null;

  @OneToMany(() => MetadataModelField, (m) => m.field)
  modelFields?: Relation<MetadataModelField>[];
}

/** A field offered on one kind of object (a content type of src/metadata/content-types.ts). */
@Entity({ name: 'metadata_model_fields' })
@Index('UQ_metadata_model_fields_field_content_type', ['fieldId', 'contentTypeId'], { unique: true })
export class MetadataModelField {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'field_id', type: 'integer' })
  fieldId!: number;

  @ManyToOne(() => MetadataField, (f) => f.modelFields, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'field_id' })
  field?: Relation<MetadataField>;

  @Column({ name: 'content_type_id', type: 'integer' })
  contentTypeId!: number;

  @OneToMany(() => MetadataModelFieldRequirement, (r) => r.modelField)
  isRequiredFor?: Relation<MetadataModelFieldRequirement>[];
}

/** "Required for" an organisation or a project (content type + object id, as Flagsmith's generic relation). */
@Entity({ name: 'metadata_model_field_requirements' })
@Index('UQ_metadata_model_field_requirements', ['modelFieldId', 'contentTypeId', 'objectId'], {
  unique: true,
})
export class MetadataModelFieldRequirement {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'model_field_id', type: 'integer' })
  modelFieldId!: number;

  @ManyToOne(() => MetadataModelField, (m) => m.isRequiredFor, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'model_field_id' })
  modelField?: Relation<MetadataModelField>;

  @Column({ name: 'content_type_id', type: 'integer' })
  contentTypeId!: number;

  @Column({ name: 'object_id', type: 'integer' })
  objectId!: number;
}

/**
 * A value on a feature, segment or environment (content type + object id). `project_id` is the object's project:
 * deleting a project deletes its objects' values with it; a deleted object's values are removed by its service.
 */
@Entity({ name: 'metadata_values' })
@Index('UQ_metadata_values_model_field_object', ['modelFieldId', 'contentTypeId', 'objectId'], {
  unique: true,
})
@Index('IDX_metadata_values_object', ['contentTypeId', 'objectId'])
export class MetadataValue {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'model_field_id', type: 'integer' })
  modelFieldId!: number;

  @ManyToOne(() => MetadataModelField, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'model_field_id' })
  modelField?: Relation<MetadataModelField>;

  @Column({ name: 'content_type_id', type: 'integer' })
  contentTypeId!: number;

  @Column({ name: 'object_id', type: 'integer' })
  objectId!: number;

  @Column({ name: 'project_id', type: 'integer' })
  @Index('IDX_metadata_values_project')
  projectId!: number;

  @ManyToOne(() => Project, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'project_id' })
  project?: Relation<Project>;

  @Column({ name: 'field_value', type: 'text' })
  fieldValue!: string;
}
