import { Controller, Delete, Get, Patch, Post, Put, Req } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal';
import { Page, pageOf, pageRequest } from '../common/pagination';
import type { Environment } from '../environments/environment.entity';
import { FeatureStateJson } from '../features/feature-state.schemas';
import { DetailJson, IdParam, PageQuery, Responds, S, ValidBody, ValidQuery } from '../http/schema';
import {
  CurrentPrincipal,
  Permitted,
  RequireEnvironmentPermission,
  RequirePermission,
} from '../permissions/permissions.decorators';
import { identifierFilter, IdentitiesService } from './identities.service';
import { IdentityOverridesService, type OverrideJson } from './identity-overrides.service';
import {
  CloneOverrides,
  type CloneOverridesInput,
  DeleteTraitKey,
  type DeleteTraitKeyInput,
  IdentityFlagJson,
  IdentityInput,
  IdentityJson,
  IdentityListQuery,
  type IdentityListQueryInput,
  IdentityOverrideInput,
  IdentityPage,
  OverrideListQuery,
  type OverrideListQueryInput,
  TraitDeleteQuery,
  type TraitDeleteQueryInput,
  TraitInput,
  TraitJson,
  TraitKeysJson,
  TraitPage,
} from './identity.schemas';
import { identityJson, traitJson } from './identity.serializers';

const ENV = { param: 'environment_api_key' } as const;
const NOT_VISIBLE = 'The environment is not visible to the caller';

