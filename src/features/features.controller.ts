import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Req } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { Principal } from '../auth/principal';
import { paginate } from '../common/pagination';
import { CurrentPrincipal, Permitted, RequirePermission } from '../permissions/permissions.decorators';
import { Project } from '../projects/project.entity';
import { mvOptionJson } from './feature.serializers';
import { FeaturesService } from './features.service';
import { MvOptionsService } from './mv-options.service';

/** docs/contracts/admin-api.md §6: /api/v1/projects/{project_pk}/features/ (+ owners) and …/features/{feature_pk}/mv-options/. */
@Controller('api/v1/projects/:project_pk/features')
export class FeaturesController {
  constructor(
    private readonly features: FeaturesService,
    private readonly mvOptions: MvOptionsService,
  ) {}

  @Get()
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  list(@Req() request: FastifyRequest, @Permitted('project') project: Project) {
    return this.features.list(request, project);
  }

  @Post()
  @RequirePermission('project', 'CREATE_FEATURE', { param: 'project_pk' })
  create(@CurrentPrincipal() p: Principal, @Permitted('project') project: Project, @Body() body: unknown) {
    return this.features.create(p, project, body);
  }

  @Get(':id')
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  async retrieve(@Permitted('project') project: Project, @Param('id') id: string) {
    return this.features.json(await this.features.feature(project, id));
  }

  @Put(':id')
  @RequirePermission('project', 'CREATE_FEATURE', { param: 'project_pk' })
  async replace(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    return this.features.update(p, project, await this.features.feature(project, id), body);
  }

  @Patch(':id')
  @RequirePermission('project', 'CREATE_FEATURE', { param: 'project_pk' })
  async patch(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    return this.features.update(p, project, await this.features.feature(project, id), body);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermission('project', 'DELETE_FEATURE', { param: 'project_pk' })
  async remove(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @Param('id') id: string,
  ): Promise<void> {
    await this.features.remove(p, project, await this.features.feature(project, id));
  }

  @Post(':id/add-owners')
  @HttpCode(200)
  @RequirePermission('project', 'CREATE_FEATURE', { param: 'project_pk' })
  async addOwners(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    return this.features.changeOwners(
      p,
      project,
      await this.features.feature(project, id),
      body,
      'users',
      'add',
    );
  }

  @Post(':id/remove-owners')
  @HttpCode(200)
  @RequirePermission('project', 'CREATE_FEATURE', { param: 'project_pk' })
  async removeOwners(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    return this.features.changeOwners(
      p,
      project,
      await this.features.feature(project, id),
      body,
      'users',
      'remove',
    );
  }

  @Post(':id/add-group-owners')
  @HttpCode(200)
  @RequirePermission('project', 'CREATE_FEATURE', { param: 'project_pk' })
  async addGroupOwners(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    return this.features.changeOwners(
      p,
      project,
      await this.features.feature(project, id),
      body,
      'groups',
      'add',
    );
  }

  @Post(':id/remove-group-owners')
  @HttpCode(200)
  @RequirePermission('project', 'CREATE_FEATURE', { param: 'project_pk' })
  async removeGroupOwners(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    return this.features.changeOwners(
      p,
      project,
      await this.features.feature(project, id),
      body,
      'groups',
      'remove',
    );
  }

  // ---- multivariate options

  @Get(':feature_pk/mv-options')
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  async mvList(
    @Req() request: FastifyRequest,
    @Permitted('project') project: Project,
    @Param('feature_pk') featurePk: string,
  ) {
    const feature = await this.mvOptions.feature(project, featurePk);
    return paginate(request, this.mvOptions.listQuery(feature), (rows) => rows.map(mvOptionJson));
  }

  @Post(':feature_pk/mv-options')
  @RequirePermission('project', 'CREATE_FEATURE', { param: 'project_pk' })
  async mvCreate(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @Param('feature_pk') featurePk: string,
    @Body() body: unknown,
  ) {
    const feature = await this.mvOptions.feature(project, featurePk);
    return mvOptionJson(await this.mvOptions.create(p, project, feature, body));
  }

  @Get(':feature_pk/mv-options/:id')
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  async mvRetrieve(
    @Permitted('project') project: Project,
    @Param('feature_pk') featurePk: string,
    @Param('id') id: string,
  ) {
    const feature = await this.mvOptions.feature(project, featurePk);
    return mvOptionJson(await this.mvOptions.option(feature, id));
  }

  @Put(':feature_pk/mv-options/:id')
  @RequirePermission('project', 'CREATE_FEATURE', { param: 'project_pk' })
  async mvReplace(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @Param('feature_pk') featurePk: string,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    const feature = await this.mvOptions.feature(project, featurePk);
    const option = await this.mvOptions.option(feature, id);
    return mvOptionJson(await this.mvOptions.update(p, project, feature, option, body, false));
  }

  @Patch(':feature_pk/mv-options/:id')
  @RequirePermission('project', 'CREATE_FEATURE', { param: 'project_pk' })
  async mvPatch(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @Param('feature_pk') featurePk: string,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    const feature = await this.mvOptions.feature(project, featurePk);
    const option = await this.mvOptions.option(feature, id);
    return mvOptionJson(await this.mvOptions.update(p, project, feature, option, body, true));
  }

  @Delete(':feature_pk/mv-options/:id')
  @HttpCode(204)
  @RequirePermission('project', 'CREATE_FEATURE', { param: 'project_pk' })
  async mvRemove(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @Param('feature_pk') featurePk: string,
    @Param('id') id: string,
  ): Promise<void> {
    const feature = await this.mvOptions.feature(project, featurePk);
    await this.mvOptions.remove(p, project, feature, await this.mvOptions.option(feature, id));
  }
}
