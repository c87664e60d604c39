import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { Principal } from '../auth/principal';
import { Environment } from '../environments/environment.entity';
import { CurrentPrincipal, Permitted, RequirePermission } from '../permissions/permissions.decorators';
import { IdentitiesService } from './identities.service';
import { IdentityOverridesService } from './identity-overrides.service';
import { identityJson, traitJson } from './identity.serializers';

const ENV = { param: 'environment_api_key' } as const;

/**
 * docs/contracts/admin-api.md §9 (core identities): identities (VIEW_IDENTITIES / MANAGE_IDENTITIES), identity overrides
 * (VIEW_ENVIRONMENT / UPDATE_FEATURE_STATE), traits (VIEW_IDENTITIES / MANAGE_IDENTITIES), plus the environment's
 * trait-keys (VIEW_ENVIRONMENT) and delete-traits (environment admin).
 */
@Controller('api/v1/environments/:environment_api_key')
export class IdentitiesController {
  constructor(
    private readonly identities: IdentitiesService,
    private readonly overrides: IdentityOverridesService,
  ) {}

  // ---- identities

  @Get('identities')
  @RequirePermission('environment', 'VIEW_IDENTITIES', ENV)
  list(@Permitted('environment') env: Environment, @Req() request: FastifyRequest) {
    return this.identities.list(request, env);
  }

  @Post('identities')
  @RequirePermission('environment', 'MANAGE_IDENTITIES', ENV)
  create(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @Body() body: unknown,
  ) {
    return this.identities.create(p, env, body);
  }

  @Get('identities/:id')
  @RequirePermission('environment', 'VIEW_IDENTITIES', ENV)
  async retrieve(@Permitted('environment') env: Environment, @Param('id') id: string) {
    const identity = await this.identities.get(env, id);
    return identityJson(identity);
  }

  @Put('identities/:id')
  @RequirePermission('environment', 'MANAGE_IDENTITIES', ENV)
  async replace(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    return this.identities.update(p, env, await this.identities.get(env, id), body, false);
  }

  @Patch('identities/:id')
  @RequirePermission('environment', 'MANAGE_IDENTITIES', ENV)
  async patch(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    return this.identities.update(p, env, await this.identities.get(env, id), body, true);
  }

  @Delete('identities/:id')
  @HttpCode(204)
  @RequirePermission('environment', 'MANAGE_IDENTITIES', ENV)
  async remove(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @Param('id') id: string,
  ): Promise<void> {
    await this.identities.remove(p, env, await this.identities.get(env, id));
  }

  // ---- identity overrides

  @Get('identities/:identity_pk/featurestates')
  @RequirePermission('environment', 'VIEW_ENVIRONMENT', ENV)
  async overrideList(
    @Permitted('environment') env: Environment,
    @Param('identity_pk') identityPk: string,
    @Req() request: FastifyRequest,
  ) {
    return this.overrides.list(request, await this.identities.get(env, identityPk));
  }

  @Post('identities/:identity_pk/featurestates')
  @RequirePermission('environment', 'UPDATE_FEATURE_STATE', ENV)
  async overrideCreate(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @Param('identity_pk') identityPk: string,
    @Body() body: unknown,
  ) {
    return this.overrides.create(p, env, await this.identities.get(env, identityPk), body);
  }

  @Get('identities/:identity_pk/featurestates/all')
  @RequirePermission('environment', 'VIEW_ENVIRONMENT', ENV)
  async overrideAll(@Permitted('environment') env: Environment, @Param('identity_pk') identityPk: string) {
    return this.overrides.all(env, await this.identities.get(env, identityPk));
  }

  @Post('identities/:identity_pk/featurestates/clone-from-given-identity')
  @HttpCode(200)
  @RequirePermission('environment', 'UPDATE_FEATURE_STATE', ENV)
  async overrideClone(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @Param('identity_pk') identityPk: string,
    @Body() body: unknown,
  ) {
    return this.overrides.cloneFrom(p, env, await this.identities.get(env, identityPk), body);
  }

  @Get('identities/:identity_pk/featurestates/:id')
  @RequirePermission('environment', 'VIEW_ENVIRONMENT', ENV)
  async overrideRetrieve(
    @Permitted('environment') env: Environment,
    @Param('identity_pk') identityPk: string,
    @Param('id') id: string,
  ) {
    const identity = await this.identities.get(env, identityPk);
    return this.overrides.retrieve(identity, await this.overrides.get(identity, id));
  }

