import { Body, Controller, Get, Param, Patch, Post, Put, Req } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { Principal } from '../auth/principal';
import { Environment } from '../environments/environment.entity';
import {
  Authenticated,
  CurrentPrincipal,
  Permitted,
  RequirePermission,
} from '../permissions/permissions.decorators';
import { FeatureStatesService } from './feature-states.service';

/** docs/contracts/admin-api.md §7: the environment's default states, raw values. */
@Controller('api/v1/environments/:environment_api_key/featurestates')
export class EnvironmentFeatureStatesController {
  constructor(private readonly states: FeatureStatesService) {}

  @Get()
  @RequirePermission('environment', 'VIEW_ENVIRONMENT', { param: 'environment_api_key' })
  list(@Req() request: FastifyRequest, @Permitted('environment') env: Environment) {
    return this.states.listForEnvironment(request, env);
  }

  @Get(':id')
  @RequirePermission('environment', 'VIEW_ENVIRONMENT', { param: 'environment_api_key' })
  async retrieve(@Permitted('environment') env: Environment, @Param('id') id: string) {
    return this.states.json(await this.states.environmentState(env, id), 'raw');
  }

  @Put(':id')
  @RequirePermission('environment', 'UPDATE_FEATURE_STATE', { param: 'environment_api_key' })
  async replace(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    return this.states.updateEnvironmentState(p, env, await this.states.environmentState(env, id), body);
  }

  @Patch(':id')
  @RequirePermission('environment', 'UPDATE_FEATURE_STATE', { param: 'environment_api_key' })
  async patch(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    return this.states.updateEnvironmentState(p, env, await this.states.environmentState(env, id), body);
  }
}

/** docs/contracts/admin-api.md §7 P1: /api/v1/features/featurestates/ — typed value form, any kind of state. */
@Controller('api/v1/features/featurestates')
export class FeatureStatesController {
  constructor(private readonly states: FeatureStatesService) {}

  @Get()
  @Authenticated()
  list(@Req() request: FastifyRequest, @CurrentPrincipal() p: Principal) {
    return this.states.listAll(request, p);
  }

  @Post()
  @Authenticated()
  create(@CurrentPrincipal() p: Principal, @Body() body: unknown) {
    return this.states.create(p, body);
  }

  @Put(':id')
  @Authenticated()
  async replace(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body() body: unknown) {
    const { state, env } = await this.states.anyState(p, id);
    return this.states.update(p, env, state, body, false);
  }

  @Patch(':id')
  @Authenticated()
  async patch(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body() body: unknown) {
    const { state, env } = await this.states.anyState(p, id);
    return this.states.update(p, env, state, body, true);
  }
}
