import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Principal } from '../auth/principal';
import { forbidden, notFound } from '../common/errors';
import { parseId } from '../common/validation';
import { Environment } from '../environments/environment.entity';
import { Organisation, OrganisationMembership, OrganisationRole } from '../organisations/organisation.entity';
import { Project } from '../projects/project.entity';
import { EnvironmentPermission, OrganisationPermission, ProjectPermission } from './permission-keys';

/**
 * What a principal may do at one level. `admin` = every key of that level (and of the levels below).
 * `null` from the *Grant methods means the object is outside the principal's organisations: answer 404.
 */
export interface Grant {
  readonly admin: boolean;
  readonly permissions: ReadonlySet<string>;
}

/** "MEMBER" = may see the object at all; "ADMIN" = org ADMIN / project admin / environment admin. */
export type Need<K extends string> = K | 'MEMBER' | 'ADMIN';

const ADMIN_GRANT: Grant = { admin: true, permissions: new Set() };
const NO_GRANT: Grant = { admin: false, permissions: new Set() };

export function allows<K extends string>(grant: Grant, need: Need<K>): boolean {
  if (need === 'MEMBER') return true;
  if (grant.admin) return true;
  return need !== 'ADMIN' && grant.permissions.has(need);
}

interface PermRow {
  admin: boolean | null;
  permissions: string[] | null;
}

function merge(rows: PermRow[]): Grant {
  const permissions = new Set<string>();
  let admin = false;
  for (const row of rows) {
    if (row.admin) admin = true;
    for (const key of row.permissions ?? []) permissions.add(key);
  }
  return { admin, permissions };
}

/**
 * The one place permission rules live (docs/contracts/admin-api.md §0):
 * superuser > organisation ADMIN (and admin master keys of that organisation) > project/environment grants,
 * per user and per group; `admin: true` = all keys; a project admin is admin of its environments.
 * Objects outside the principal's organisations are reported as 404 {"detail": "Not found."}; visible objects
 * without the permission as 403.
 *
 * Controllers normally do not call this directly: use @RequirePermission (permissions.decorators.ts).
 */
