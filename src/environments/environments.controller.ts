import { Controller, Delete, Get, Patch, Post, Put, Req } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal';
import { NotFound } from '../common/domain-errors';
import { Page, pageOf, pageRequest } from '../common/pagination';
import { withMetadataReplaced } from '../entity-metadata/entity-metadata';
import { DetailJson, IdParam, Responds, S, ValidBody, ValidQuery } from '../http/schema';
import { myPermissionsJson, MyPermissionsJson } from '../permissions/my-permissions';
import {
  Authenticated,
  CurrentPrincipal,
  Permitted,
  RequirePermission,
} from '../permissions/permissions.decorators';
import { PermissionsService } from '../permissions/permissions.service';
import { Environment } from './environment.entity';
import {
  CloneEnvironment,
  type CloneEnvironmentInput,
  ClonedEnvironmentJson,
  CreateEnvironment,
  type CreateEnvironmentInput,
  EnvironmentJson,
  EnvironmentListQuery,
  type EnvironmentListQueryInput,
  EnvironmentPage,
  MessageListJson,
  ServerKeyInput,
  ServerKeyJson,
  UpdateEnvironment,
  type UpdateEnvironmentInput,
} from './environment.schemas';
import { clonedEnvironmentJson, environmentApiKeyJson } from './environment.serializers';
import { EnvironmentsService } from './environments.service';

/** The guard's answer for an unknown key (a path key is not an id, so the document does not add it). */
const NO_ENVIRONMENT = 'No such environment (or not visible to the caller)';

/** docs/contracts/admin-api.md §5 (environments are addressed by their client api_key). */
@Controller('api/v1/environments')
export class EnvironmentsController {
  constructor(
    private readonly environments: EnvironmentsService,
    private readonly permissions: PermissionsService,
  ) {}

  @Get()
  @Authenticated()
  @Responds(200, EnvironmentPage, "A page of the project's environments the caller may view")
  @Responds(400, MessageListJson, 'No valid ?project=')
  @Responds(403, DetailJson, 'Not a member of the project')
  async list(
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @ValidQuery(EnvironmentListQuery) query: EnvironmentListQueryInput,
  ): Promise<Page<EnvironmentJson>> {
    const environments = await this.environments.list(principal, query.project);
    const page = pageRequest(query);
    const start = (page.page - 1) * page.pageSize;
    return pageOf(
      request,
      page,
      environments.length,
      await this.environments.json(environments.slice(start, start + page.pageSize)),
    );
  }

  @Post()
  @Authenticated()
  @Responds(201, EnvironmentJson, 'The environment with its client key')
  @Responds(403, DetailJson, 'Not allowed to create environments in the project')
  @Responds(404, DetailJson, 'The project is not visible to the caller')
  async create(
    @CurrentPrincipal() principal: Principal,
    @ValidBody(CreateEnvironment) body: CreateEnvironmentInput,
  ): Promise<EnvironmentJson> {
    return (await this.environments.json([await this.environments.create(principal, body)]))[0];
  }

  @Get('get-by-uuid/:uuid')
  @RequirePermission('environment', 'VIEW_ENVIRONMENT', { param: 'uuid', by: 'uuid' })
  @Responds(200, EnvironmentJson, 'The environment')
  @Responds(403, DetailJson, 'No VIEW_ENVIRONMENT on the environment')
  @Responds(404, DetailJson, 'No environment of that uuid is visible to the caller')
  async retrieveByUuid(@Permitted('environment') environment: Environment): Promise<EnvironmentJson> {
    return (await this.environments.json([environment]))[0];
  }

  @Get(':apiKey')
  @RequirePermission('environment', 'VIEW_ENVIRONMENT', { param: 'apiKey' })
  @Responds(404, DetailJson, NO_ENVIRONMENT)
  @Responds(200, EnvironmentJson, 'The environment')
  async retrieve(@Permitted('environment') environment: Environment): Promise<EnvironmentJson> {
    return (await this.environments.json([environment]))[0];
  }

  @Put(':apiKey')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  @Responds(404, DetailJson, NO_ENVIRONMENT)
  @Responds(200, EnvironmentJson, 'The environment')
  async replace(
    @CurrentPrincipal() principal: Principal,
    @Permitted('environment') environment: Environment,
    @ValidBody(UpdateEnvironment) body: UpdateEnvironmentInput,
  ): Promise<EnvironmentJson> {
    const input = withMetadataReplaced(body);
    return (await this.environments.json([await this.environments.update(principal, environment, input)]))[0];
  }

