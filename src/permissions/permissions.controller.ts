import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put } from '@nestjs/common';
import { Environment } from '../environments/environment.entity';
import { Organisation } from '../organisations/organisation.entity';
import { Project } from '../projects/project.entity';
import { GrantsService } from './grants.service';
import { PERMISSION_DESCRIPTIONS } from './permission-keys';
import { Authenticated, Permitted, RequirePermission } from './permissions.decorators';

/** GET /api/v1/{organisations|projects|environments}/permissions/ and the grant CRUD at every level. */
@Controller('api/v1')
export class PermissionsController {
  constructor(private readonly grants: GrantsService) {}

  @Get('organisations/permissions')
  @Authenticated()
  organisationKeys() {
    return PERMISSION_DESCRIPTIONS.organisation;
  }

  @Get('projects/permissions')
  @Authenticated()
  projectKeys() {
    return PERMISSION_DESCRIPTIONS.project;
  }

  @Get('environments/permissions')
  @Authenticated()
  environmentKeys() {
    return PERMISSION_DESCRIPTIONS.environment;
  }

  // ---- organisation grants (org ADMIN)

  @Get('organisations/:id/user-permissions')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  orgUserList(@Permitted('organisation') o: Organisation) {
    return this.grants.list('organisation', 'user', o.id);
  }
  @Post('organisations/:id/user-permissions')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  orgUserCreate(@Permitted('organisation') o: Organisation, @Body() body: unknown) {
    return this.grants.save('organisation', 'user', o.id, o.id, body, null, false);
  }
  @Put('organisations/:id/user-permissions/:pk')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async orgUserPut(
    @Permitted('organisation') o: Organisation,
    @Param('pk') pk: string,
    @Body() body: unknown,
  ) {
    const row = await this.grants.get('organisation', 'user', o.id, pk);
    return this.grants.save('organisation', 'user', o.id, o.id, body, row, false);
  }
  @Patch('organisations/:id/user-permissions/:pk')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async orgUserPatch(
    @Permitted('organisation') o: Organisation,
    @Param('pk') pk: string,
    @Body() body: unknown,
  ) {
    const row = await this.grants.get('organisation', 'user', o.id, pk);
    return this.grants.save('organisation', 'user', o.id, o.id, body, row, true);
  }
  @Delete('organisations/:id/user-permissions/:pk')
  @HttpCode(204)
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async orgUserDelete(@Permitted('organisation') o: Organisation, @Param('pk') pk: string) {
    await this.grants.remove('organisation', 'user', o.id, pk);
  }

  @Get('organisations/:id/user-group-permissions')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  orgGroupList(@Permitted('organisation') o: Organisation) {
    return this.grants.list('organisation', 'group', o.id);
  }
  @Post('organisations/:id/user-group-permissions')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  orgGroupCreate(@Permitted('organisation') o: Organisation, @Body() body: unknown) {
    return this.grants.save('organisation', 'group', o.id, o.id, body, null, false);
  }
  @Put('organisations/:id/user-group-permissions/:pk')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async orgGroupPut(
    @Permitted('organisation') o: Organisation,
    @Param('pk') pk: string,
    @Body() body: unknown,
  ) {
    const row = await this.grants.get('organisation', 'group', o.id, pk);
    return this.grants.save('organisation', 'group', o.id, o.id, body, row, false);
  }
  @Patch('organisations/:id/user-group-permissions/:pk')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async orgGroupPatch(
    @Permitted('organisation') o: Organisation,
    @Param('pk') pk: string,
    @Body() body: unknown,
  ) {
    const row = await this.grants.get('organisation', 'group', o.id, pk);
    return this.grants.save('organisation', 'group', o.id, o.id, body, row, true);
  }
  @Delete('organisations/:id/user-group-permissions/:pk')
  @HttpCode(204)
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async orgGroupDelete(@Permitted('organisation') o: Organisation, @Param('pk') pk: string) {
    await this.grants.remove('organisation', 'group', o.id, pk);
  }

  // ---- project grants (project admin)

  @Get('projects/:projectId/user-permissions')
  @RequirePermission('project', 'ADMIN', { param: 'projectId' })
  projectUserList(@Permitted('project') p: Project) {
    return this.grants.list('project', 'user', p.id);
  }
  @Post('projects/:projectId/user-permissions')
  @RequirePermission('project', 'ADMIN', { param: 'projectId' })
  projectUserCreate(@Permitted('project') p: Project, @Body() body: unknown) {
    return this.grants.save('project', 'user', p.id, p.organisationId, body, null, false);
  }
  @Put('projects/:projectId/user-permissions/:pk')
  @RequirePermission('project', 'ADMIN', { param: 'projectId' })
  async projectUserPut(@Permitted('project') p: Project, @Param('pk') pk: string, @Body() body: unknown) {
    const row = await this.grants.get('project', 'user', p.id, pk);
    return this.grants.save('project', 'user', p.id, p.organisationId, body, row, false);
  }
  @Patch('projects/:projectId/user-permissions/:pk')
  @RequirePermission('project', 'ADMIN', { param: 'projectId' })
  async projectUserPatch(@Permitted('project') p: Project, @Param('pk') pk: string, @Body() body: unknown) {
    const row = await this.grants.get('project', 'user', p.id, pk);
    return this.grants.save('project', 'user', p.id, p.organisationId, body, row, true);
  }
  @Delete('projects/:projectId/user-permissions/:pk')
  @HttpCode(204)
  @RequirePermission('project', 'ADMIN', { param: 'projectId' })
  async projectUserDelete(@Permitted('project') p: Project, @Param('pk') pk: string) {
    await this.grants.remove('project', 'user', p.id, pk);
  }

