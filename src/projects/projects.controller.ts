import { Controller, Delete, Get, Patch, Post, Put } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { NotFound } from '../common/domain-errors';
import { EnvironmentJson } from '../environments/environment.schemas';
import { environmentJson } from '../environments/environment.serializers';
import { DetailJson, Responds, S, ValidBody, ValidQuery } from '../http/schema';
import { myPermissionsJson, MyPermissionsJson } from '../permissions/my-permissions';
import {
  Authenticated,
  CurrentPrincipal,
  Permitted,
  RequirePermission,
} from '../permissions/permissions.decorators';
import { PermissionsService } from '../permissions/permissions.service';
import { Project } from './project.entity';
import {
  CreateProject,
  type CreateProjectInput,
  ProjectDetailJson,
  ProjectJson,
  ProjectListQuery,
  type ProjectListQueryInput,
  UpdateProject,
  type UpdateProjectInput,
} from './project.schemas';
import { projectJson } from './project.serializers';
import { ProjectsService } from './projects.service';

const EnvironmentList = S.list(EnvironmentJson);

/** docs/contracts/admin-api.md §4. */
@Controller('api/v1/projects')
export class ProjectsController {
  constructor(
    private readonly projects: ProjectsService,
    private readonly permissions: PermissionsService,
  ) {}

  @Get()
  @Authenticated()
  @Responds(200, S.list(ProjectJson), 'Projects the caller may view')
  async list(
    @CurrentPrincipal() principal: Principal,
    @ValidQuery(ProjectListQuery) query: ProjectListQueryInput,
  ): Promise<ProjectJson[]> {
    const projects = await this.permissions.permittedProjects(principal, 'VIEW_PROJECT', query.organisation);
    return projects.map(projectJson);
  }

  @Post()
  @Authenticated()
  @Responds(201, ProjectJson, 'The project')
  @Responds(403, DetailJson, 'Not allowed to create projects in the organisation')
  @Responds(404, DetailJson, 'The organisation is not visible to the caller')
  async create(
    @CurrentPrincipal() principal: Principal,
    @ValidBody(CreateProject) body: CreateProjectInput,
  ): Promise<ProjectJson> {
    return projectJson(await this.projects.create(principal, body));
  }

  @Get('get-by-uuid/:uuid')
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'uuid', by: 'uuid', hide: true })
  @Responds(200, ProjectJson, 'The project (the list shape)')
  @Responds(404, DetailJson, 'No project of that uuid on which the caller has VIEW_PROJECT')
  retrieveByUuid(@Permitted('project') project: Project): ProjectJson {
    return projectJson(project);
  }

  @Get(':id')
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'id' })
  @Responds(200, ProjectDetailJson, 'The project, with its feature and segment counts')
  retrieve(@Permitted('project') project: Project): Promise<ProjectDetailJson> {
    return this.projects.detail(project);
  }

  @Put(':id')
  @RequirePermission('project', 'ADMIN', { param: 'id' })
  @Responds(200, ProjectJson, 'The project')
  async replace(
    @CurrentPrincipal() principal: Principal,
    @Permitted('project') project: Project,
    @ValidBody(UpdateProject) body: UpdateProjectInput,
  ): Promise<ProjectJson> {
    return projectJson(await this.projects.update(principal, project, body));
  }

  @Patch(':id')
  @RequirePermission('project', 'ADMIN', { param: 'id' })
  @Responds(200, ProjectJson, 'The project')
  async patch(
    @CurrentPrincipal() principal: Principal,
    @Permitted('project') project: Project,
    @ValidBody(UpdateProject, { partial: true }) body: Partial<UpdateProjectInput>,
  ): Promise<ProjectJson> {
    return projectJson(await this.projects.update(principal, project, body));
  }

  @Delete(':id')
  @RequirePermission('project', 'ADMIN', { param: 'id' })
  @Responds(204, null, 'Deleted')
  async remove(
    @CurrentPrincipal() principal: Principal,
    @Permitted('project') project: Project,
  ): Promise<void> {
    await this.projects.remove(principal, project);
  }

  @Get(':id/environments')
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'id' })
  @Responds(200, EnvironmentList, "The project's environments")
  async environments(@CurrentPrincipal() principal: Principal, @Permitted('project') project: Project) {
    return (await this.permissions.permittedEnvironments(principal, project, 'VIEW_ENVIRONMENT')).map((e) =>
      environmentJson(e),
    );
  }

  @Get(':id/my-permissions')
  @RequirePermission('project', 'MEMBER', { param: 'id' })
  @Responds(200, MyPermissionsJson, 'The caller’s grants')
  async myPermissions(@CurrentPrincipal() principal: Principal, @Permitted('project') project: Project) {
    const grant = await this.permissions.projectGrant(principal, project);
    if (!grant) throw new NotFound();
    return myPermissionsJson('project', grant);
  }
}
