import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req } from '@nestjs/common';
import { BadRequestException } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { Principal } from '../auth/principal';
import { notFound } from '../common/errors';
import { paginateArray } from '../common/pagination';
import { parseId } from '../common/validation';
import { myPermissionsJson } from '../permissions/my-permissions';
import {
  Authenticated,
  CurrentPrincipal,
  Permitted,
  RequirePermission,
} from '../permissions/permissions.decorators';
import { PermissionsService } from '../permissions/permissions.service';
import { Environment } from './environment.entity';
import { environmentApiKeyJson, environmentJson } from './environment.serializers';
import { EnvironmentsService } from './environments.service';

/** docs/contracts/admin-api.md §5 (environments are addressed by their client api_key). */
@Controller('api/v1/environments')
export class EnvironmentsController {
  constructor(
    private readonly environments: EnvironmentsService,
    private readonly permissions: PermissionsService,
  ) {}

  @Get()
  @Authenticated()
  async list(
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Query('project') project?: string,
  ) {
    const projectId = parseId(project);
    if (projectId === undefined)
      throw new BadRequestException(['Invalid or missing value for project parameter.']);
    const found = await this.permissions.requireProject(principal, projectId, 'MEMBER');
    const envs = await this.permissions.permittedEnvironments(principal, found, 'VIEW_ENVIRONMENT');
    return paginateArray(request, envs.map(environmentJson));
  }

  @Post()
  @Authenticated()
  async create(@CurrentPrincipal() principal: Principal, @Body() body: unknown) {
    return environmentJson(await this.environments.create(principal, body));
  }

  @Get(':apiKey')
  @RequirePermission('environment', 'VIEW_ENVIRONMENT', { param: 'apiKey' })
  retrieve(@Permitted('environment') env: Environment) {
    return environmentJson(env);
  }

  @Put(':apiKey')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  async replace(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @Body() body: unknown,
  ) {
    return environmentJson(await this.environments.update(p, env, body, false));
  }

  @Patch(':apiKey')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  async patch(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @Body() body: unknown,
  ) {
    return environmentJson(await this.environments.update(p, env, body, true));
  }

  @Delete(':apiKey')
  @HttpCode(204)
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  async remove(@CurrentPrincipal() p: Principal, @Permitted('environment') env: Environment): Promise<void> {
    await this.environments.remove(p, env);
  }

  @Post(':apiKey/clone')
  @HttpCode(200)
  @RequirePermission('environment', 'VIEW_ENVIRONMENT', { param: 'apiKey' })
  async clone(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @Body() body: unknown,
  ) {
    const clone = await this.environments.clone(p, env, body);
    return { id: clone.id, name: clone.name, api_key: clone.apiKey, project: clone.projectId };
  }

  @Get(':apiKey/my-permissions')
  @RequirePermission('environment', 'MEMBER', { param: 'apiKey' })
  async myPermissions(@CurrentPrincipal() p: Principal, @Permitted('environment') env: Environment) {
    const grant = await this.permissions.environmentGrant(p, env, env.project);
    if (!grant) throw notFound();
    return myPermissionsJson('environment', grant);
  }

  @Get(':apiKey/api-keys')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  async apiKeys(@Permitted('environment') env: Environment) {
    return (await this.environments.apiKeys(env)).map(environmentApiKeyJson);
  }

  @Post(':apiKey/api-keys')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  async createApiKey(@Permitted('environment') env: Environment, @Body() body: unknown) {
    return environmentApiKeyJson(await this.environments.createApiKey(env, body));
  }

  @Get(':apiKey/api-keys/:id')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  async apiKey(@Permitted('environment') env: Environment, @Param('id') id: string) {
    return environmentApiKeyJson(await this.environments.apiKey(env, id));
  }

  @Put(':apiKey/api-keys/:id')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  async replaceApiKey(
    @Permitted('environment') env: Environment,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    const key = await this.environments.apiKey(env, id);
    return environmentApiKeyJson(await this.environments.updateApiKey(env, key, body, false));
  }

  @Patch(':apiKey/api-keys/:id')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  async patchApiKey(
    @Permitted('environment') env: Environment,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    const key = await this.environments.apiKey(env, id);
    return environmentApiKeyJson(await this.environments.updateApiKey(env, key, body, true));
  }

  @Delete(':apiKey/api-keys/:id')
  @HttpCode(204)
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  async deleteApiKey(@Permitted('environment') env: Environment, @Param('id') id: string): Promise<void> {
    await this.environments.deleteApiKey(env, await this.environments.apiKey(env, id));
  }
}