@Injectable()
export class PermissionsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private m(manager?: EntityManager): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  /** The role of the principal in an organisation, or null when not a member. Superusers count as ADMIN. */
  async organisationRole(principal: Principal, organisationId: number): Promise<OrganisationRole | null> {
    if (principal.kind === 'master_key') {
      if (principal.key.organisationId !== organisationId) return null;
      return principal.key.isAdmin ? 'ADMIN' : 'USER';
    }
    if (principal.user.isSuperuser) return 'ADMIN';
    const membership = await this.m()
      .getRepository(OrganisationMembership)
      .findOne({
        where: { userId: principal.user.id, organisationId },
        select: { role: true, id: true },
      });
    return membership?.role ?? null;
  }

  async organisationGrant(principal: Principal, organisationId: number): Promise<Grant | null> {
    const role = await this.organisationRole(principal, organisationId);
    if (role === null) return null;
    if (role === 'ADMIN') return ADMIN_GRANT;
    if (principal.kind !== 'user') return NO_GRANT;
    const rows = await this.m().query<PermRow[]>(
      `SELECT false AS admin, p.permissions FROM organisation_user_permissions p
        WHERE p.organisation_id = $1 AND p.user_id = $2
       UNION ALL
       SELECT false AS admin, p.permissions FROM organisation_group_permissions p
         JOIN user_group_members m ON m.group_id = p.group_id
        WHERE p.organisation_id = $1 AND m.user_id = $2`,
      [organisationId, principal.user.id],
    );
    return merge(rows);
  }

  async projectGrant(
    principal: Principal,
    project: Pick<Project, 'id' | 'organisationId'>,
  ): Promise<Grant | null> {
    const role = await this.organisationRole(principal, project.organisationId);
    if (role === null) return null;
    if (role === 'ADMIN') return ADMIN_GRANT;
    if (principal.kind !== 'user') return NO_GRANT;
    const rows = await this.m().query<PermRow[]>(
      `SELECT p.admin, p.permissions FROM project_user_permissions p
        WHERE p.project_id = $1 AND p.user_id = $2
       UNION ALL
       SELECT p.admin, p.permissions FROM project_group_permissions p
         JOIN user_group_members m ON m.group_id = p.group_id
        WHERE p.project_id = $1 AND m.user_id = $2`,
      [project.id, principal.user.id],
    );
    return merge(rows);
  }

  async environmentGrant(
    principal: Principal,
    environment: Pick<Environment, 'id' | 'projectId'>,
    project?: Pick<Project, 'id' | 'organisationId'>,
  ): Promise<Grant | null> {
    const owner =
      project ??
      (await this.m().getRepository(Project).findOneBy({ id: environment.projectId })) ??
      undefined;
    if (!owner) return null;
    const projectGrant = await this.projectGrant(principal, owner);
    if (projectGrant === null) return null;
    if (projectGrant.admin) return ADMIN_GRANT;
    if (principal.kind !== 'user') return NO_GRANT;
    const rows = await this.m().query<PermRow[]>(
      `SELECT p.admin, p.permissions FROM environment_user_permissions p
        WHERE p.environment_id = $1 AND p.user_id = $2
       UNION ALL
       SELECT p.admin, p.permissions FROM environment_group_permissions p
         JOIN user_group_members m ON m.group_id = p.group_id
        WHERE p.environment_id = $1 AND m.user_id = $2`,
      [environment.id, principal.user.id],
    );
    return merge(rows);
  }

  // ---- resolve + require: 404 when not visible, 403 when visible but not allowed

  async requireOrganisation(
    principal: Principal,
    id: unknown,
    need: Need<OrganisationPermission>,
  ): Promise<Organisation> {
    const organisationId = parseId(id);
    const organisation = organisationId
      ? await this.m().getRepository(Organisation).findOneBy({ id: organisationId })
      : null;
    if (!organisation) throw notFound();
    const grant = await this.organisationGrant(principal, organisation.id);
    if (!grant) throw notFound();
    if (!allows(grant, need)) throw forbidden();
    return organisation;
  }

  async requireProject(principal: Principal, id: unknown, need: Need<ProjectPermission>): Promise<Project> {
    const projectId = parseId(id);
    const project = projectId ? await this.m().getRepository(Project).findOneBy({ id: projectId }) : null;
    if (!project) throw notFound();
    const grant = await this.projectGrant(principal, project);
    if (!grant) throw notFound();
    if (!allows(grant, need)) throw forbidden();
    return project;
  }

  /** `ref` is an environment id, or its client api_key with `by: 'api_key'`. The project is loaded with it. */
  async requireEnvironment(
    principal: Principal,
    ref: unknown,
    need: Need<EnvironmentPermission>,
    by: 'id' | 'api_key' = 'api_key',
  ): Promise<Environment> {
    let environment: Environment | null = null;
    const repo = this.m().getRepository(Environment);
    if (by === 'api_key') {
      if (typeof ref === 'string' && ref.length > 0 && ref.length <= 100)
        environment = await repo.findOne({ where: { apiKey: ref }, relations: { project: true } });
    } else {
      const environmentId = parseId(ref);
      if (environmentId)
        environment = await repo.findOne({ where: { id: environmentId }, relations: { project: true } });
    }
    if (!environment) throw notFound();
    const grant = await this.environmentGrant(principal, environment, environment.project);
    if (!grant) throw notFound();
    if (!allows(grant, need)) throw forbidden();
    return environment;
  }

  // ---- lists

  /** Ids of the organisations the principal belongs to (a master key: its own). */
  async memberOrganisationIds(principal: Principal): Promise<number[]> {
    if (principal.kind === 'master_key') return [principal.key.organisationId];
    const rows = await this.m()
      .getRepository(OrganisationMembership)
      .find({
        where: { userId: principal.user.id },
        select: { organisationId: true, id: true },
      });
    return rows.map((r) => r.organisationId);
  }

  /** Projects (optionally of one organisation) on which the principal has `need`. One or two queries. */
  async permittedProjects(
    principal: Principal,
    need: Need<ProjectPermission>,
    organisationId?: number,
  ): Promise<Project[]> {
    const qb = this.m().getRepository(Project).createQueryBuilder('p').orderBy('p.id');
    if (organisationId !== undefined) qb.andWhere('p.organisation_id = :organisationId', { organisationId });
    if (principal.kind === 'master_key') {
      qb.andWhere('p.organisation_id = :keyOrg', { keyOrg: principal.key.organisationId });
      return principal.key.isAdmin || need === 'MEMBER' ? qb.getMany() : [];
    }
    const user = principal.user;
    if (user.isSuperuser) return qb.getMany();
    qb.andWhere(
      `EXISTS (SELECT 1 FROM organisation_memberships om WHERE om.organisation_id = p.organisation_id AND om.user_id = :uid
        AND (om.role = 'ADMIN' OR :member OR EXISTS (
          SELECT 1 FROM project_user_permissions pu WHERE pu.project_id = p.id AND pu.user_id = :uid
             AND (pu.admin OR :key = ANY(pu.permissions))
          UNION ALL
          SELECT 1 FROM project_group_permissions pg JOIN user_group_members gm ON gm.group_id = pg.group_id
           WHERE pg.project_id = p.id AND gm.user_id = :uid AND (pg.admin OR :key = ANY(pg.permissions)))))`,
      { uid: user.id, member: need === 'MEMBER', key: need === 'ADMIN' || need === 'MEMBER' ? '' : need },
    );
    return qb.getMany();
  }

  /** Environments of a project on which the principal has `need`. */
  async permittedEnvironments(
    principal: Principal,
    project: Project,
    need: Need<EnvironmentPermission>,
  ): Promise<Environment[]> {
    const all = await this.m()
      .getRepository(Environment)
      .find({ where: { projectId: project.id }, order: { id: 'ASC' } });
    const projectGrant = await this.projectGrant(principal, project);
    if (!projectGrant) return [];
    if (projectGrant.admin || need === 'MEMBER') return all;
    if (principal.kind !== 'user' || all.length === 0) return [];
    const rows = await this.m().query<(PermRow & { environment_id: number })[]>(
      `SELECT p.environment_id, p.admin, p.permissions FROM environment_user_permissions p
        WHERE p.user_id = $1 AND p.environment_id = ANY($2)
       UNION ALL
       SELECT p.environment_id, p.admin, p.permissions FROM environment_group_permissions p
         JOIN user_group_members m ON m.group_id = p.group_id
        WHERE m.user_id = $1 AND p.environment_id = ANY($2)`,
      [principal.user.id, all.map((e) => e.id)],
    );
    return all.filter((env) => allows(merge(rows.filter((r) => r.environment_id === env.id)), need));
  }
}
