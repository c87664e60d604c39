import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Environment } from '../environments/environment.entity';
import type {
  Organisation,
  OrganisationMembership,
  OrganisationRole,
} from '../organisations/organisation.entity';
import type { Project } from '../projects/project.entity';

/** One grant row that applies to a user (their own, or one of a group they are in). */
export interface GrantedRow {
  admin: boolean | null;
  permissions: string[] | null;
}

/** Which projects `projects` returns. */
export interface ProjectFilter {
  /** Only this organisation's (a `?organisation=` filter). */
  organisationId?: number;
  /** Only this organisation's too (a master key's own). */
  keyOrganisationId?: number;
  /**
   * Only those this user may see in an organisation they belong to: as organisation ADMIN, or (`member`) as any
   * member, or through a project grant that is admin or holds `key`.
   */
  visibleTo?: { userId: number; member: boolean; key: string };
}

/**
 * The reads of the permission check (PermissionsService): memberships, the grant rows that apply to a user, and
 * the objects a check resolves. Read on the primary: a grant just written is in force on the next request.
 * The organisations', projects' and environments' entities are named, not imported: permissions sits below those
 * folders (their controllers use its guards), and src/entities.ts registers every entity.
 */
@Injectable()
export class PermissionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async membershipRole(userId: number, organisationId: number): Promise<OrganisationRole | null> {
    const membership = await this.dataSource
      .getRepository<OrganisationMembership>('OrganisationMembership')
      .findOne({
        where: { userId, organisationId },
        select: { role: true, id: true },
      });
    return membership?.role ?? null;
  }

  async memberOrganisationIds(userId: number): Promise<number[]> {
    const rows = await this.dataSource.getRepository<OrganisationMembership>('OrganisationMembership').find({
      where: { userId },
      select: { organisationId: true, id: true },
    });
    return rows.map((r) => r.organisationId);
  }

  /** The user's and their groups' organisation grants (never admin: that is the ADMIN role). */
  organisationGrantRows(organisationId: number, userId: number): Promise<GrantedRow[]> {
    return this.dataSource.query<GrantedRow[]>(
      `SELECT false AS admin, p.permissions FROM organisation_user_permissions p
        WHERE p.organisation_id = $1 AND p.user_id = $2
       UNION ALL
       SELECT false AS admin, p.permissions FROM organisation_group_permissions p
         JOIN user_group_members m ON m.group_id = p.group_id
        WHERE p.organisation_id = $1 AND m.user_id = $2`,
      [organisationId, userId],
    );
  }

  projectGrantRows(projectId: number, userId: number): Promise<GrantedRow[]> {
    return this.dataSource.query<GrantedRow[]>(
      `SELECT p.admin, p.permissions FROM project_user_permissions p
        WHERE p.project_id = $1 AND p.user_id = $2
       UNION ALL
       SELECT p.admin, p.permissions FROM project_group_permissions p
         JOIN user_group_members m ON m.group_id = p.group_id
        WHERE p.project_id = $1 AND m.user_id = $2`,
      [projectId, userId],
    );
  }

  /** The user's environment grant rows on these environments, each with its environment. */
  environmentGrantRows(
    environmentIds: readonly number[],
    userId: number,
  ): Promise<(GrantedRow & { environment_id: number })[]> {
    return this.dataSource.query<(GrantedRow & { environment_id: number })[]>(
      `SELECT p.environment_id, p.admin, p.permissions FROM environment_user_permissions p
        WHERE p.user_id = $1 AND p.environment_id = ANY($2)
       UNION ALL
       SELECT p.environment_id, p.admin, p.permissions FROM environment_group_permissions p
         JOIN user_group_members m ON m.group_id = p.group_id
        WHERE m.user_id = $1 AND p.environment_id = ANY($2)`,
      [userId, environmentIds],
    );
  }

  organisation(ref: number | { uuid: string }): Promise<Organisation | null> {
    const where = typeof ref === 'number' ? { id: ref } : ref;
    return this.dataSource.getRepository<Organisation>('Organisation').findOneBy(where);
  }

  project(ref: number | { uuid: string }): Promise<Project | null> {
    const where = typeof ref === 'number' ? { id: ref } : ref;
    return this.dataSource.getRepository<Project>('Project').findOneBy(where);
  }

  /** An environment, found by id, by its client key or by its uuid, with its project. */
  environment(where: { id: number } | { apiKey: string } | { uuid: string }): Promise<Environment | null> {
    return this.dataSource
      .getRepository<Environment>('Environment')
      .findOne({ where, relations: { project: true } });
  }

  projectEnvironments(projectId: number): Promise<Environment[]> {
    return this.dataSource
      .getRepository<Environment>('Environment')
      .find({ where: { projectId }, order: { id: 'ASC' } });
  }

  /** Projects in id order, as the filter says. One query. */
  projects(filter: ProjectFilter): Promise<Project[]> {
    const qb = this.dataSource.getRepository<Project>('Project').createQueryBuilder('p').orderBy('p.id');
    if (filter.organisationId !== undefined)
      qb.andWhere('p.organisation_id = :organisationId', { organisationId: filter.organisationId });
    if (filter.keyOrganisationId !== undefined)
      qb.andWhere('p.organisation_id = :keyOrg', { keyOrg: filter.keyOrganisationId });
    const visible = filter.visibleTo;
    if (visible)
      qb.andWhere(
        `EXISTS (SELECT 1 FROM organisation_memberships om WHERE om.organisation_id = p.organisation_id AND om.user_id = :uid
          AND (om.role = 'ADMIN' OR :member OR EXISTS (
            SELECT 1 FROM project_user_permissions pu WHERE pu.project_id = p.id AND pu.user_id = :uid
               AND (pu.admin OR :key = ANY(pu.permissions))
            UNION ALL
            SELECT 1 FROM project_group_permissions pg JOIN user_group_members gm ON gm.group_id = pg.group_id
             WHERE pg.project_id = p.id AND gm.user_id = :uid AND (pg.admin OR :key = ANY(pg.permissions)))))`,
        { uid: visible.userId, member: visible.member, key: visible.key },
      );
    return qb.getMany();
  }
}
