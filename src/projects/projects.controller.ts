import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Put, Query } from '@nestjs/common';
import { Principal } from '../auth/principal';
import { fieldError, notFound } from '../common/errors';
import { parseId } from '../common/validation';
import { environmentJson } from '../environments/environment.serializers';
import { myPermissionsJson } from '../permissions/my-permissions';
import {
  Authenticated,
  CurrentPrincipal,
  Permitted,
  RequirePermission,
} from '../permissions/permissions.decorators';
import { PermissionsService } from '../permissions/permissions.service';
import { Project } from './project.entity';
import { projectJson } from './project.serializers';
import { ProjectsService } from './projects.service';

/** docs/contracts/admin-api.md §4. */
@Controller('api/v1/projects')
export class ProjectsController {
  constructor(
    private readonly projects: ProjectsService,
    private readonly permissions: PermissionsService,
  ) {}

  @Get()
  @Authenticated()
  async list(@CurrentPrincipal() principal: Principal, @Query('organisation') organisation?: string) {
    let organisationId: number | undefined;
    if (organisation !== undefined && organisation !== '') {
      organisationId = parseId(organisation);
      if (organisationId === undefined) throw fieldError('organisation', 'A valid integer is required.');
    }
    return (await this.permissions.permittedProjects(principal, 'VIEW_PROJECT', organisationId)).map(
      projectJson,
    );
  }

  @Post()
  @Authenticated()
  async create(@CurrentPrincipal() principal: Principal, @Body() body: unknown) {
    return projectJson(await this.projects.create(principal, body));
  }

  @Get(':id')
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'id' })
  retrieve(@Permitted('project') project: Project) {
    return projectJson(project);
  }

  @Put(':id')
  @RequirePermission('project', 'ADMIN', { param: 'id' })
  async replace(
    @CurrentPrincipal() principal: Principal,
    @Permitted('project') project: Project,
    @Body() body: unknown,
  ) {
    return projectJson(await this.projects.update(principal, project, body, false));
  }

  @Patch(':id')
  @RequirePermission('project', 'ADMIN', { param: 'id' })
  async patch(
    @CurrentPrincipal() principal: Principal,
    @Permitted('project') project: Project,
    @Body() body: unknown,
  ) {
    return projectJson(await this.projects.update(principal, project, body, true));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermission('project', 'ADMIN', { param: 'id' })
  async remove(
    @CurrentPrincipal() principal: Principal,
    @Permitted('project') project: Project,
  ): Promise<void> {
    await this.projects.remove(principal, project);
  }

  @Get(':id/environments')
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'id' })
  async environments(@CurrentPrincipal() principal: Principal, @Permitted('project') project: Project) {
    return (await this.permissions.permittedEnvironments(principal, project, 'VIEW_ENVIRONMENT')).map(
      environmentJson,
    );
  }

  @Get(':id/my-permissions')
  @RequirePermission('project', 'MEMBER', { param: 'id' })
  async myPermissions(@CurrentPrincipal() principal: Principal, @Permitted('project') project: Project) {
    const grant = await this.permissions.projectGrant(principal, project);
    if (!grant) throw notFound();
    return myPermissionsJson('project', grant);
  }
}
