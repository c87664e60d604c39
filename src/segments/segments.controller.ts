import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Req } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { Principal } from '../auth/principal';
import { CurrentPrincipal, Permitted, RequirePermission } from '../permissions/permissions.decorators';
import { Project } from '../projects/project.entity';
import { SegmentsService } from './segments.service';

/** docs/contracts/admin-api.md §8: /api/v1/projects/{project_pk}/segments/. Reads need VIEW_PROJECT, writes MANAGE_SEGMENTS. */
@Controller('api/v1/projects/:project_pk/segments')
export class SegmentsController {
  constructor(private readonly segments: SegmentsService) {}

  @Get()
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  list(@Permitted('project') project: Project, @Req() request: FastifyRequest) {
    return this.segments.list(request, project);
  }

  @Post()
  @RequirePermission('project', 'MANAGE_SEGMENTS', { param: 'project_pk' })
  create(@CurrentPrincipal() p: Principal, @Permitted('project') project: Project, @Body() body: unknown) {
    return this.segments.create(p, project, body);
  }

  @Get(':id')
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  async retrieve(@Permitted('project') project: Project, @Param('id') id: string) {
    return this.segments.retrieve(await this.segments.get(project, id));
  }

  @Put(':id')
  @RequirePermission('project', 'MANAGE_SEGMENTS', { param: 'project_pk' })
  async replace(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    return this.segments.update(p, project, await this.segments.get(project, id), body, false);
  }

  @Patch(':id')
  @RequirePermission('project', 'MANAGE_SEGMENTS', { param: 'project_pk' })
  async patch(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    return this.segments.update(p, project, await this.segments.get(project, id), body, true);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermission('project', 'MANAGE_SEGMENTS', { param: 'project_pk' })
  async remove(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @Param('id') id: string,
  ): Promise<void> {
    await this.segments.remove(p, project, await this.segments.get(project, id));
  }

  @Post(':id/clone')
  @RequirePermission('project', 'MANAGE_SEGMENTS', { param: 'project_pk' })
  async clone(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    return this.segments.clone(p, project, await this.segments.get(project, id), body);
  }

  @Get(':id/associated-features')
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  async associatedFeatures(
    @Permitted('project') project: Project,
    @Param('id') id: string,
    @Req() request: FastifyRequest,
  ) {
    return this.segments.associatedFeatures(request, project, await this.segments.get(project, id));
  }
}
