import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Relation,
} from 'typeorm';
import { TIMESTAMP } from '../common/entity-helpers';
import { Environment } from '../environments/environment.entity';
import { MasterApiKey, Organisation } from '../organisations/organisation.entity';
import { Project } from '../projects/project.entity';
import type { User } from '../users/user.entity';

export type AuditRelatedObjectType =
  | 'FEATURE'
  | 'FEATURE_STATE'
  | 'SEGMENT'
  | 'ENVIRONMENT'
  | 'CHANGE_REQUEST'
  | 'EDGE_IDENTITY'
  | 'IMPORT_REQUEST'
  | 'EF_VERSION'
  | 'FEATURE_HEALTH'
  | 'PROJECT'
  | 'ORGANISATION'
  | 'IDENTITY'
  | 'TAG'
  | 'USER_GROUP';

/**
 * One audit record. Project/environment/organisation links are SET NULL on delete so the history survives;
 * `before`/`after` hold JSON snapshots of the changed object.
 */
@Entity({ name: 'audit_logs' })
@Index('IDX_audit_logs_project_created', ['projectId', 'createdDate'])
@Index('IDX_audit_logs_org_created', ['organisationId', 'createdDate'])
export class AuditLog {
  @PrimaryGeneratedColumn()
  id!: number;

  @CreateDateColumn({ name: 'created_date', type: TIMESTAMP })
  createdDate!: Date;

  @Column({ type: 'text' })
  log!: string;

  @Column({ name: 'author_id', type: 'integer', nullable: true })
  authorId!: number | null;

  @ManyToOne('User', { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'author_id' })
  author!: Relation<User> | null;

  @Column({ name: 'master_api_key_id', type: 'integer', nullable: true })
  masterApiKeyId!: number | null;

  @ManyToOne(() => MasterApiKey, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'master_api_key_id' })
  masterApiKey!: Relation<MasterApiKey> | null;

  @Column({ name: 'organisation_id', type: 'integer', nullable: true })
  organisationId!: number | null;

  @ManyToOne(() => Organisation, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'organisation_id' })
  organisation!: Relation<Organisation> | null;

  @Column({ name: 'project_id', type: 'integer', nullable: true })
  projectId!: number | null;

  @ManyToOne(() => Project, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'project_id' })
  project!: Relation<Project> | null;

  @Column({ name: 'environment_id', type: 'integer', nullable: true })
  @Index('IDX_audit_logs_env')
  environmentId!: number | null;

  @ManyToOne(() => Environment, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'environment_id' })
  environment!: Relation<Environment> | null;

  @Column({ name: 'related_object_id', type: 'integer', nullable: true })
  relatedObjectId!: number | null;

  @Column({ name: 'related_object_uuid', type: 'varchar', length: 36, nullable: true })
  relatedObjectUuid!: string | null;

  @Column({ name: 'related_object_type', type: 'varchar', length: 50, nullable: true })
  relatedObjectType!: AuditRelatedObjectType | null;

  @Column({ name: 'is_system_event', type: 'boolean', default: false })
  isSystemEvent!: boolean;

  @Column({ type: 'jsonb', nullable: true })
  before!: unknown;

  @Column({ type: 'jsonb', nullable: true })
  after!: unknown;
}
