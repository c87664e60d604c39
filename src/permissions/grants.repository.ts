import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, EntityTarget } from 'typeorm';
import type { OrganisationMembership, UserGroup } from '../organisations/organisation.entity';
import type { User } from '../users/user.entity';
import { PermissionLevel } from './permission-keys';
import {
  EnvironmentGroupPermission,
  EnvironmentUserPermission,
  OrganisationGroupPermission,
  OrganisationUserPermission,
  ProjectGroupPermission,
  ProjectUserPermission,
} from './permission.entity';

/** Who a grant is for. */
export type GrantSubject = 'user' | 'group';

/** The object grants are on: an organisation, project or environment, and the organisation it belongs to. */
export interface GrantScope {
  readonly level: PermissionLevel;
  readonly id: number;
  readonly organisationId: number;
}

/** A row of any of the six grant tables; `user` / `group` are loaded by the reads. */
export interface GrantRow {
  id: number;
  permissions: string[];
  /** Absent at organisation level (organisation admins are a role, not a grant). */
  admin?: boolean;
  userId?: number;
  groupId?: number;
  user?: User;
  group?: UserGroup;
}

/** The columns a write may set. */
export interface GrantColumns {
  permissions?: string[];
  admin?: boolean;
}

const ENTITIES: Record<PermissionLevel, Record<GrantSubject, EntityTarget<GrantRow>>> = {
  organisation: { user: OrganisationUserPermission, group: OrganisationGroupPermission },
  project: { user: ProjectUserPermission, group: ProjectGroupPermission },
  environment: { user: EnvironmentUserPermission, group: EnvironmentGroupPermission },
};
const SCOPE_COLUMN = {
  organisation: 'organisationId',
  project: 'projectId',
  environment: 'environmentId',
} as const;
const SUBJECT_COLUMN = { user: 'userId', group: 'groupId' } as const;

/**
 * Every SQL statement about permission grants (the six tables: user / group × organisation / project /
 * environment). Writes take the unit of work's manager; reads outside a write use the primary. The rules are in
 * GrantsService; the reads of the permission check are in PermissionsRepository.
 */
@Injectable()
export class GrantsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The scope's grants to users (or groups), with the grantee, in id order. */
  list(scope: GrantScope, subject: GrantSubject): Promise<GrantRow[]> {
    return this.dataSource.getRepository(ENTITIES[scope.level][subject]).find({
      where: { [SCOPE_COLUMN[scope.level]]: scope.id },
      relations: { [subject]: true },
      order: { id: 'ASC' },
    });
  }

  /** One grant of the scope with its grantee (`manager`: read inside a write, after it). */
  find(
    scope: GrantScope,
    subject: GrantSubject,
    id: number,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<GrantRow | null> {
    return manager.getRepository(ENTITIES[scope.level][subject]).findOne({
      where: { id, [SCOPE_COLUMN[scope.level]]: scope.id },
      relations: { [subject]: true },
    });
  }

  /** The grant, locked FOR NO KEY UPDATE until the transaction ends (without its grantee: no outer join is locked). */
  lock(
    manager: EntityManager,
    scope: GrantScope,
    subject: GrantSubject,
    id: number,
  ): Promise<GrantRow | null> {
    return manager.getRepository(ENTITIES[scope.level][subject]).findOne({
      where: { id, [SCOPE_COLUMN[scope.level]]: scope.id },
      lock: { mode: 'for_no_key_update' },
    });
  }

  /**
   * A new grant of the scope to the user or group; null when that subject already has one there (the unique
   * index answers ON CONFLICT DO NOTHING, so the transaction stays usable and no error text is parsed).
   */
  async insert(
    manager: EntityManager,
    scope: GrantScope,
    subject: GrantSubject,
    subjectId: number,
    columns: GrantColumns,
  ): Promise<number | null> {
    const result = await manager
      .createQueryBuilder()
      .insert()
      .into(ENTITIES[scope.level][subject])
      .values({
        [SCOPE_COLUMN[scope.level]]: scope.id,
        [SUBJECT_COLUMN[subject]]: subjectId,
        permissions: columns.permissions ?? [],
        ...(columns.admin !== undefined ? { admin: columns.admin } : {}),
      })
      .orIgnore()
      .returning('id')
      .execute();
    const rows = result.raw as { id: number }[];
    return rows.length ? rows[0].id : null;
  }

  /** Writes exactly these columns. */
  async update(
    manager: EntityManager,
    scope: GrantScope,
    subject: GrantSubject,
    id: number,
    columns: GrantColumns,
  ): Promise<void> {
    if (Object.keys(columns).length)
      await manager.getRepository(ENTITIES[scope.level][subject]).update({ id }, columns);
  }

  async delete(manager: EntityManager, scope: GrantScope, subject: GrantSubject, id: number): Promise<void> {
    await manager.getRepository(ENTITIES[scope.level][subject]).delete({ id });
  }

  /** Whether the user is a member of the organisation (or the group one of its groups). */
  subjectInOrganisation(
    manager: EntityManager,
    subject: GrantSubject,
    id: number,
    organisationId: number,
  ): Promise<boolean> {
    return subject === 'user'
      ? manager
          .getRepository<OrganisationMembership>('OrganisationMembership')
          .existsBy({ userId: id, organisationId })
      : manager.getRepository<UserGroup>('UserGroup').existsBy({ id, organisationId });
  }
}
