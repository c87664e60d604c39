import { Controller, Delete, Get, Param, Patch, Post, Put, Req } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal';
import { Page, pageOf, pageRequest } from '../common/pagination';
import { DetailJson, IdParam, PageQuery, Responds, ValidBody, ValidQuery } from '../http/schema';
import { CurrentPrincipal, Permitted, RequirePermission } from '../permissions/permissions.decorators';
import type { Project } from '../projects/project.entity';
import { TagInput, TagJson, TagPage } from './tag.schemas';
import { tagJson } from './tag.serializers';
import { TagsService } from './tags.service';

/** docs/contracts/admin-api.md §4: /api/v1/projects/{project_pk}/tags/ — read with VIEW_PROJECT, write with MANAGE_TAGS. */
@Controller('api/v1/projects/:project_pk/tags')
export class TagsController {
  constructor(private readonly tags: TagsService) {}

  @Get()
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  @Responds(200, TagPage, "A page of the project's tags")
  async list(
    @Req() request: FastifyRequest,
    @Permitted('project') project: Project,
    @ValidQuery(PageQuery) query: object,
  ): Promise<Page<TagJson>> {
    const page = pageRequest(query);
    const { count, rows } = await this.tags.page(project, page);
    return pageOf(request, page, count, rows.map(tagJson));
  }

  @Post()
  @RequirePermission('project', 'MANAGE_TAGS', { param: 'project_pk' })
  @Responds(201, TagJson, 'The tag')
  async create(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @ValidBody(TagInput) body: TagInput,
  ): Promise<TagJson> {
    return tagJson(await this.tags.create(p, project, body));
  }

  @Get('get-by-uuid/:uuid')
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  @Responds(200, TagJson, 'The tag')
  @Responds(403, DetailJson, 'No VIEW_PROJECT on the project')
  @Responds(404, DetailJson, 'The project, or a tag of that uuid in it, is not visible to the caller')
  async retrieveByUuid(
    @Permitted('project') project: Project,
    @Param('uuid') uuid: string,
  ): Promise<TagJson> {
    return tagJson(await this.tags.tagByUuid(project, uuid));
  }

  @Get(':id')
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  @Responds(200, TagJson, 'The tag')
  async retrieve(@Permitted('project') project: Project, @IdParam('id') id: number): Promise<TagJson> {
    return tagJson(await this.tags.tag(project, id));
  }

  @Put(':id')
  @RequirePermission('project', 'MANAGE_TAGS', { param: 'project_pk' })
  @Responds(200, TagJson, 'The tag')
  async replace(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @IdParam('id') id: number,
    @ValidBody(TagInput) body: TagInput,
  ): Promise<TagJson> {
    return tagJson(await this.tags.update(p, project, id, body));
  }

  @Patch(':id')
  @RequirePermission('project', 'MANAGE_TAGS', { param: 'project_pk' })
  @Responds(200, TagJson, 'The tag')
  async patch(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @IdParam('id') id: number,
    @ValidBody(TagInput, { partial: true }) body: Partial<TagInput>,
  ): Promise<TagJson> {
    return tagJson(await this.tags.update(p, project, id, body));
  }

  @Delete(':id')
  @RequirePermission('project', 'MANAGE_TAGS', { param: 'project_pk' })
  @Responds(204, null, 'Deleted')
  async remove(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @IdParam('id') id: number,
  ): Promise<void> {
    await this.tags.remove(p, project, id);
  }
}
