import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { fieldError, notFound } from '../common/errors';
import { BodyReader, parseId } from '../common/validation';
import { OrganisationMembership, UserGroup } from '../organisations/organisation.entity';
import { User } from '../users/user.entity';
import {
  ENVIRONMENT_PERMISSIONS,
  ORGANISATION_PERMISSIONS,
  PermissionLevel,
  PROJECT_PERMISSIONS,
} from './permission-keys';
import {
  EnvironmentGroupPermission,
  EnvironmentUserPermission,
  OrganisationGroupPermission,
  OrganisationUserPermission,
  ProjectGroupPermission,
  ProjectUserPermission,
} from './permission.entity';

type Subject = 'user' | 'group';
type GrantRow = {
  id: number;
  permissions: string[];
  admin?: boolean;
  userId?: number;
  groupId?: number;
  user?: User;
  group?: UserGroup;
};

const ENTITIES = {
  organisation: { user: OrganisationUserPermission, group: OrganisationGroupPermission },
  project: { user: ProjectUserPermission, group: ProjectGroupPermission },
  environment: { user: EnvironmentUserPermission, group: EnvironmentGroupPermission },
} as const;
const SCOPE_COLUMN = {
  organisation: 'organisationId',
  project: 'projectId',
  environment: 'environmentId',
} as const;
const KEYS: Record<PermissionLevel, readonly string[]> = {
  organisation: ORGANISATION_PERMISSIONS,
  project: PROJECT_PERMISSIONS,
  environment: ENVIRONMENT_PERMISSIONS,
};

/**
 * CRUD of user / group permission grants at any level (…/user-permissions/, …/user-group-permissions/).
 * The caller has already checked that the principal is an admin of the scope object.
 */
@Injectable()
export class GrantsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private repo(level: PermissionLevel, subject: Subject) {
    return this.dataSource.getRepository<GrantRow>(ENTITIES[level][subject]);
  }

  async list(level: PermissionLevel, subject: Subject, scopeId: number) {
    const rows = await this.repo(level, subject).find({
      where: { [SCOPE_COLUMN[level]]: scopeId },
      relations: { [subject]: true },
      order: { id: 'ASC' },
    });
    return rows.map((r) => this.json(level, subject, scopeId, r));
  }

  async get(level: PermissionLevel, subject: Subject, scopeId: number, idRaw: unknown): Promise<GrantRow> {
    const id = parseId(idRaw);
    const row = id
      ? await this.repo(level, subject).findOne({
          where: { id, [SCOPE_COLUMN[level]]: scopeId },
          relations: { [subject]: true },
        })
      : null;
    if (!row) throw notFound();
    return row;
  }

  /** `organisationId` bounds who may be granted: members / groups of that organisation. */
  async save(
    level: PermissionLevel,
    subject: Subject,
    scopeId: number,
    organisationId: number,
    body: unknown,
    existing: GrantRow | null,
    partial: boolean,
  ) {
    const v = new BodyReader(body, { partial: partial || existing !== null });
    const subjectId = existing ? undefined : v.integer(subject, { min: 1 });
    const permissions = v.stringList('permissions', {
      choices: KEYS[level],
      optional: level !== 'organisation',
    });
    const admin = level === 'organisation' ? undefined : v.boolean('admin', { optional: true });
    v.assertValid();
    if (subjectId !== undefined) await this.checkSubject(subject, subjectId, organisationId);
    const repo = this.repo(level, subject);
    const row: GrantRow =
      existing ??
      repo.create({
        [SCOPE_COLUMN[level]]: scopeId,
        [subject === 'user' ? 'userId' : 'groupId']: subjectId,
        permissions: [],
      });
    if (permissions !== undefined) row.permissions = [...new Set(permissions)];
    if (admin !== undefined) row.admin = admin;
    let saved: GrantRow;
    try {
      saved = await repo.save(row);
    } catch (err) {
      if (err instanceof Error && /duplicate key/.test(err.message))
        throw fieldError('non_field_errors', `Permissions for this ${subject} already exist.`);
      throw err;
    }
    return this.json(level, subject, scopeId, await this.get(level, subject, scopeId, saved.id));
  }

  async remove(level: PermissionLevel, subject: Subject, scopeId: number, idRaw: unknown): Promise<void> {
    const row = await this.get(level, subject, scopeId, idRaw);
    await this.repo(level, subject).delete({ id: row.id });
  }

  private async checkSubject(subject: Subject, id: number, organisationId: number): Promise<void> {
    const ok =
      subject === 'user'
        ? await this.dataSource.getRepository(OrganisationMembership).existsBy({ userId: id, organisationId })
        : await this.dataSource.getRepository(UserGroup).existsBy({ id: In([id]), organisationId });
    if (!ok) throw fieldError(subject, `Invalid pk "${id}" - object does not exist.`);
  }

  json(level: PermissionLevel, subject: Subject, scopeId: number, row: GrantRow) {
    return {
      id: row.id,
      [subject]:
        subject === 'user' && row.user
          ? {
              id: row.user.id,
              email: row.user.email,
              first_name: row.user.firstName,
              last_name: row.user.lastName,
            }
          : row.group
            ? { id: row.group.id, name: row.group.name }
            : (row.userId ?? row.groupId),
      permissions: row.permissions,
      ...(level === 'organisation' ? {} : { admin: row.admin ?? false }),
      [level]: scopeId,
    };
  }
}