/** Identity overrides are answered as environment feature states (raw value, `{id, identifier}` in lists). */
const Override = FeatureStateJson;
const OverridePage = S.page(Override);

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
  @Responds(200, IdentityPage, 'A page of identities')
  async list(
    @Req() request: FastifyRequest,
    @Permitted('environment') env: Environment,
    @ValidQuery(IdentityListQuery) query: IdentityListQueryInput,
  ): Promise<Page<IdentityJson>> {
    const page = pageRequest(query);
    const { count, rows } = await this.identities.page(env, identifierFilter(query.q), page);
    return pageOf(request, page, count, rows.map(identityJson));
  }

  @Post('identities')
  @RequireEnvironmentPermission('MANAGE_IDENTITIES', ENV)
  @Responds(201, IdentityJson, 'The identity')
  async create(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @ValidBody(IdentityInput) body: IdentityInput,
  ): Promise<IdentityJson> {
    return identityJson(await this.identities.create(p, env, body));
  }

  @Get('identities/:id')
  @RequirePermission('environment', 'VIEW_IDENTITIES', ENV)
  @Responds(200, IdentityJson, 'The identity')
  async retrieve(
    @Permitted('environment') env: Environment,
    @IdParam('id') id: number,
  ): Promise<IdentityJson> {
    return identityJson(await this.identities.identity(env, id));
  }

  @Put('identities/:id')
  @RequirePermission('environment', 'MANAGE_IDENTITIES', ENV)
  @Responds(200, IdentityJson, 'The identity')
  async replace(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @IdParam('id') id: number,
    @ValidBody(IdentityInput) body: IdentityInput,
  ): Promise<IdentityJson> {
    return identityJson(await this.identities.update(p, env, id, body));
  }

  @Patch('identities/:id')
  @RequirePermission('environment', 'MANAGE_IDENTITIES', ENV)
  @Responds(200, IdentityJson, 'The identity')
  async patch(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @IdParam('id') id: number,
    @ValidBody(IdentityInput, { partial: true }) body: Partial<IdentityInput>,
  ): Promise<IdentityJson> {
    return identityJson(await this.identities.update(p, env, id, body));
  }

  @Delete('identities/:id')
  @RequirePermission('environment', 'MANAGE_IDENTITIES', ENV)
  @Responds(204, null, 'Deleted, with its traits and overrides')
  async remove(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @IdParam('id') id: number,
  ): Promise<void> {
    await this.identities.remove(p, env, id);
  }

  // ---- identity overrides

  @Get('identities/:identity_pk/featurestates')
  @RequirePermission('environment', 'VIEW_ENVIRONMENT', ENV)
  @Responds(200, OverridePage, 'A page of overrides (identity as {id, identifier})')
  async overrideList(
    @Req() request: FastifyRequest,
    @Permitted('environment') env: Environment,
    @IdParam('identity_pk') identityPk: number,
    @ValidQuery(OverrideListQuery) query: OverrideListQueryInput,
  ): Promise<Page<OverrideJson>> {
    const identity = await this.identities.identity(env, identityPk);
    const page = pageRequest(query);
    const { count, rows } = await this.overrides.page(identity, query.feature, page);
    return pageOf(request, page, count, rows);
  }

  @Post('identities/:identity_pk/featurestates')
  @RequirePermission('environment', 'UPDATE_FEATURE_STATE', ENV)
  @Responds(201, Override, 'The override')
  async overrideCreate(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @IdParam('identity_pk') identityPk: number,
    @ValidBody(IdentityOverrideInput) body: IdentityOverrideInput,
  ): Promise<OverrideJson> {
    return this.overrides.create(p, env, await this.identities.identity(env, identityPk), body);
  }

  @Get('identities/:identity_pk/featurestates/all')
  @RequirePermission('environment', 'VIEW_ENVIRONMENT', ENV)
  @Responds(200, S.list(IdentityFlagJson), "The identity's effective flags")
  async overrideAll(
    @Permitted('environment') env: Environment,
    @IdParam('identity_pk') identityPk: number,
  ): Promise<IdentityFlagJson[]> {
    return this.overrides.all(env, await this.identities.identity(env, identityPk));
  }

  @Post('identities/:identity_pk/featurestates/clone-from-given-identity')
  @RequirePermission('environment', 'UPDATE_FEATURE_STATE', ENV)
  @Responds(200, S.list(IdentityFlagJson), "The identity's effective flags after the copy")
  async overrideClone(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @IdParam('identity_pk') identityPk: number,
    @ValidBody(CloneOverrides) body: CloneOverridesInput,
  ): Promise<IdentityFlagJson[]> {
    const target = await this.identities.identity(env, identityPk);
    const source = await this.identities.identity(env, body.source_identity_id);
    return this.overrides.cloneFrom(p, env, target, source);
  }

  @Get('identities/:identity_pk/featurestates/:id')
  @RequirePermission('environment', 'VIEW_ENVIRONMENT', ENV)
  @Responds(200, Override, 'The override')
  async overrideRetrieve(
    @Permitted('environment') env: Environment,
    @IdParam('identity_pk') identityPk: number,
    @IdParam('id') id: number,
  ): Promise<OverrideJson> {
    return this.overrides.override(await this.identities.identity(env, identityPk), id);
  }

  @Put('identities/:identity_pk/featurestates/:id')
  @RequirePermission('environment', 'UPDATE_FEATURE_STATE', ENV)
  @Responds(200, Override, 'The override')
  async overrideReplace(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @IdParam('identity_pk') identityPk: number,
    @IdParam('id') id: number,
    // PUT is partial too, as in Flagsmith.
    @ValidBody(IdentityOverrideInput, { partial: true }) body: Partial<IdentityOverrideInput>,
  ): Promise<OverrideJson> {
    return this.overrides.update(p, env, await this.identities.identity(env, identityPk), id, body);
  }

  @Patch('identities/:identity_pk/featurestates/:id')
  @RequirePermission('environment', 'UPDATE_FEATURE_STATE', ENV)
  @Responds(200, Override, 'The override')
  async overridePatch(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @IdParam('identity_pk') identityPk: number,
    @IdParam('id') id: number,
    @ValidBody(IdentityOverrideInput, { partial: true }) body: Partial<IdentityOverrideInput>,
  ): Promise<OverrideJson> {
    return this.overrides.update(p, env, await this.identities.identity(env, identityPk), id, body);
  }

  @Delete('identities/:identity_pk/featurestates/:id')
  @RequirePermission('environment', 'UPDATE_FEATURE_STATE', ENV)
  @Responds(204, null, 'Deleted')
  async overrideRemove(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @IdParam('identity_pk') identityPk: number,
    @IdParam('id') id: number,
  ): Promise<void> {
    await this.overrides.remove(p, env, await this.identities.identity(env, identityPk), id);
  }

  // ---- traits

  @Get('identities/:identity_pk/traits')
  @RequirePermission('environment', 'VIEW_IDENTITIES', ENV)
  @Responds(200, TraitPage, "A page of the identity's traits")
  async traitList(
    @Req() request: FastifyRequest,
    @Permitted('environment') env: Environment,
    @IdParam('identity_pk') identityPk: number,
    @ValidQuery(PageQuery) query: object,
  ): Promise<Page<TraitJson>> {
    const identity = await this.identities.identity(env, identityPk);
    const page = pageRequest(query);
    const { count, rows } = await this.identities.traitPage(identity, page);
    return pageOf(request, page, count, rows.map(traitJson));
  }

  @Post('identities/:identity_pk/traits')
  @RequirePermission('environment', 'MANAGE_IDENTITIES', ENV)
  @Responds(201, TraitJson, 'The trait')
  async traitCreate(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @IdParam('identity_pk') identityPk: number,
    @ValidBody(TraitInput) body: TraitInput,
  ): Promise<TraitJson> {
    const identity = await this.identities.identity(env, identityPk);
    return traitJson(await this.identities.createTrait(p, env, identity, body));
  }

  @Get('identities/:identity_pk/traits/:id')
  @RequirePermission('environment', 'VIEW_IDENTITIES', ENV)
  @Responds(200, TraitJson, 'The trait')
  async traitRetrieve(
    @Permitted('environment') env: Environment,
    @IdParam('identity_pk') identityPk: number,
    @IdParam('id') id: number,
  ): Promise<TraitJson> {
    const identity = await this.identities.identity(env, identityPk);
    return traitJson(await this.identities.trait(identity, id));
  }

  @Put('identities/:identity_pk/traits/:id')
  @RequirePermission('environment', 'MANAGE_IDENTITIES', ENV)
  @Responds(200, TraitJson, 'The trait')
  async traitReplace(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @IdParam('identity_pk') identityPk: number,
    @IdParam('id') id: number,
    @ValidBody(TraitInput) body: TraitInput,
  ): Promise<TraitJson> {
    const identity = await this.identities.identity(env, identityPk);
    return traitJson(await this.identities.updateTrait(p, env, identity, id, body));
  }

  @Patch('identities/:identity_pk/traits/:id')
  @RequirePermission('environment', 'MANAGE_IDENTITIES', ENV)
  @Responds(200, TraitJson, 'The trait')
  async traitPatch(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @IdParam('identity_pk') identityPk: number,
    @IdParam('id') id: number,
    @ValidBody(TraitInput, { partial: true }) body: Partial<TraitInput>,
  ): Promise<TraitJson> {
    const identity = await this.identities.identity(env, identityPk);
    return traitJson(await this.identities.updateTrait(p, env, identity, id, body));
  }

  @Delete('identities/:identity_pk/traits/:id')
  @RequirePermission('environment', 'MANAGE_IDENTITIES', ENV)
  @Responds(204, null, 'Deleted')
  async traitRemove(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @IdParam('identity_pk') identityPk: number,
    @IdParam('id') id: number,
    @ValidQuery(TraitDeleteQuery) query: TraitDeleteQueryInput,
  ): Promise<void> {
    const identity = await this.identities.identity(env, identityPk);
    const trait = await this.identities.trait(identity, id);
    const all = query.deleteAllMatchingTraits;
    await this.identities.removeTrait(p, env, identity, trait, all === 'true' || all === 'True');
  }

  // ---- environment-wide trait keys

  @Get('trait-keys')
  @RequirePermission('environment', 'VIEW_ENVIRONMENT', ENV)
  @Responds(200, TraitKeysJson, 'Every trait key of the environment’s identities')
  @Responds(404, DetailJson, NOT_VISIBLE)
  async traitKeys(@Permitted('environment') env: Environment): Promise<TraitKeysJson> {
    return { keys: await this.identities.traitKeys(env) };
  }

  @Post('delete-traits')
  @RequirePermission('environment', 'ADMIN', ENV)
  @Responds(200, null, 'Deleted from every identity')
  @Responds(404, DetailJson, NOT_VISIBLE)
  async deleteTraits(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @ValidBody(DeleteTraitKey) body: DeleteTraitKeyInput,
  ): Promise<void> {
    await this.identities.deleteTraitKey(p, env, body.key);
  }
}
