import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Req } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { Principal } from '../auth/principal';
import { paginate } from '../common/pagination';
import { CurrentPrincipal, Permitted, RequirePermission } from '../permissions/permissions.decorators';
import { Project } from '../projects/project.entity';
import { tagJson } from './feature.serializers';
import { TagsService } from './tags.service';

/** docs/contracts/admin-api.md §4: /api/v1/projects/{project_pk}/tags/ — read with VIEW_PROJECT, write with MANAGE_TAGS. */
@Controller('api/v1/projects/:project_pk/tags')
export class TagsController {
  constructor(private readonly tags: TagsService) {}

  @Get()
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  list(@Req() request: FastifyRequest, @Permitted('project') project: Project) {
    return paginate(request, this.tags.listQuery(project), (rows) => rows.map(tagJson));
  }

  @Post()
  @RequirePermission('project', 'MANAGE_TAGS', { param: 'project_pk' })
  async create(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @Body() body: unknown,
  ) {
    return tagJson(await this.tags.create(p, project, body));
  }

  @Get(':id')
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  async retrieve(@Permitted('project') project: Project, @Param('id') id: string) {
    return tagJson(await this.tags.tag(project, id));
  }

  @Put(':id')
  @RequirePermission('project', 'MANAGE_TAGS', { param: 'project_pk' })
  async replace(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    return tagJson(await this.tags.update(p, project, await this.tags.tag(project, id), body, false));
  }

  @Patch(':id')
  @RequirePermission('project', 'MANAGE_TAGS', { param: 'project_pk' })
  async patch(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    return tagJson(await this.tags.update(p, project, await this.tags.tag(project, id), body, true));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermission('project', 'MANAGE_TAGS', { param: 'project_pk' })
  async remove(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @Param('id') id: string,
  ): Promise<void> {
    await this.tags.remove(p, project, await this.tags.tag(project, id));
  }
}
