import {
  applyDecorators,
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '../auth/auth.guard';
import type { AuthedRequest, PermittedObjects, Principal } from '../auth/principal';
import { NotAuthenticated, PermissionDenied, ValidationFailed } from '../common/domain-errors';
import { isPlainObject, toInteger } from '../common/drf-values';
import { DetailJson, Responds } from '../http/schema';
import type { User } from '../users/user.entity';
import { EnvironmentPermission, OrganisationPermission, ProjectPermission } from './permission-keys';
import { Need, PermissionsService } from './permissions.service';

/*
 * ───────────── How to protect a management endpoint ─────────────
 *
 *   @Authenticated()                       any valid Token / Api-Key (401 otherwise)
 *   @RequirePermission(level, need, where) authenticated + permission on ONE object found from the request:
 *
 *     @RequirePermission('project', 'CREATE_FEATURE', { param: 'project_pk' })
 *     @RequirePermission('environment', 'UPDATE_FEATURE_STATE', { param: 'environment_api_key' })   // by api_key
 *     @RequirePermission('environment', 'VIEW_ENVIRONMENT', { query: 'environment', by: 'id' })
 *     @RequirePermission('organisation', 'ADMIN', { param: 'id' })
 *     @RequirePermission('project', 'MEMBER', { body: 'project' })   // body ids: missing → 400, foreign → 404
 *     @RequirePermission('environment', 'VIEW_ENVIRONMENT', { param: 'uuid', by: 'uuid' })   // get-by-uuid
 *     @RequirePermission('project', 'VIEW_PROJECT', { param: 'uuid', by: 'uuid', hide: true })  // 404, never 403
 *
 *   need: a permission key of that level, 'MEMBER' (may see it) or 'ADMIN' (org ADMIN / project or env admin).
 *   Not in the caller's organisations (or no such id, or a malformed id) → 404 {"detail":"Not found."};
 *   visible but not allowed → 403. Superusers and org ADMINs pass everything in their scope.
 *
 *   In the handler:
 *     @CurrentUser() user: User                    (403 for master API keys: user-only endpoints)
 *     @CurrentPrincipal() principal: Principal      (user or master key; pass to services / AuditService)
 *     @Permitted('project') project: Project        (the object the guard loaded; environments come with .project)
 *
 *   For checks the decorator cannot express (several objects, lists), inject PermissionsService and use
 *   requireProject / requireEnvironment / permittedProjects / permittedEnvironments.
 */

/**
 * `by: 'uuid'` reads the value as Flagsmith's get-by-uuid actions do (not a uuid → 404). `hide: true` (projects):
 * without the permission 404 instead of 403, for Flagsmith's lookups that filter by the caller's projects.
 */
interface LocationOptions {
  by?: 'id' | 'api_key' | 'uuid';
  hide?: true;
}

export type PermissionLocation =
  | ({ param: string } & LocationOptions)
  | ({ query: string } & LocationOptions)
  | ({ body: string } & LocationOptions);

type Requirement =
  | { level: 'organisation'; need: Need<OrganisationPermission>; where: PermissionLocation }
  | { level: 'project'; need: Need<ProjectPermission>; where: PermissionLocation }
  | { level: 'environment'; need: Need<EnvironmentPermission>; where: PermissionLocation };

const REQUIREMENT = 'flagport:permission-requirement';

@Injectable()
export class PermissionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly permissions: PermissionsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const requirement = this.reflector.get<Requirement | undefined>(REQUIREMENT, context.getHandler());
    if (!requirement) return true;
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const principal = request.principal;
    if (!principal) throw new NotAuthenticated();
    const ref = locate(request, requirement.where);
    const permitted: PermittedObjects = (request.permitted ??= {});
    switch (requirement.level) {
      case 'organisation':
        permitted.organisation = await this.permissions.requireOrganisation(
          principal,
          ref,
          requirement.need,
          byIdOrUuid(requirement.where),
        );
        break;
      case 'project': {
        const by = byIdOrUuid(requirement.where);
        permitted.project = requirement.where.hide
          ? await this.permissions.requireProjectHidden(principal, ref, requirement.need, by)
          : await this.permissions.requireProject(principal, ref, requirement.need, by);
        break;
      }
      case 'environment': {
        const by = requirement.where.by ?? ('param' in requirement.where ? 'api_key' : 'id');
        const environment = await this.permissions.requireEnvironment(principal, ref, requirement.need, by);
        permitted.environment = environment;
        permitted.project = environment.project;
        break;
      }
    }
    return true;
  }
}

/** Organisations and projects are found by id, or by uuid when the location says so. */
function byIdOrUuid(where: PermissionLocation): 'id' | 'uuid' {
  return where.by === 'uuid' ? 'uuid' : 'id';
}

function locate(request: AuthedRequest, where: PermissionLocation): unknown {
  if ('param' in where) return (request.params as Record<string, unknown> | undefined)?.[where.param];
  if ('query' in where) return (request.query as Record<string, unknown> | undefined)?.[where.query];
  const body: unknown = request.body;
  const value = isPlainObject(body) ? body[where.body] : undefined;
  if (value === undefined || value === null || value === '')
    throw ValidationFailed.field(where.body, 'This field is required.');
  if ((where.by ?? 'id') === 'id' && toInteger(value) === undefined)
    throw ValidationFailed.field(where.body, `Incorrect type. Expected pk value, received ${typeof value}.`);
  return value;
}

export const Authenticated = () => UseGuards(AuthGuard);

export function RequirePermission(
  level: 'organisation',
  need: Need<OrganisationPermission>,
  where: PermissionLocation,
): MethodDecorator & ClassDecorator;
export function RequirePermission(
  level: 'project',
  need: Need<ProjectPermission>,
  where: PermissionLocation,
): MethodDecorator & ClassDecorator;
export function RequirePermission(
  level: 'environment',
  need: Need<EnvironmentPermission>,
  where: PermissionLocation,
): MethodDecorator & ClassDecorator;
export function RequirePermission(
  level: Requirement['level'],
  need: string,
  where: PermissionLocation,
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(REQUIREMENT, { level, need, where }),
    UseGuards(AuthGuard, PermissionGuard),
  );
}

/**
 * `need` on the environment the request names (path, query or body), documented with the 404 that an environment
 * the caller cannot see answers (never a 403: its existence is not leaked).
 */
export function RequireEnvironmentPermission(
  need: Need<EnvironmentPermission>,
  where: PermissionLocation,
): MethodDecorator {
  return applyDecorators(
    RequirePermission('environment', need, where),
    Responds(404, DetailJson, 'The environment is not visible to the caller'),
  );
}

export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => {
    const principal = context.switchToHttp().getRequest<AuthedRequest>().principal;
    if (!principal) throw new NotAuthenticated();
    return principal;
  },
);

export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): User => {
  const principal = context.switchToHttp().getRequest<AuthedRequest>().principal;
  if (!principal) throw new NotAuthenticated();
  if (principal.kind !== 'user') throw new PermissionDenied();
  return principal.user;
});

export const Permitted = createParamDecorator(
  (level: keyof PermittedObjects, context: ExecutionContext) =>
    context.switchToHttp().getRequest<AuthedRequest>().permitted?.[level],
);
