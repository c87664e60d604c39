import { BadRequestException, Controller, Get, Patch, Post, Put, Req } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal';
import { Page, pageOf, pageRequest } from '../common/pagination';
import type { Environment } from '../environments/environment.entity';
import { DetailJson, IdParam, Responds, ValidBody, ValidQuery } from '../http/schema';
import {
  Authenticated,
  CurrentPrincipal,
  Permitted,
  RequirePermission,
} from '../permissions/permissions.decorators';
import {
  CreateEnvironmentState,
  type CreateEnvironmentStateInput,
  CreateFeatureState,
  type CreateFeatureStateInput,
  FeatureStateJson,
  FeatureStatePage,
  EnvironmentStatesQuery,
  type EnvironmentStatesQueryInput,
  FeatureStatesQuery,
  type FeatureStatesQueryInput,
  TypedFeatureStateJson,
  TypedFeatureStatePage,
  UpdateEnvironmentState,
  type UpdateEnvironmentStateInput,
  UpdateFeatureState,
  type UpdateFeatureStateInput,
} from './feature-state.schemas';
import { FeatureStatesService } from './feature-states.service';

/** docs/contracts/admin-api.md §7: the environment's default states, raw values. */
@Controller('api/v1/environments/:environment_api_key/featurestates')
export class EnvironmentFeatureStatesController {
  constructor(private readonly states: FeatureStatesService) {}

  @Get()
  @RequirePermission('environment', 'VIEW_ENVIRONMENT', { param: 'environment_api_key' })
  @Responds(200, FeatureStatePage, 'A page of states (`anyIdentity`: identity overrides, identity nested)')
  async list(
    @Req() request: FastifyRequest,
    @Permitted('environment') env: Environment,
    @ValidQuery(EnvironmentStatesQuery) query: EnvironmentStatesQueryInput,
  ): Promise<Page<FeatureStateJson>> {
    const page = pageRequest(query);
    // A flag parameter: `?anyIdentity` counts whatever its value (the schema reads '' as absent).
    const anyIdentity = 'anyIdentity' in ((request.query ?? {}) as Record<string, unknown>);
    const { count, rows } = await this.states.environmentStates(env, { ...query, anyIdentity }, page);
    return pageOf(request, page, count, rows);
  }

  @Post()
  @RequirePermission('environment', 'UPDATE_FEATURE_STATE', { param: 'environment_api_key' })
  @Responds(201, FeatureStateJson, 'The new state')
  @Responds(403, DetailJson, 'No UPDATE_FEATURE_STATE, or `feature` is missing or not of the project')
  create(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @ValidBody(CreateEnvironmentState) body: CreateEnvironmentStateInput,
  ): Promise<FeatureStateJson> {
    return this.states.createInEnvironment(p, env, body);
  }

  @Get(':id')
  @RequirePermission('environment', 'VIEW_ENVIRONMENT', { param: 'environment_api_key' })
  @Responds(200, FeatureStateJson, 'The state')
  async retrieve(
    @Permitted('environment') env: Environment,
    @IdParam('id') id: number,
  ): Promise<FeatureStateJson> {
    return (await this.states.json(await this.states.environmentState(env, id), 'raw')) as FeatureStateJson;
  }

  @Put(':id')
  @RequirePermission('environment', 'UPDATE_FEATURE_STATE', { param: 'environment_api_key' })
  @Responds(200, FeatureStateJson, 'The state')
  replace(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @IdParam('id') id: number,
    // Flagsmith treats PUT as partial here.
    @ValidBody(UpdateEnvironmentState, { partial: true }) body: UpdateEnvironmentStateInput,
  ): Promise<FeatureStateJson> {
    return this.states.updateEnvironmentState(p, env, id, body);
  }

  @Patch(':id')
  @RequirePermission('environment', 'UPDATE_FEATURE_STATE', { param: 'environment_api_key' })
  @Responds(200, FeatureStateJson, 'The state')
  patch(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @IdParam('id') id: number,
    @ValidBody(UpdateEnvironmentState, { partial: true }) body: UpdateEnvironmentStateInput,
  ): Promise<FeatureStateJson> {
    return this.states.updateEnvironmentState(p, env, id, body);
  }
}

/** docs/contracts/admin-api.md §7 P1: /api/v1/features/featurestates/ — typed value form, any kind of state. */
@Controller('api/v1/features/featurestates')
export class FeatureStatesController {
  constructor(private readonly states: FeatureStatesService) {}

  @Get()
  @Authenticated()
  @Responds(200, TypedFeatureStatePage, 'A page of the states of the environment')
  @Responds(403, DetailJson, 'No VIEW_ENVIRONMENT on the environment')
  async list(
    @Req() request: FastifyRequest,
    @CurrentPrincipal() p: Principal,
    @ValidQuery(FeatureStatesQuery) query: FeatureStatesQueryInput,
  ): Promise<Page<TypedFeatureStateJson>> {
    // DRF's ValidationError of a list: the body is the list itself.
    if (query.environment === undefined)
      throw new BadRequestException(["'environment' GET parameter is required."]);
    const page = pageRequest(query);
    const { count, rows } = await this.states.listAll(p, { ...query, environment: query.environment }, page);
    return pageOf(request, page, count, rows);
  }

  @Post()
  @Authenticated()
  @Responds(201, TypedFeatureStateJson, 'The state')
  @Responds(403, DetailJson, 'No UPDATE_FEATURE_STATE (MANAGE_SEGMENT_OVERRIDES for a segment override)')
  @Responds(404, DetailJson, 'The environment is not visible to the caller')
  create(
    @CurrentPrincipal() p: Principal,
    @ValidBody(CreateFeatureState) body: CreateFeatureStateInput,
  ): Promise<TypedFeatureStateJson> {
    return this.states.create(p, body);
  }

  @Put(':id')
  @Authenticated()
  @Responds(200, TypedFeatureStateJson, 'The state')
  @Responds(403, DetailJson, 'No permission to write the state')
  async replace(
    @CurrentPrincipal() p: Principal,
    @IdParam('id') id: number,
    @ValidBody(UpdateFeatureState) body: UpdateFeatureStateInput,
  ): Promise<TypedFeatureStateJson> {
    const { state, env } = await this.states.anyState(p, id);
    return this.states.update(p, env, state, body);
  }

  @Patch(':id')
  @Authenticated()
  @Responds(200, TypedFeatureStateJson, 'The state')
  @Responds(403, DetailJson, 'No permission to write the state')
  async patch(
    @CurrentPrincipal() p: Principal,
    @IdParam('id') id: number,
    @ValidBody(UpdateFeatureState, { partial: true }) body: Partial<UpdateFeatureStateInput>,
  ): Promise<TypedFeatureStateJson> {
    const { state, env } = await this.states.anyState(p, id);
    return this.states.update(p, env, state, body);
  }
}
