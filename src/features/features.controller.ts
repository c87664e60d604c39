import { Controller, Delete, Get, Patch, Post, Put, Req } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal';
import { Page, pageOf, pageRequest } from '../common/pagination';
import { withMetadataReplaced } from '../entity-metadata/entity-metadata';
import { DetailJson, IdParam, PageQuery, Responds, ValidBody, ValidQuery } from '../http/schema';
import { CurrentPrincipal, Permitted, RequirePermission } from '../permissions/permissions.decorators';
import type { Project } from '../projects/project.entity';
import {
  CreateFeature,
  type CreateFeatureInput,
  CreateMvOption,
  type CreateMvOptionInput,
  FeatureGroupOwners,
  type FeatureGroupOwnersInput,
  FeatureJson,
  FeatureListQuery,
  type FeatureListQueryInput,
  FeatureOwners,
  type FeatureOwnersInput,
  FeaturePage,
  MvOptionJson,
  MvOptionPage,
  OwnersRefusal,
  ProjectFeatureJson,
  UpdateFeature,
  type UpdateFeatureInput,
  UpdateMvOption,
  type UpdateMvOptionInput,
} from './feature.schemas';
import { mvOptionJson } from './feature.serializers';
import { FeaturesService } from './features.service';
import { MvOptionsService } from './mv-options.service';

const MV_ADMIN_ONLY = 'Multivariate options given by a caller who is not project admin';

/** docs/contracts/admin-api.md §6: /api/v1/projects/{project_pk}/features/ (+ owners) and …/features/{feature_pk}/mv-options/. */
@Controller('api/v1/projects/:project_pk/features')
export class FeaturesController {
  constructor(
    private readonly features: FeaturesService,
    private readonly mvOptions: MvOptionsService,
  ) {}

  @Get()
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  @Responds(200, FeaturePage, "A page of the project's features")
  async list(
    @Req() request: FastifyRequest,
    @Permitted('project') project: Project,
    @ValidQuery(FeatureListQuery) query: FeatureListQueryInput,
  ): Promise<Page<FeatureJson>> {
    const page = pageRequest(query);
    const { count, rows } = await this.features.page(project, query, page);
    return pageOf(request, page, count, rows);
  }

  @Post()
  @RequirePermission('project', 'CREATE_FEATURE', { param: 'project_pk' })
  @Responds(201, FeatureJson, 'The feature (a default state in every environment)')
  @Responds(403, DetailJson, MV_ADMIN_ONLY)
  create(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @ValidBody(CreateFeature) body: CreateFeatureInput,
  ): Promise<FeatureJson> {
    return this.features.create(p, project, body);
  }

  @Get(':id')
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  @Responds(200, FeatureJson, 'The feature')
  async retrieve(@Permitted('project') project: Project, @IdParam('id') id: number): Promise<FeatureJson> {
    return this.features.json(await this.features.feature(project, id));
  }

  @Put(':id')
  @RequirePermission('project', 'CREATE_FEATURE', { param: 'project_pk' })
  @Responds(200, FeatureJson, 'The feature')
  @Responds(403, DetailJson, MV_ADMIN_ONLY)
  replace(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @IdParam('id') id: number,
    @ValidBody(UpdateFeature, { partial: true }) body: UpdateFeatureInput,
  ): Promise<FeatureJson> {
    return this.features.update(p, project, id, withMetadataReplaced(body));
  }

  @Patch(':id')
  @RequirePermission('project', 'CREATE_FEATURE', { param: 'project_pk' })
  @Responds(200, FeatureJson, 'The feature')
  @Responds(403, DetailJson, MV_ADMIN_ONLY)
  patch(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @IdParam('id') id: number,
    @ValidBody(UpdateFeature, { partial: true }) body: UpdateFeatureInput,
  ): Promise<FeatureJson> {
    return this.features.update(p, project, id, body);
  }

  @Delete(':id')
  @RequirePermission('project', 'DELETE_FEATURE', { param: 'project_pk' })
  @Responds(204, null, 'Deleted (its states and segment overrides go with it)')
  async remove(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @IdParam('id') id: number,
  ): Promise<void> {
    await this.features.remove(p, project, id);
  }

  @Post(':id/add-owners')
  @RequirePermission('project', 'CREATE_FEATURE', { param: 'project_pk' })
  @Responds(200, ProjectFeatureJson, 'The feature with its owners')
  @Responds(400, OwnersRefusal, 'Invalid input, or users not found / without access')
  addOwners(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @IdParam('id') id: number,
    @ValidBody(FeatureOwners) body: FeatureOwnersInput,
  ): Promise<ProjectFeatureJson> {
    return this.features.changeOwners(p, project, id, body.user_ids, 'users', 'add');
  }

