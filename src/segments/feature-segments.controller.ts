import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { Principal } from '../auth/principal';
import { Environment } from '../environments/environment.entity';
import {
  Authenticated,
  CurrentPrincipal,
  Permitted,
  RequirePermission,
} from '../permissions/permissions.decorators';
import { FeatureSegmentsService } from './feature-segments.service';

/**
 * docs/contracts/admin-api.md §8 segment overrides. Listing needs VIEW_ENVIRONMENT on the environment; every write needs
 * MANAGE_SEGMENT_OVERRIDES on it (Flagsmith's FeatureSegmentPermissions / CreateSegmentOverridePermissions).
 */
@Controller('api/v1')
export class FeatureSegmentsController {
  constructor(private readonly featureSegments: FeatureSegmentsService) {}

  @Get('features/feature-segments')
  @Authenticated()
  list(@CurrentPrincipal() p: Principal, @Req() request: FastifyRequest) {
    return this.featureSegments.list(request, p);
  }

  @Post('features/feature-segments')
  @RequirePermission('environment', 'MANAGE_SEGMENT_OVERRIDES', { body: 'environment', by: 'id' })
  create(
    @CurrentPrincipal() p: Principal,
    @Permitted('environment') env: Environment,
    @Body() body: unknown,
  ) {
    return this.featureSegments.create(p, env, body);
  }

  @Post('features/feature-segments/update-priorities')
  @HttpCode(200)
  @Authenticated()
  updatePriorities(@CurrentPrincipal() p: Principal, @Body() body: unknown) {
    return this.featureSegments.updatePriorities(p, body);
  }

  @Delete('features/feature-segments/:id')
  @HttpCode(204)
  @Authenticated()
  async remove(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<void> {
    await this.featureSegments.remove(p, id);
  }

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
