import { Controller, Get, Param } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { DetailJson, Responds } from '../http/schema';
import { Authenticated, CurrentPrincipal } from '../permissions/permissions.decorators';
import { PermissionsService } from '../permissions/permissions.service';
import { MvOptionJson, PlainFeatureJson } from './feature.schemas';
import { TypedFeatureStateJson } from './feature-state.schemas';
import { mvOptionJson, plainFeatureJson } from './feature.serializers';
import { FeatureStatesService } from './feature-states.service';
import { FeaturesService } from './features.service';
import { MvOptionsService } from './mv-options.service';

const HIDDEN = 'Not a uuid, or nothing of that uuid in a project on which the caller has VIEW_PROJECT';

/**
 * Flagsmith's get-by-uuid lookups of features, feature states and multivariate options (its Terraform provider
 * reads them so). Each is filtered by the projects the caller may view: without VIEW_PROJECT 404, never 403.
 */
@Controller('api/v1')
export class FeatureUuidLookupsController {
  constructor(
    private readonly features: FeaturesService,
    private readonly states: FeatureStatesService,
    private readonly mvOptions: MvOptionsService,
    private readonly permissions: PermissionsService,
  ) {}

  @Get('features/get-by-uuid/:uuid')
  @Authenticated()
  @Responds(200, PlainFeatureJson, 'The feature (CreateFeatureSerializer: no metadata)')
  @Responds(404, DetailJson, HIDDEN)
  async feature(@CurrentPrincipal() p: Principal, @Param('uuid') uuid: string): Promise<PlainFeatureJson> {
    const feature = await this.features.featureByUuid(uuid);
    await this.permissions.requireProjectHidden(p, feature.projectId, 'VIEW_PROJECT');
    return plainFeatureJson(await this.features.json(feature));
  }

  @Get('features/featurestates/get-by-uuid/:uuid')
  @Authenticated()
  @Responds(200, TypedFeatureStateJson, 'The state (typed value form)')
  @Responds(404, DetailJson, HIDDEN)
  async featureState(
    @CurrentPrincipal() p: Principal,
    @Param('uuid') uuid: string,
  ): Promise<TypedFeatureStateJson> {
    const { state, feature } = await this.states.stateByUuid(uuid);
    await this.permissions.requireProjectHidden(p, feature.projectId, 'VIEW_PROJECT');
    return (await this.states.json(state, 'typed')) as TypedFeatureStateJson;
  }

  @Get('multivariate/options/get-by-uuid/:uuid')
  @Authenticated()
  @Responds(200, MvOptionJson, 'The option')
  @Responds(404, DetailJson, HIDDEN)
  async mvOption(@CurrentPrincipal() p: Principal, @Param('uuid') uuid: string): Promise<MvOptionJson> {
    const { option, feature } = await this.mvOptions.optionByUuid(uuid);
    await this.permissions.requireProjectHidden(p, feature.projectId, 'VIEW_PROJECT');
    return mvOptionJson(option);
  }
}
