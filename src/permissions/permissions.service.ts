import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { NotFound, PermissionDenied } from '../common/domain-errors';
import { parseId, parseUuid } from '../common/drf-values';
import type { Environment } from '../environments/environment.entity';
import type { Organisation, OrganisationRole } from '../organisations/organisation.entity';
import type { Project } from '../projects/project.entity';
import { EnvironmentPermission, OrganisationPermission, ProjectPermission } from './permission-keys';
import { GrantedRow, PermissionsRepository } from './permissions.repository';

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

/** An id, or `{ uuid }` read as a DRF get-by-uuid action reads its path segment; undefined when malformed. */
function lookupKey(ref: unknown, by: 'id' | 'uuid'): number | { uuid: string } | undefined {
  if (by === 'id') return parseId(ref);
  const uuid = parseUuid(ref, 'field');
  return uuid ? { uuid } : undefined;
}

function merge(rows: GrantedRow[]): Grant {
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
  constructor(private readonly repository: PermissionsRepository) {}

  /** The role of the principal in an organisation, or null when not a member. Superusers count as ADMIN. */
  async organisationRole(principal: Principal, organisationId: number): Promise<OrganisationRole | null> {
    if (principal.kind === 'master_key') {
      if (principal.key.organisationId !== organisationId) return null;
      return principal.key.isAdmin ? 'ADMIN' : 'USER';
    }
    if (principal.user.isSuperuser) return 'ADMIN';
    return this.repository.membershipRole(principal.user.id, organisationId);
  }

  async organisationGrant(principal: Principal, organisationId: number): Promise<Grant | null> {
    const role = await this.organisationRole(principal, organisationId);
    if (role === null) return null;
    if (role === 'ADMIN') return ADMIN_GRANT;
    if (principal.kind !== 'user') return NO_GRANT;
    return merge(await this.repository.organisationGrantRows(organisationId, principal.user.id));
  }

  async projectGrant(
    principal: Principal,
    project: Pick<Project, 'id' | 'organisationId'>,
  ): Promise<Grant | null> {
    const role = await this.organisationRole(principal, project.organisationId);
    if (role === null) return null;
    if (role === 'ADMIN') return ADMIN_GRANT;
    if (principal.kind !== 'user') return NO_GRANT;
    return merge(await this.repository.projectGrantRows(project.id, principal.user.id));
  }

  async environmentGrant(
    principal: Principal,
    environment: Pick<Environment, 'id' | 'projectId'>,
    project?: Pick<Project, 'id' | 'organisationId'>,
  ): Promise<Grant | null> {
    const owner = project ?? (await this.repository.project(environment.projectId));
    if (!owner) return null;
    const projectGrant = await this.projectGrant(principal, owner);
    if (projectGrant === null) return null;
    if (projectGrant.admin) return ADMIN_GRANT;
    if (principal.kind !== 'user') return NO_GRANT;
    return merge(await this.repository.environmentGrantRows([environment.id], principal.user.id));
  }

  // ---- resolve + require: 404 when not visible, 403 when visible but not allowed

  async requireOrganisation(
    principal: Principal,
    ref: unknown,
    need: Need<OrganisationPermission>,
    by: 'id' | 'uuid' = 'id',
  ): Promise<Organisation> {
    const key = lookupKey(ref, by);
    const organisation = key ? await this.repository.organisation(key) : null;
    if (!organisation) throw new NotFound();
    const grant = await this.organisationGrant(principal, organisation.id);
    if (!grant) throw new NotFound();
    if (!allows(grant, need)) throw new PermissionDenied();
    return organisation;
  }

  async requireProject(
    principal: Principal,
    ref: unknown,
    need: Need<ProjectPermission>,
    by: 'id' | 'uuid' = 'id',
  ): Promise<Project> {
    const key = lookupKey(ref, by);
    const project = key ? await this.repository.project(key) : null;
    if (!project) throw new NotFound();
    const grant = await this.projectGrant(principal, project);
    if (!grant) throw new NotFound();
    if (!allows(grant, need)) throw new PermissionDenied();
    return project;
  }

  /**
   * As requireProject, but without `need` the project is as invisible as another organisation's: 404, never 403.
   * Flagsmith's get-by-uuid lookups filter by the projects the caller may view instead of refusing.
   */
  async requireProjectHidden(
    principal: Principal,
    ref: unknown,
    need: Need<ProjectPermission>,
    by: 'id' | 'uuid' = 'id',
  ): Promise<Project> {
    try {
      return await this.requireProject(principal, ref, need, by);
    } catch (err) {
      if (err instanceof PermissionDenied) throw new NotFound();
      throw err;
    }
  }

  /** `ref` is an environment id, its client api_key (`by: 'api_key'`) or its uuid. The project is loaded with it. */
  async requireEnvironment(
    principal: Principal,
    ref: unknown,
    need: Need<EnvironmentPermission>,
    by: 'id' | 'api_key' | 'uuid' = 'api_key',
  ): Promise<Environment> {
    let environment: Environment | null = null;
    if (by === 'api_key') {
      if (typeof ref === 'string' && ref.length > 0 && ref.length <= 100)
        environment = await this.repository.environment({ apiKey: ref });
    } else if (by === 'uuid') {
      const uuid = parseUuid(ref, 'field');
      if (uuid) environment = await this.repository.environment({ uuid });
    } else {
      const environmentId = parseId(ref);
      if (environmentId) environment = await this.repository.environment({ id: environmentId });
    }
    if (!environment) throw new NotFound();
    const grant = await this.environmentGrant(principal, environment, environment.project);
    if (!grant) throw new NotFound();
    if (!allows(grant, need)) throw new PermissionDenied();
    return environment;
  }

  // ---- lists

  /** Ids of the organisations the principal belongs to (a master key: its own). */
  async memberOrganisationIds(principal: Principal): Promise<number[]> {
    if (principal.kind === 'master_key') return [principal.key.organisationId];
    return this.repository.memberOrganisationIds(principal.user.id);
  }

  /** Projects (optionally of one organisation) on which the principal has `need`. One or two queries. */
  async permittedProjects(
    principal: Principal,
    need: Need<ProjectPermission>,
    organisationId?: number,
  ): Promise<Project[]> {
    if (principal.kind === 'master_key') {
      if (!principal.key.isAdmin && need !== 'MEMBER') return [];
      return this.repository.projects({ organisationId, keyOrganisationId: principal.key.organisationId });
    }
    const user = principal.user;
    if (user.isSuperuser) return this.repository.projects({ organisationId });
    const key = need === 'ADMIN' || need === 'MEMBER' ? '' : need;
    return this.repository.projects({
      organisationId,
      visibleTo: { userId: user.id, member: need === 'MEMBER', key },
    });
  }

  /** Environments of a project on which the principal has `need`. */
  async permittedEnvironments(
    principal: Principal,
    project: Project,
    need: Need<EnvironmentPermission>,
  ): Promise<Environment[]> {
    const all = await this.repository.projectEnvironments(project.id);
    const projectGrant = await this.projectGrant(principal, project);
    if (!projectGrant) return [];
    if (projectGrant.admin || need === 'MEMBER') return all;
    if (principal.kind !== 'user' || all.length === 0) return [];
    const rows = await this.repository.environmentGrantRows(
      all.map((e) => e.id),
      principal.user.id,
    );
    return all.filter((env) => allows(merge(rows.filter((r) => r.environment_id === env.id)), need));
  }
}
