import { Controller, Delete, Get, Param, Patch, Post, Put, Req } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal';
import { Page, pageOf, pageRequest } from '../common/pagination';
import { withMetadataReplaced } from '../entity-metadata/entity-metadata';
import { DetailJson, IdParam, Responds, ValidBody, ValidQuery } from '../http/schema';
import {
  Authenticated,
  CurrentPrincipal,
  Permitted,
  RequirePermission,
} from '../permissions/permissions.decorators';
import { PermissionsService } from '../permissions/permissions.service';
import type { Project } from '../projects/project.entity';
import {
  AssociatedFeatureJson,
  AssociatedFeaturePage,
  AssociatedFeaturesQuery,
  type AssociatedFeaturesQueryInput,
  CloneSegment,
  type CloneSegmentInput,
  SegmentInput,
  SegmentJson,
  SegmentListQuery,
  type SegmentListQueryInput,
  SegmentPage,
} from './segment.schemas';
import { segmentJson } from './segment.serializers';
import { SegmentsService, SegmentWithRules } from './segments.service';

const json = ({ segment, rules, metadata }: SegmentWithRules): SegmentJson =>
  segmentJson(segment, rules, metadata);

/** docs/contracts/admin-api.md §8: /api/v1/projects/{project_pk}/segments/. Reads need VIEW_PROJECT, writes MANAGE_SEGMENTS. */
@Controller('api/v1/projects/:project_pk/segments')
export class SegmentsController {
  constructor(private readonly segments: SegmentsService) {}

  @Get()
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  @Responds(200, SegmentPage, "A page of the project's segments")
  async list(
    @Req() request: FastifyRequest,
    @Permitted('project') project: Project,
    @ValidQuery(SegmentListQuery) query: SegmentListQueryInput,
  ): Promise<Page<SegmentJson>> {
    const page = pageRequest(query);
    const { count, rows } = await this.segments.page(project, query, page);
    return pageOf(request, page, count, rows.map(json));
  }

  @Post()
  @RequirePermission('project', 'MANAGE_SEGMENTS', { param: 'project_pk' })
  @Responds(201, SegmentJson, 'The segment')
  async create(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @ValidBody(SegmentInput) body: SegmentInput,
  ): Promise<SegmentJson> {
    return json(await this.segments.create(p, project, body));
  }

  @Get(':id')
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  @Responds(200, SegmentJson, 'The segment')
  async retrieve(@Permitted('project') project: Project, @IdParam('id') id: number): Promise<SegmentJson> {
    return json(await this.segments.retrieve(project, id));
  }

  @Put(':id')
  @RequirePermission('project', 'MANAGE_SEGMENTS', { param: 'project_pk' })
  @Responds(200, SegmentJson, 'The segment')
  async replace(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @IdParam('id') id: number,
    @ValidBody(SegmentInput) body: SegmentInput,
  ): Promise<SegmentJson> {
    return json(await this.segments.update(p, project, id, withMetadataReplaced(body)));
  }

  @Patch(':id')
  @RequirePermission('project', 'MANAGE_SEGMENTS', { param: 'project_pk' })
  @Responds(200, SegmentJson, 'The segment')
  async patch(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @IdParam('id') id: number,
    @ValidBody(SegmentInput, { partial: true }) body: Partial<SegmentInput>,
  ): Promise<SegmentJson> {
    return json(await this.segments.update(p, project, id, body));
  }

  @Delete(':id')
  @RequirePermission('project', 'MANAGE_SEGMENTS', { param: 'project_pk' })
  @Responds(204, null, 'Deleted')
  async remove(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @IdParam('id') id: number,
  ): Promise<void> {
    await this.segments.remove(p, project, id);
  }

  @Post(':id/clone')
  @RequirePermission('project', 'MANAGE_SEGMENTS', { param: 'project_pk' })
  @Responds(201, SegmentJson, 'The copy')
  async clone(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @IdParam('id') id: number,
    @ValidBody(CloneSegment) body: CloneSegmentInput,
  ): Promise<SegmentJson> {
    return json(await this.segments.clone(p, project, id, body));
  }

  @Get(':id/associated-features')
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  @Responds(200, AssociatedFeaturePage, 'A page of the override states using the segment')
  async associatedFeatures(
    @Req() request: FastifyRequest,
    @Permitted('project') project: Project,
    @IdParam('id') id: number,
    @ValidQuery(AssociatedFeaturesQuery) query: AssociatedFeaturesQueryInput,
  ): Promise<Page<AssociatedFeatureJson>> {
    const page = pageRequest(query);
    const { count, rows } = await this.segments.associatedStates(project, id, query.environment, page);
    return pageOf(
      request,
      page,
      count,
      rows.map((fs) => ({ id: fs.id, feature: fs.featureId, environment: fs.environmentId })),
    );
  }
}

/** GET /api/v1/segments/get-by-uuid/{uuid}/ (Flagsmith's Terraform provider): without VIEW_PROJECT 404, never 403. */
@Controller('api/v1/segments')
export class SegmentUuidLookupController {
  constructor(
    private readonly segments: SegmentsService,
    private readonly permissions: PermissionsService,
  ) {}

  @Get('get-by-uuid/:uuid')
  @Authenticated()
  @Responds(200, SegmentJson, 'The segment')
  @Responds(
    404,
    DetailJson,
    'Not a uuid, or no segment of that uuid in a project on which the caller has VIEW_PROJECT',
  )
  async retrieve(@CurrentPrincipal() p: Principal, @Param('uuid') uuid: string): Promise<SegmentJson> {
    const found = await this.segments.retrieveByUuid(uuid);
    await this.permissions.requireProjectHidden(p, found.segment.projectId, 'VIEW_PROJECT');
    return json(found);
  }
}