  @Post(':id/remove-owners')
  @RequirePermission('project', 'CREATE_FEATURE', { param: 'project_pk' })
  @Responds(200, ProjectFeatureJson, 'The feature with its owners')
  @Responds(400, OwnersRefusal, 'Invalid input, or the last owner of a project that requires one')
  removeOwners(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @IdParam('id') id: number,
    @ValidBody(FeatureOwners) body: FeatureOwnersInput,
  ): Promise<ProjectFeatureJson> {
    return this.features.changeOwners(p, project, id, body.user_ids, 'users', 'remove');
  }

  @Post(':id/add-group-owners')
  @RequirePermission('project', 'CREATE_FEATURE', { param: 'project_pk' })
  @Responds(200, ProjectFeatureJson, 'The feature with its owners')
  @Responds(400, OwnersRefusal, 'Invalid input, or groups not found in the organisation')
  addGroupOwners(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @IdParam('id') id: number,
    @ValidBody(FeatureGroupOwners) body: FeatureGroupOwnersInput,
  ): Promise<ProjectFeatureJson> {
    return this.features.changeOwners(p, project, id, body.group_ids, 'groups', 'add');
  }

  @Post(':id/remove-group-owners')
  @RequirePermission('project', 'CREATE_FEATURE', { param: 'project_pk' })
  @Responds(200, ProjectFeatureJson, 'The feature with its owners')
  @Responds(400, OwnersRefusal, 'Invalid input, or the last owner of a project that requires one')
  removeGroupOwners(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @IdParam('id') id: number,
    @ValidBody(FeatureGroupOwners) body: FeatureGroupOwnersInput,
  ): Promise<ProjectFeatureJson> {
    return this.features.changeOwners(p, project, id, body.group_ids, 'groups', 'remove');
  }

  // ---- multivariate options

  @Get(':feature_pk/mv-options')
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  @Responds(200, MvOptionPage, "A page of the feature's options")
  async mvList(
    @Req() request: FastifyRequest,
    @Permitted('project') project: Project,
    @IdParam('feature_pk') featurePk: number,
    @ValidQuery(PageQuery) query: object,
  ): Promise<Page<MvOptionJson>> {
    const feature = await this.mvOptions.feature(project, featurePk);
    const page = pageRequest(query);
    const { count, rows } = await this.mvOptions.page(feature, page);
    return pageOf(request, page, count, rows.map(mvOptionJson));
  }

  @Post(':feature_pk/mv-options')
  @RequirePermission('project', 'CREATE_FEATURE', { param: 'project_pk' })
  @Responds(201, MvOptionJson, 'The option (an MV value in every environment default state)')
  async mvCreate(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @IdParam('feature_pk') featurePk: number,
    @ValidBody(CreateMvOption) body: CreateMvOptionInput,
  ): Promise<MvOptionJson> {
    const feature = await this.mvOptions.feature(project, featurePk);
    return mvOptionJson(await this.mvOptions.create(p, project, feature, body));
  }

  @Get(':feature_pk/mv-options/:id')
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  @Responds(200, MvOptionJson, 'The option')
  async mvRetrieve(
    @Permitted('project') project: Project,
    @IdParam('feature_pk') featurePk: number,
    @IdParam('id') id: number,
  ): Promise<MvOptionJson> {
    const feature = await this.mvOptions.feature(project, featurePk);
    return mvOptionJson(await this.mvOptions.option(feature, id));
  }

  @Put(':feature_pk/mv-options/:id')
  @RequirePermission('project', 'CREATE_FEATURE', { param: 'project_pk' })
  @Responds(200, MvOptionJson, 'The option')
  async mvReplace(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @IdParam('feature_pk') featurePk: number,
    @IdParam('id') id: number,
    @ValidBody(UpdateMvOption) body: UpdateMvOptionInput,
  ): Promise<MvOptionJson> {
    const feature = await this.mvOptions.feature(project, featurePk);
    return mvOptionJson(await this.mvOptions.update(p, project, feature, id, body));
  }

  @Patch(':feature_pk/mv-options/:id')
  @RequirePermission('project', 'CREATE_FEATURE', { param: 'project_pk' })
  @Responds(200, MvOptionJson, 'The option')
  async mvPatch(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @IdParam('feature_pk') featurePk: number,
    @IdParam('id') id: number,
    @ValidBody(UpdateMvOption, { partial: true }) body: Partial<UpdateMvOptionInput>,
  ): Promise<MvOptionJson> {
    const feature = await this.mvOptions.feature(project, featurePk);
    return mvOptionJson(await this.mvOptions.update(p, project, feature, id, body));
  }

  @Delete(':feature_pk/mv-options/:id')
  @RequirePermission('project', 'CREATE_FEATURE', { param: 'project_pk' })
  @Responds(204, null, 'Deleted (its MV values go with it)')
  async mvRemove(
    @CurrentPrincipal() p: Principal,
    @Permitted('project') project: Project,
    @IdParam('feature_pk') featurePk: number,
    @IdParam('id') id: number,
  ): Promise<void> {
    const feature = await this.mvOptions.feature(project, featurePk);
    await this.mvOptions.remove(p, project, feature, id);
  }
}
