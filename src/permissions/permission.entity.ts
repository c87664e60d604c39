import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Relation } from 'typeorm';
import type { Environment } from '../environments/environment.entity';
import type { Organisation, UserGroup } from '../organisations/organisation.entity';
import type { Project } from '../projects/project.entity';
import type { User } from '../users/user.entity';

/**
 * Permission grants (docs/contracts/admin-api.md §0): to a user or a group, on an organisation, project or environment.
 * `permissions` holds permission keys (see permission-keys.ts); `admin` = every key of that level.
 * The six tables share their id and permission columns through the abstract bases below (TypeORM copies an abstract
 * base's columns into each entity's own table); what differs is the level and grantee columns and their index names.
 */

abstract class PermissionGrant {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 100, array: true, default: () => "'{}'" })
  permissions!: string[];
}

/** Project and environment grants can also be `admin` (organisation admins are a role, not a grant). */
abstract class AdminablePermissionGrant extends PermissionGrant {
  @Column({ type: 'boolean', default: false })
  admin!: boolean;
}

@Entity({ name: 'organisation_user_permissions' })
@Index('UQ_org_user_perms', ['organisationId', 'userId'], { unique: true })
export class OrganisationUserPermission extends PermissionGrant {
  @Column({ name: 'organisation_id', type: 'integer' })
  organisationId!: number;

  @ManyToOne('Organisation', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organisation_id' })
  organisation!: Relation<Organisation>;

  @Column({ name: 'user_id', type: 'integer' })
  @Index('IDX_org_user_perms_user')
  userId!: number;

  @ManyToOne('User', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user!: Relation<User>;
}

@Entity({ name: 'organisation_group_permissions' })
@Index('UQ_org_group_perms', ['organisationId', 'groupId'], { unique: true })
export class OrganisationGroupPermission extends PermissionGrant {
  @Column({ name: 'organisation_id', type: 'integer' })
  organisationId!: number;

  @ManyToOne('Organisation', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organisation_id' })
  organisation!: Relation<Organisation>;

  @Column({ name: 'group_id', type: 'integer' })
  @Index('IDX_org_group_perms_group')
  groupId!: number;

  @ManyToOne('UserGroup', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'group_id' })
  group!: Relation<UserGroup>;
}

@Entity({ name: 'project_user_permissions' })
@Index('UQ_project_user_perms', ['projectId', 'userId'], { unique: true })
export class ProjectUserPermission extends AdminablePermissionGrant {
  @Column({ name: 'project_id', type: 'integer' })
  projectId!: number;

  @ManyToOne('Project', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'project_id' })
  project!: Relation<Project>;

  @Column({ name: 'user_id', type: 'integer' })
  @Index('IDX_project_user_perms_user')
  userId!: number;

  @ManyToOne('User', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user!: Relation<User>;
}

@Entity({ name: 'project_group_permissions' })
@Index('UQ_project_group_perms', ['projectId', 'groupId'], { unique: true })
export class ProjectGroupPermission extends AdminablePermissionGrant {
  @Column({ name: 'project_id', type: 'integer' })
  projectId!: number;

  @ManyToOne('Project', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'project_id' })
  project!: Relation<Project>;

  @Column({ name: 'group_id', type: 'integer' })
  @Index('IDX_project_group_perms_group')
  groupId!: number;

  @ManyToOne('UserGroup', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'group_id' })
  group!: Relation<UserGroup>;
}

@Entity({ name: 'environment_user_permissions' })
@Index('UQ_environment_user_perms', ['environmentId', 'userId'], { unique: true })
export class EnvironmentUserPermission extends AdminablePermissionGrant {
  @Column({ name: 'environment_id', type: 'integer' })
  environmentId!: number;

  @ManyToOne('Environment', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'environment_id' })
  environment!: Relation<Environment>;

  @Column({ name: 'user_id', type: 'integer' })
  @Index('IDX_environment_user_perms_user')
  userId!: number;

  @ManyToOne('User', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user!: Relation<User>;
}

@Entity({ name: 'environment_group_permissions' })
@Index('UQ_environment_group_perms', ['environmentId', 'groupId'], { unique: true })
export class EnvironmentGroupPermission extends AdminablePermissionGrant {
  @Column({ name: 'environment_id', type: 'integer' })
  environmentId!: number;

  @ManyToOne('Environment', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'environment_id' })
  environment!: Relation<Environment>;

  @Column({ name: 'group_id', type: 'integer' })
  @Index('IDX_environment_group_perms_group')
  groupId!: number;

  @ManyToOne('UserGroup', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'group_id' })
  group!: Relation<UserGroup>;
}
