import { applyDecorators, Controller, Delete, Get, Patch, Post, Put, type Type } from '@nestjs/common';
import type { PermittedObjects } from '../auth/principal';
import type { Environment } from '../environments/environment.entity';
import { IdParam, Responds, S, ValidBody } from '../http/schema';
import type { Organisation } from '../organisations/organisation.entity';
import type { Project } from '../projects/project.entity';
import { GRANT_SCHEMAS, type GrantFields, type GrantJsonOf, PermissionKeyJson } from './grant.schemas';
import { grantJson } from './grant.serializers';
import type { GrantScope, GrantSubject } from './grants.repository';
import { GrantsService } from './grants.service';
import { PERMISSION_DESCRIPTIONS, type PermissionLevel } from './permission-keys';
import { Authenticated, Permitted, RequirePermission } from './permissions.decorators';

/** GET /api/v1/{organisations|projects|environments}/permissions/: the permission keys of each level. */
@Controller('api/v1')
export class PermissionsController {
  constructor(private readonly grants: GrantsService) {}

  @Get('organisations/permissions')
  @Authenticated()
  @Responds(200, S.list(PermissionKeyJson), 'The organisation permission keys')
  organisationKeys(): PermissionKeyJson[] {
    return PERMISSION_DESCRIPTIONS.organisation;
  }

  @Get('projects/permissions')
  @Authenticated()
  @Responds(200, S.list(PermissionKeyJson), 'The project permission keys')
  projectKeys(): PermissionKeyJson[] {
    return PERMISSION_DESCRIPTIONS.project;
  }

  @Get('environments/permissions')
  @Authenticated()
  @Responds(200, S.list(PermissionKeyJson), 'The environment permission keys')
  environmentKeys(): PermissionKeyJson[] {
    return PERMISSION_DESCRIPTIONS.environment;
  }
}

/** The grant routes of one level: where its object is in the path and its scope (its schemas: GRANT_SCHEMAS). */
interface GrantLevelRoutes<L extends PermissionLevel> {
  readonly level: L;
  /** `organisations/:id` */
  readonly path: string;
  readonly param: string;
  /** The scope of the level's grants; its organisation bounds who may be granted (GrantsService). */
  readonly scope: (permitted: NonNullable<PermittedObjects[L]>) => GrantScope & { level: L };
}

const ORGANISATION_GRANTS: GrantLevelRoutes<'organisation'> = {
  level: 'organisation',
  path: 'organisations',
  param: 'id',
  scope: (o: Organisation) => ({ level: 'organisation', id: o.id, organisationId: o.id }),
};
const PROJECT_GRANTS: GrantLevelRoutes<'project'> = {
  level: 'project',
  path: 'projects',
  param: 'projectId',
  scope: (p: Project) => ({ level: 'project', id: p.id, organisationId: p.organisationId }),
};
const ENVIRONMENT_GRANTS: GrantLevelRoutes<'environment'> = {
  level: 'environment',
  path: 'environments',
  param: 'apiKey',
  scope: (e: Environment) => ({ level: 'environment', id: e.id, organisationId: e.project.organisationId }),
};

/** Admin of the route's object (org ADMIN, project admin, environment admin). */
function requireAdmin(level: PermissionLevel, param: string): MethodDecorator {
  if (level === 'organisation') return RequirePermission('organisation', 'ADMIN', { param });
  if (level === 'project') return RequirePermission('project', 'ADMIN', { param });
  return RequirePermission('environment', 'ADMIN', { param });
}

const capitalised = (word: string) => word[0].toUpperCase() + word.slice(1);

/**
 * The grant CRUD of one level and grantee (docs/contracts/admin-api.md §0):
 * `/api/v1/<level>s/<param>/user-permissions/` (users) or `…/user-group-permissions/` (groups), list, create, PUT,
 * PATCH (both partial) and delete; only an admin of the object may list or change its grants. One class per pair,
 * named for it (the document's operation ids are `<class>_<method>`).
 */
function grantsController<L extends PermissionLevel, G extends GrantSubject>(
  routes: GrantLevelRoutes<L>,
  subject: G,
): Type {
  type Permitted = NonNullable<PermittedObjects[L]>;
  type Json = GrantJsonOf[L][G];
  const { level, param } = routes;
  const schemas = GRANT_SCHEMAS[level];
  const json = schemas.json[subject];
  const described = subject === 'user' ? 'Grants to users' : 'Grants to groups';
  // PUT and PATCH are the same partial write (as Flagsmith's PUT here): one set of decorators for both.
  const writesGrant = () => applyDecorators(requireAdmin(level, param), Responds(200, json, 'The grant'));
  const Target = Permitted(level);
  const GrantId = IdParam('pk');
  const GrantChanges = ValidBody(schemas.update, { partial: true });

  @Controller(
    `api/v1/${routes.path}/:${param}/${subject === 'user' ? 'user-permissions' : 'user-group-permissions'}`,
  )
  class GrantsController {
    constructor(private readonly grants: GrantsService) {}

    @Get()
    @requireAdmin(level, param)
    @Responds(200, S.list(json), described)
    async list(@Permitted(level) target: Permitted): Promise<Json[]> {
      const scope = routes.scope(target);
      return (await this.grants.list(scope, subject)).map((row) => grantJson(scope, subject, row));
    }

    @Post()
    @requireAdmin(level, param)
    @Responds(201, json, 'The grant')
    async create(
      @Permitted(level) target: Permitted,
      @ValidBody(schemas.create[subject]) body: GrantFields & Record<G, number>,
    ): Promise<Json> {
      const scope = routes.scope(target);
      return grantJson(scope, subject, await this.grants.create(scope, subject, body[subject], body));
    }

    @Put(':pk')
    @writesGrant()
    put(@Target target: Permitted, @GrantId pk: number, @GrantChanges body: GrantFields): Promise<Json> {
      return this.update(target, pk, body);
    }

    @Patch(':pk')
    @writesGrant()
    patch(@Target target: Permitted, @GrantId pk: number, @GrantChanges body: GrantFields): Promise<Json> {
      return this.update(target, pk, body);
    }

    @Delete(':pk')
    @requireAdmin(level, param)
    @Responds(204, null, 'Deleted')
    async remove(@Permitted(level) target: Permitted, @IdParam('pk') pk: number): Promise<void> {
      await this.grants.remove(routes.scope(target), subject, pk);
    }

    private async update(target: Permitted, pk: number, body: GrantFields): Promise<Json> {
      const scope = routes.scope(target);
      return grantJson(scope, subject, await this.grants.update(scope, subject, pk, body));
    }
  }
  Object.defineProperty(GrantsController, 'name', {
    value: `${capitalised(level)}${capitalised(subject)}GrantsController`,
  });
  return GrantsController;
}

/** Every level × grantee. */
const both = <L extends PermissionLevel>(routes: GrantLevelRoutes<L>): Type[] => [
  grantsController(routes, 'user'),
  grantsController(routes, 'group'),
];
export const GRANT_CONTROLLERS: readonly Type[] = [
  ...both(ORGANISATION_GRANTS),
  ...both(PROJECT_GRANTS),
  ...both(ENVIRONMENT_GRANTS),
];