  @Patch(':apiKey')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  @Responds(404, DetailJson, NO_ENVIRONMENT)
  @Responds(200, EnvironmentJson, 'The environment')
  async patch(
    @CurrentPrincipal() principal: Principal,
    @Permitted('environment') environment: Environment,
    @ValidBody(UpdateEnvironment, { partial: true }) body: Partial<UpdateEnvironmentInput>,
  ): Promise<EnvironmentJson> {
    return (await this.environments.json([await this.environments.update(principal, environment, body)]))[0];
  }

  @Delete(':apiKey')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  @Responds(404, DetailJson, NO_ENVIRONMENT)
  @Responds(204, null, 'Deleted')
  async remove(
    @CurrentPrincipal() principal: Principal,
    @Permitted('environment') environment: Environment,
  ): Promise<void> {
    await this.environments.remove(principal, environment);
  }

  @Post(':apiKey/clone')
  @RequirePermission('environment', 'VIEW_ENVIRONMENT', { param: 'apiKey' })
  @Responds(404, DetailJson, NO_ENVIRONMENT)
  @Responds(200, ClonedEnvironmentJson, 'The new environment')
  @Responds(403, DetailJson, 'Not allowed to create environments in the project')
  async clone(
    @CurrentPrincipal() principal: Principal,
    @Permitted('environment') environment: Environment,
    @ValidBody(CloneEnvironment) body: CloneEnvironmentInput,
  ): Promise<ClonedEnvironmentJson> {
    return clonedEnvironmentJson(await this.environments.clone(principal, environment, body));
  }

  @Get(':apiKey/my-permissions')
  @RequirePermission('environment', 'MEMBER', { param: 'apiKey' })
  @Responds(404, DetailJson, NO_ENVIRONMENT)
  @Responds(200, MyPermissionsJson, 'The caller’s grants')
  async myPermissions(
    @CurrentPrincipal() principal: Principal,
    @Permitted('environment') environment: Environment,
  ) {
    const grant = await this.permissions.environmentGrant(principal, environment, environment.project);
    if (!grant) throw new NotFound();
    return myPermissionsJson('environment', grant);
  }

  // ---- server-side keys (environment ADMIN)

  @Get(':apiKey/api-keys')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  @Responds(404, DetailJson, NO_ENVIRONMENT)
  @Responds(200, S.list(ServerKeyJson), "The environment's server-side SDK keys")
  async serverKeys(@Permitted('environment') environment: Environment): Promise<ServerKeyJson[]> {
    return (await this.environments.serverKeys(environment)).map(environmentApiKeyJson);
  }

  @Post(':apiKey/api-keys')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  @Responds(404, DetailJson, NO_ENVIRONMENT)
  @Responds(201, ServerKeyJson, 'The key')
  async createServerKey(
    @Permitted('environment') environment: Environment,
    @ValidBody(ServerKeyInput) body: ServerKeyInput,
  ): Promise<ServerKeyJson> {
    return environmentApiKeyJson(await this.environments.createServerKey(environment, body));
  }

  @Get(':apiKey/api-keys/:id')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  @Responds(404, DetailJson, NO_ENVIRONMENT)
  @Responds(200, ServerKeyJson, 'The key')
  async serverKey(
    @Permitted('environment') environment: Environment,
    @IdParam('id') id: number,
  ): Promise<ServerKeyJson> {
    return environmentApiKeyJson(await this.environments.serverKey(environment, id));
  }

  @Put(':apiKey/api-keys/:id')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  @Responds(404, DetailJson, NO_ENVIRONMENT)
  @Responds(200, ServerKeyJson, 'The key')
  async replaceServerKey(
    @Permitted('environment') environment: Environment,
    @IdParam('id') id: number,
    @ValidBody(ServerKeyInput) body: ServerKeyInput,
  ): Promise<ServerKeyJson> {
    return environmentApiKeyJson(await this.environments.updateServerKey(environment, id, body));
  }

  @Patch(':apiKey/api-keys/:id')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  @Responds(404, DetailJson, NO_ENVIRONMENT)
  @Responds(200, ServerKeyJson, 'The key')
  async patchServerKey(
    @Permitted('environment') environment: Environment,
    @IdParam('id') id: number,
    @ValidBody(ServerKeyInput, { partial: true }) body: Partial<ServerKeyInput>,
  ): Promise<ServerKeyJson> {
    return environmentApiKeyJson(await this.environments.updateServerKey(environment, id, body));
  }

  @Delete(':apiKey/api-keys/:id')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  @Responds(404, DetailJson, NO_ENVIRONMENT)
  @Responds(204, null, 'Deleted')
  async deleteServerKey(
    @Permitted('environment') environment: Environment,
    @IdParam('id') id: number,
  ): Promise<void> {
    await this.environments.deleteServerKey(environment, id);
  }
}