  @Get('projects/:projectId/user-group-permissions')
  @RequirePermission('project', 'ADMIN', { param: 'projectId' })
  projectGroupList(@Permitted('project') p: Project) {
    return this.grants.list('project', 'group', p.id);
  }
  @Post('projects/:projectId/user-group-permissions')
  @RequirePermission('project', 'ADMIN', { param: 'projectId' })
  projectGroupCreate(@Permitted('project') p: Project, @Body() body: unknown) {
    return this.grants.save('project', 'group', p.id, p.organisationId, body, null, false);
  }
  @Put('projects/:projectId/user-group-permissions/:pk')
  @RequirePermission('project', 'ADMIN', { param: 'projectId' })
  async projectGroupPut(@Permitted('project') p: Project, @Param('pk') pk: string, @Body() body: unknown) {
    const row = await this.grants.get('project', 'group', p.id, pk);
    return this.grants.save('project', 'group', p.id, p.organisationId, body, row, false);
  }
  @Patch('projects/:projectId/user-group-permissions/:pk')
  @RequirePermission('project', 'ADMIN', { param: 'projectId' })
  async projectGroupPatch(@Permitted('project') p: Project, @Param('pk') pk: string, @Body() body: unknown) {
    const row = await this.grants.get('project', 'group', p.id, pk);
    return this.grants.save('project', 'group', p.id, p.organisationId, body, row, true);
  }
  @Delete('projects/:projectId/user-group-permissions/:pk')
  @HttpCode(204)
  @RequirePermission('project', 'ADMIN', { param: 'projectId' })
  async projectGroupDelete(@Permitted('project') p: Project, @Param('pk') pk: string) {
    await this.grants.remove('project', 'group', p.id, pk);
  }

  // ---- environment grants (environment admin)

  @Get('environments/:apiKey/user-permissions')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  envUserList(@Permitted('environment') e: Environment) {
    return this.grants.list('environment', 'user', e.id);
  }
  @Post('environments/:apiKey/user-permissions')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  envUserCreate(@Permitted('environment') e: Environment, @Body() body: unknown) {
    return this.grants.save('environment', 'user', e.id, e.project.organisationId, body, null, false);
  }
  @Put('environments/:apiKey/user-permissions/:pk')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  async envUserPut(@Permitted('environment') e: Environment, @Param('pk') pk: string, @Body() body: unknown) {
    const row = await this.grants.get('environment', 'user', e.id, pk);
    return this.grants.save('environment', 'user', e.id, e.project.organisationId, body, row, false);
  }
  @Patch('environments/:apiKey/user-permissions/:pk')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  async envUserPatch(
    @Permitted('environment') e: Environment,
    @Param('pk') pk: string,
    @Body() body: unknown,
  ) {
    const row = await this.grants.get('environment', 'user', e.id, pk);
    return this.grants.save('environment', 'user', e.id, e.project.organisationId, body, row, true);
  }
  @Delete('environments/:apiKey/user-permissions/:pk')
  @HttpCode(204)
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  async envUserDelete(@Permitted('environment') e: Environment, @Param('pk') pk: string) {
    await this.grants.remove('environment', 'user', e.id, pk);
  }

  @Get('environments/:apiKey/user-group-permissions')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  envGroupList(@Permitted('environment') e: Environment) {
    return this.grants.list('environment', 'group', e.id);
  }
  @Post('environments/:apiKey/user-group-permissions')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  envGroupCreate(@Permitted('environment') e: Environment, @Body() body: unknown) {
    return this.grants.save('environment', 'group', e.id, e.project.organisationId, body, null, false);
  }
  @Put('environments/:apiKey/user-group-permissions/:pk')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  async envGroupPut(
    @Permitted('environment') e: Environment,
    @Param('pk') pk: string,
    @Body() body: unknown,
  ) {
    const row = await this.grants.get('environment', 'group', e.id, pk);
    return this.grants.save('environment', 'group', e.id, e.project.organisationId, body, row, false);
  }
  @Patch('environments/:apiKey/user-group-permissions/:pk')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  async envGroupPatch(
    @Permitted('environment') e: Environment,
    @Param('pk') pk: string,
    @Body() body: unknown,
  ) {
    const row = await this.grants.get('environment', 'group', e.id, pk);
    return this.grants.save('environment', 'group', e.id, e.project.organisationId, body, row, true);
  }
  @Delete('environments/:apiKey/user-group-permissions/:pk')
  @HttpCode(204)
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  async envGroupDelete(@Permitted('environment') e: Environment, @Param('pk') pk: string) {
    await this.grants.remove('environment', 'group', e.id, pk);
  }
}