  @Put('identities/:identity_pk/featurestates/:id')
  @RequirePermission('environment', 'UPDATE_FEATURE_STATE', ENV)
  async overrideReplace(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @Param('identity_pk') identityPk: string,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    const identity = await this.identities.get(env, identityPk);
    return this.overrides.update(p, env, identity, await this.overrides.get(identity, id), body);
  }

  @Patch('identities/:identity_pk/featurestates/:id')
  @RequirePermission('environment', 'UPDATE_FEATURE_STATE', ENV)
  async overridePatch(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @Param('identity_pk') identityPk: string,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    const identity = await this.identities.get(env, identityPk);
    return this.overrides.update(p, env, identity, await this.overrides.get(identity, id), body);
  }

  @Delete('identities/:identity_pk/featurestates/:id')
  @HttpCode(204)
  @RequirePermission('environment', 'UPDATE_FEATURE_STATE', ENV)
  async overrideRemove(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @Param('identity_pk') identityPk: string,
    @Param('id') id: string,
  ): Promise<void> {
    const identity = await this.identities.get(env, identityPk);
    await this.overrides.remove(p, env, identity, await this.overrides.get(identity, id));
  }

  // ---- traits

  @Get('identities/:identity_pk/traits')
  @RequirePermission('environment', 'VIEW_IDENTITIES', ENV)
  async traitList(
    @Permitted('environment') env: Environment,
    @Param('identity_pk') identityPk: string,
    @Req() request: FastifyRequest,
  ) {
    return this.identities.listTraits(request, await this.identities.get(env, identityPk));
  }

  @Post('identities/:identity_pk/traits')
  @RequirePermission('environment', 'MANAGE_IDENTITIES', ENV)
  async traitCreate(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @Param('identity_pk') identityPk: string,
    @Body() body: unknown,
  ) {
    return this.identities.createTrait(p, env, await this.identities.get(env, identityPk), body);
  }

  @Get('identities/:identity_pk/traits/:id')
  @RequirePermission('environment', 'VIEW_IDENTITIES', ENV)
  async traitRetrieve(
    @Permitted('environment') env: Environment,
    @Param('identity_pk') identityPk: string,
    @Param('id') id: string,
  ) {
    const identity = await this.identities.get(env, identityPk);
    const trait = await this.identities.getTrait(identity, id);
    return traitJson(trait);
  }

  @Put('identities/:identity_pk/traits/:id')
  @RequirePermission('environment', 'MANAGE_IDENTITIES', ENV)
  async traitReplace(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @Param('identity_pk') identityPk: string,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    const identity = await this.identities.get(env, identityPk);
    return this.identities.updateTrait(
      p,
      env,
      identity,
      await this.identities.getTrait(identity, id),
      body,
      false,
    );
  }

  @Patch('identities/:identity_pk/traits/:id')
  @RequirePermission('environment', 'MANAGE_IDENTITIES', ENV)
  async traitPatch(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @Param('identity_pk') identityPk: string,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    const identity = await this.identities.get(env, identityPk);
    return this.identities.updateTrait(
      p,
      env,
      identity,
      await this.identities.getTrait(identity, id),
      body,
      true,
    );
  }

  @Delete('identities/:identity_pk/traits/:id')
  @HttpCode(204)
  @RequirePermission('environment', 'MANAGE_IDENTITIES', ENV)
  async traitRemove(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @Param('identity_pk') identityPk: string,
    @Param('id') id: string,
    @Query('deleteAllMatchingTraits') all?: string,
  ): Promise<void> {
    const identity = await this.identities.get(env, identityPk);
    const trait = await this.identities.getTrait(identity, id);
    await this.identities.removeTrait(p, env, identity, trait, all === 'true' || all === 'True');
  }

  // ---- environment-wide trait keys

  @Get('trait-keys')
  @RequirePermission('environment', 'VIEW_ENVIRONMENT', ENV)
  traitKeys(@Permitted('environment') env: Environment) {
    return this.identities.traitKeys(env);
  }

  @Post('delete-traits')
  @HttpCode(200)
  @RequirePermission('environment', 'ADMIN', ENV)
  async deleteTraits(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @Body() body: unknown,
  ): Promise<void> {
    await this.identities.deleteTraitKey(p, env, body);
  }
}
