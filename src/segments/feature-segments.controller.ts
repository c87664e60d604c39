import {
  CanActivate,
  Controller,
  createParamDecorator,
  Delete,
  ExecutionContext,
  Get,
  Injectable,
  Param,
  Post,
  Req,
  UseGuards,
} from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import type { AuthedRequest, Principal } from '../auth/principal';
import { NotFound } from '../common/domain-errors';
import { Page, pageOf, pageRequest } from '../common/pagination';
import type { Environment } from '../environments/environment.entity';
import type { Feature } from '../features/feature.entity';
import { DetailJson, IdParam, Responds, S, ValidBody, ValidQuery } from '../http/schema';
import {
  Authenticated,
  CurrentPrincipal,
  Permitted,
  RequireEnvironmentPermission,
  RequirePermission,
} from '../permissions/permissions.decorators';
import {
  CreateFeatureSegment,
  type CreateFeatureSegmentInput,
  CreateSegmentOverride,
  type CreateSegmentOverrideInput,
  FeatureSegmentJson,
  FeatureSegmentListJson,
  FeatureSegmentListQuery,
  type FeatureSegmentListQueryInput,
  FeatureSegmentPage,
  PriorityList,
  type PriorityInput,
  SegmentOverrideStateJson,
} from './feature-segment.schemas';
import { FeatureSegmentsService } from './feature-segments.service';
import { featureSegmentJson, featureSegmentListJson } from './segment.serializers';

/** The feature of a create-segment-override path, found by FeatureInPath. */
const PATH_FEATURES = new WeakMap<FastifyRequest, Feature>();

/**
 * create-segment-override looks its feature up before reading the body (Flagsmith's view does get_object_or_404
 * first): an unknown or foreign feature answers 404 whatever the body. Runs after the permission guard.
 */
@Injectable()
export class FeatureInPath implements CanActivate {
  constructor(private readonly featureSegments: FeatureSegmentsService) {}
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const environment = request.permitted?.environment;
    if (!environment) throw new NotFound();
    const params = request.params as Record<string, unknown>;
    PATH_FEATURES.set(request, await this.featureSegments.featureInPath(environment, params.feature_pk));
    return true;
  }
}

const PathFeature = createParamDecorator((_data: unknown, context: ExecutionContext): Feature => {
  const feature = PATH_FEATURES.get(context.switchToHttp().getRequest<FastifyRequest>());
  if (!feature) throw new NotFound();
  return feature;
});

/**
 * docs/contracts/admin-api.md §8 segment overrides. Listing needs VIEW_ENVIRONMENT on the environment; every write needs
 * MANAGE_SEGMENT_OVERRIDES on it (Flagsmith's FeatureSegmentPermissions / CreateSegmentOverridePermissions).
 */
@Controller('api/v1')
export class FeatureSegmentsController {
  constructor(private readonly featureSegments: FeatureSegmentsService) {}

  @Get('features/feature-segments')
  @Authenticated()
  @Responds(200, FeatureSegmentPage, 'A page of the slots, by priority')
  @Responds(403, DetailJson, 'No VIEW_ENVIRONMENT on the environment')
  @Responds(404, DetailJson, 'The environment is not visible to the caller')
  async list(
    @Req() request: FastifyRequest,
    @CurrentPrincipal() p: Principal,
    @ValidQuery(FeatureSegmentListQuery) query: FeatureSegmentListQueryInput,
  ): Promise<Page<FeatureSegmentListJson>> {
    const page = pageRequest(query);
    const { count, rows } = await this.featureSegments.page(p, query.environment, query.feature, page);
    return pageOf(request, page, count, rows.map(featureSegmentListJson));
  }

  @Post('features/feature-segments')
  @RequireEnvironmentPermission('MANAGE_SEGMENT_OVERRIDES', { body: 'environment', by: 'id' })
  @Responds(201, FeatureSegmentJson, 'The slot (lowest priority)')
  async create(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @ValidBody(CreateFeatureSegment) body: CreateFeatureSegmentInput,
  ): Promise<FeatureSegmentJson> {
    return featureSegmentJson(await this.featureSegments.create(p, env, body));
  }

  @Post('features/feature-segments/update-priorities')
  @Authenticated()
  @Responds(200, S.list(FeatureSegmentListJson), 'The listed slots, by priority')
  @Responds(403, DetailJson, 'No MANAGE_SEGMENT_OVERRIDES on the environment')
  @Responds(404, DetailJson, 'A slot is not visible to the caller')
  async updatePriorities(
    @CurrentPrincipal() p: Principal,
    @ValidBody(PriorityList) body: PriorityInput[],
  ): Promise<FeatureSegmentListJson[]> {
    return (await this.featureSegments.updatePriorities(p, body)).map(featureSegmentListJson);
  }

  @Get('features/feature-segments/get-by-uuid/:uuid')
  @Authenticated()
  @Responds(200, FeatureSegmentListJson, 'The slot')
  @Responds(403, DetailJson, 'No MANAGE_SEGMENT_OVERRIDES on the environment')
  @Responds(404, DetailJson, 'No slot of that uuid is visible to the caller')
  async retrieveByUuid(
    @CurrentPrincipal() p: Principal,
    @Param('uuid') uuid: string,
  ): Promise<FeatureSegmentListJson> {
    return featureSegmentListJson((await this.featureSegments.getForWrite(p, { uuid })).slot);
  }

  @Get('features/feature-segments/:id')
  @Authenticated()
  @Responds(200, FeatureSegmentListJson, 'The slot')
  @Responds(403, DetailJson, 'No MANAGE_SEGMENT_OVERRIDES on the environment')
  @Responds(404, DetailJson, 'The slot is not visible to the caller')
  async retrieve(
    @CurrentPrincipal() p: Principal,
    @IdParam('id') id: number,
  ): Promise<FeatureSegmentListJson> {
    return featureSegmentListJson((await this.featureSegments.getForWrite(p, id)).slot);
  }

  @Delete('features/feature-segments/:id')
  @Authenticated()
  @Responds(204, null, 'Deleted (the others move up)')
  @Responds(403, DetailJson, 'No MANAGE_SEGMENT_OVERRIDES on the environment')
  @Responds(404, DetailJson, 'The slot is not visible to the caller')
  async remove(@CurrentPrincipal() p: Principal, @IdParam('id') id: number): Promise<void> {
    await this.featureSegments.remove(p, id);
  }

  // FeatureInPath after the permission guard: decorators apply bottom-up and UseGuards appends, so it goes above.
  @Post('environments/:environment_api_key/features/:feature_pk/create-segment-override')
  @UseGuards(FeatureInPath)
  @RequirePermission('environment', 'MANAGE_SEGMENT_OVERRIDES', { param: 'environment_api_key' })
  @Responds(201, SegmentOverrideStateJson, 'The override state with its slot')
  @Responds(404, DetailJson, 'The environment or the feature is not visible to the caller')
  async createSegmentOverride(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @PathFeature() feature: Feature,
    @ValidBody(CreateSegmentOverride) body: CreateSegmentOverrideInput,
  ): Promise<SegmentOverrideStateJson> {
    return this.featureSegments.createSegmentOverride(p, env, feature, body);
  }
}
