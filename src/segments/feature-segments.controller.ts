import { Body, Controller, Delete, Get, Param, Post, Req } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal';
import { Page, pageOf, pageRequest } from '../common/pagination';
import type { Environment } from '../environments/environment.entity';
import { DetailJson, IdParam, Responds, S, ValidBody, ValidQuery } from '../http/schema';
import {
  Authenticated,
  CurrentPrincipal,
  Permitted,
  RequirePermission,
} from '../permissions/permissions.decorators';
import {
  CreateFeatureSegment,
  type CreateFeatureSegmentInput,
  FeatureSegmentJson,
  FeatureSegmentListJson,
  FeatureSegmentListQuery,
  type FeatureSegmentListQueryInput,
  FeatureSegmentPage,
  PriorityList,
  type PriorityInput,
} from './feature-segment.schemas';
import { FeatureSegmentsService } from './feature-segments.service';
import { featureSegmentJson, featureSegmentListJson } from './segment.serializers';

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
  @RequirePermission('environment', 'MANAGE_SEGMENT_OVERRIDES', { body: 'environment', by: 'id' })
  @Responds(201, FeatureSegmentJson, 'The slot (lowest priority)')
  @Responds(404, DetailJson, 'The environment is not visible to the caller')
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

  @Delete('features/feature-segments/:id')
  @Authenticated()
  @Responds(204, null, 'Deleted (the others move up)')
  @Responds(403, DetailJson, 'No MANAGE_SEGMENT_OVERRIDES on the environment')
  @Responds(404, DetailJson, 'The slot is not visible to the caller')
  async remove(@CurrentPrincipal() p: Principal, @IdParam('id') id: number): Promise<void> {
    await this.featureSegments.remove(p, id);
  }

  // Still read by hand: its value fields are read by FeatureStateValuesService.readChanges (a BodyReader), which
  // the feature-states migration replaces; documented in src/openapi/management-docs.ts until then.
  @Post('environments/:environment_api_key/features/:feature_pk/create-segment-override')
  @RequirePermission('environment', 'MANAGE_SEGMENT_OVERRIDES', { param: 'environment_api_key' })
  createSegmentOverride(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @Param('feature_pk') featurePk: string,
    @Body() body: unknown,
  ) {
    return this.featureSegments.createSegmentOverride(p, env, featurePk, body);
  }
}
