import { Controller, Delete, Get, Patch, Post, Put } from '@nestjs/common';
import type { Environment } from '../environments/environment.entity';
import { IdParam, Responds, S, type Static, ValidBody } from '../http/schema';
import type { Organisation } from '../organisations/organisation.entity';
import type { Project } from '../projects/project.entity';
import {
  EnvironmentGrantUpdate,
  EnvironmentGroupGrantCreate,
  EnvironmentGroupGrantJson,
  EnvironmentUserGrantCreate,
  EnvironmentUserGrantJson,
  type GrantJsonOf,
  OrganisationGrantUpdate,
  OrganisationGroupGrantCreate,
  OrganisationGroupGrantJson,
  OrganisationUserGrantCreate,
  OrganisationUserGrantJson,
  PermissionKeyJson,
  ProjectGrantUpdate,
  ProjectGroupGrantCreate,
  ProjectGroupGrantJson,
  ProjectUserGrantCreate,
  ProjectUserGrantJson,
} from './grant.schemas';
import { grantJson } from './grant.serializers';
import type { GrantScope } from './grants.repository';
import { GrantsService } from './grants.service';
import { PERMISSION_DESCRIPTIONS } from './permission-keys';
import { Authenticated, Permitted, RequirePermission } from './permissions.decorators';

/** The scope of a route's grants; its organisation bounds who may be granted (GrantsService). */
const orgScope = (o: Organisation) =>
  ({ level: 'organisation', id: o.id, organisationId: o.id }) as const satisfies GrantScope;
const projectScope = (p: Project) =>
  ({ level: 'project', id: p.id, organisationId: p.organisationId }) as const satisfies GrantScope;
const environmentScope = (e: Environment) =>
  ({
    level: 'environment',
    id: e.id,
    organisationId: e.project.organisationId,
  }) as const satisfies GrantScope;

/**
 * GET /api/v1/{organisations|projects|environments}/permissions/ and the grant CRUD at every level
 * (docs/contracts/admin-api.md §0): only an admin of the scope may list or change its grants. PUT is partial, as
 * PATCH.
 */
@Controller('api/v1')
export class PermissionsController {
  constructor(private readonly grants: GrantsService) {}

  @Get('organisations/permissions')
  @Authenticated()
  @Responds(200, S.list(PermissionKeyJson), 'The organisation permission keys')
  organisationKeys(): PermissionKeyJson[] {
    return PERMISSION_DESCRIPTIONS.organisation;
  }

  @Get('projects/permissions')
  @Authenticated()
  @Responds(200, S.list(PermissionKeyJson), 'The project permission keys')
  projectKeys(): PermissionKeyJson[] {
    return PERMISSION_DESCRIPTIONS.project;
  }

  @Get('environments/permissions')
  @Authenticated()
  @Responds(200, S.list(PermissionKeyJson), 'The environment permission keys')
  environmentKeys(): PermissionKeyJson[] {
    return PERMISSION_DESCRIPTIONS.environment;
  }

  // ---- organisation grants (org ADMIN)
  @Get('organisations/:id/user-permissions')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(200, S.list(OrganisationUserGrantJson), 'Grants to users')
  async orgUserList(
    @Permitted('organisation') o: Organisation,
  ): Promise<GrantJsonOf['organisation']['user'][]> {
    const scope = orgScope(o);
    return (await this.grants.list(scope, 'user')).map((row) => grantJson(scope, 'user', row));
  }

  @Post('organisations/:id/user-permissions')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(201, OrganisationUserGrantJson, 'The grant')
  async orgUserCreate(
    @Permitted('organisation') o: Organisation,
    @ValidBody(OrganisationUserGrantCreate) body: Static<typeof OrganisationUserGrantCreate>,
  ): Promise<GrantJsonOf['organisation']['user']> {
    const scope = orgScope(o);
    return grantJson(scope, 'user', await this.grants.create(scope, 'user', body.user, body));
  }

  @Put('organisations/:id/user-permissions/:pk')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(200, OrganisationUserGrantJson, 'The grant')
  async orgUserPut(
    @Permitted('organisation') o: Organisation,
    @IdParam('pk') pk: number,
    @ValidBody(OrganisationGrantUpdate, { partial: true })
    body: Partial<Static<typeof OrganisationGrantUpdate>>,
  ): Promise<GrantJsonOf['organisation']['user']> {
    const scope = orgScope(o);
    return grantJson(scope, 'user', await this.grants.update(scope, 'user', pk, body));
  }

  @Patch('organisations/:id/user-permissions/:pk')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(200, OrganisationUserGrantJson, 'The grant')
  async orgUserPatch(
    @Permitted('organisation') o: Organisation,
    @IdParam('pk') pk: number,
    @ValidBody(OrganisationGrantUpdate, { partial: true })
    body: Partial<Static<typeof OrganisationGrantUpdate>>,
  ): Promise<GrantJsonOf['organisation']['user']> {
    const scope = orgScope(o);
    return grantJson(scope, 'user', await this.grants.update(scope, 'user', pk, body));
  }

  @Delete('organisations/:id/user-permissions/:pk')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(204, null, 'Deleted')
  async orgUserDelete(@Permitted('organisation') o: Organisation, @IdParam('pk') pk: number): Promise<void> {
    await this.grants.remove(orgScope(o), 'user', pk);
  }

  @Get('organisations/:id/user-group-permissions')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(200, S.list(OrganisationGroupGrantJson), 'Grants to groups')
  async orgGroupList(
    @Permitted('organisation') o: Organisation,
  ): Promise<GrantJsonOf['organisation']['group'][]> {
    const scope = orgScope(o);
    return (await this.grants.list(scope, 'group')).map((row) => grantJson(scope, 'group', row));
  }

  @Post('organisations/:id/user-group-permissions')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(201, OrganisationGroupGrantJson, 'The grant')
  async orgGroupCreate(
    @Permitted('organisation') o: Organisation,
    @ValidBody(OrganisationGroupGrantCreate) body: Static<typeof OrganisationGroupGrantCreate>,
  ): Promise<GrantJsonOf['organisation']['group']> {
    const scope = orgScope(o);
    return grantJson(scope, 'group', await this.grants.create(scope, 'group', body.group, body));
  }

  @Put('organisations/:id/user-group-permissions/:pk')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(200, OrganisationGroupGrantJson, 'The grant')
  async orgGroupPut(
    @Permitted('organisation') o: Organisation,
    @IdParam('pk') pk: number,
    @ValidBody(OrganisationGrantUpdate, { partial: true })
    body: Partial<Static<typeof OrganisationGrantUpdate>>,
  ): Promise<GrantJsonOf['organisation']['group']> {
    const scope = orgScope(o);
    return grantJson(scope, 'group', await this.grants.update(scope, 'group', pk, body));
  }

  @Patch('organisations/:id/user-group-permissions/:pk')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(200, OrganisationGroupGrantJson, 'The grant')
  async orgGroupPatch(
    @Permitted('organisation') o: Organisation,
    @IdParam('pk') pk: number,
    @ValidBody(OrganisationGrantUpdate, { partial: true })
    body: Partial<Static<typeof OrganisationGrantUpdate>>,
  ): Promise<GrantJsonOf['organisation']['group']> {
    const scope = orgScope(o);
    return grantJson(scope, 'group', await this.grants.update(scope, 'group', pk, body));
  }

  @Delete('organisations/:id/user-group-permissions/:pk')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(204, null, 'Deleted')
  async orgGroupDelete(@Permitted('organisation') o: Organisation, @IdParam('pk') pk: number): Promise<void> {
    await this.grants.remove(orgScope(o), 'group', pk);
  }

  // ---- project grants (project admin)
  @Get('projects/:projectId/user-permissions')
  @RequirePermission('project', 'ADMIN', { param: 'projectId' })
  @Responds(200, S.list(ProjectUserGrantJson), 'Grants to users')
  async projectUserList(@Permitted('project') p: Project): Promise<GrantJsonOf['project']['user'][]> {
    const scope = projectScope(p);
    return (await this.grants.list(scope, 'user')).map((row) => grantJson(scope, 'user', row));
  }

  @Post('projects/:projectId/user-permissions')
  @RequirePermission('project', 'ADMIN', { param: 'projectId' })
  @Responds(201, ProjectUserGrantJson, 'The grant')
  async projectUserCreate(
    @Permitted('project') p: Project,
    @ValidBody(ProjectUserGrantCreate) body: Static<typeof ProjectUserGrantCreate>,
  ): Promise<GrantJsonOf['project']['user']> {
    const scope = projectScope(p);
    return grantJson(scope, 'user', await this.grants.create(scope, 'user', body.user, body));
  }

  @Put('projects/:projectId/user-permissions/:pk')
  @RequirePermission('project', 'ADMIN', { param: 'projectId' })
  @Responds(200, ProjectUserGrantJson, 'The grant')
  async projectUserPut(
    @Permitted('project') p: Project,
    @IdParam('pk') pk: number,
    @ValidBody(ProjectGrantUpdate, { partial: true }) body: Partial<Static<typeof ProjectGrantUpdate>>,
  ): Promise<GrantJsonOf['project']['user']> {
    const scope = projectScope(p);
    return grantJson(scope, 'user', await this.grants.update(scope, 'user', pk, body));
  }

  @Patch('projects/:projectId/user-permissions/:pk')
  @RequirePermission('project', 'ADMIN', { param: 'projectId' })
  @Responds(200, ProjectUserGrantJson, 'The grant')
  async projectUserPatch(
    @Permitted('project') p: Project,
    @IdParam('pk') pk: number,
    @ValidBody(ProjectGrantUpdate, { partial: true }) body: Partial<Static<typeof ProjectGrantUpdate>>,
  ): Promise<GrantJsonOf['project']['user']> {
    const scope = projectScope(p);
    return grantJson(scope, 'user', await this.grants.update(scope, 'user', pk, body));
  }

  @Delete('projects/:projectId/user-permissions/:pk')
  @RequirePermission('project', 'ADMIN', { param: 'projectId' })
  @Responds(204, null, 'Deleted')
  async projectUserDelete(@Permitted('project') p: Project, @IdParam('pk') pk: number): Promise<void> {
    await this.grants.remove(projectScope(p), 'user', pk);
  }

  @Get('projects/:projectId/user-group-permissions')
  @RequirePermission('project', 'ADMIN', { param: 'projectId' })
  @Responds(200, S.list(ProjectGroupGrantJson), 'Grants to groups')
  async projectGroupList(@Permitted('project') p: Project): Promise<GrantJsonOf['project']['group'][]> {
    const scope = projectScope(p);
    return (await this.grants.list(scope, 'group')).map((row) => grantJson(scope, 'group', row));
  }

  @Post('projects/:projectId/user-group-permissions')
  @RequirePermission('project', 'ADMIN', { param: 'projectId' })
  @Responds(201, ProjectGroupGrantJson, 'The grant')
  async projectGroupCreate(
    @Permitted('project') p: Project,
    @ValidBody(ProjectGroupGrantCreate) body: Static<typeof ProjectGroupGrantCreate>,
  ): Promise<GrantJsonOf['project']['group']> {
    const scope = projectScope(p);
    return grantJson(scope, 'group', await this.grants.create(scope, 'group', body.group, body));
  }

  @Put('projects/:projectId/user-group-permissions/:pk')
  @RequirePermission('project', 'ADMIN', { param: 'projectId' })
  @Responds(200, ProjectGroupGrantJson, 'The grant')
  async projectGroupPut(
    @Permitted('project') p: Project,
    @IdParam('pk') pk: number,
    @ValidBody(ProjectGrantUpdate, { partial: true }) body: Partial<Static<typeof ProjectGrantUpdate>>,
  ): Promise<GrantJsonOf['project']['group']> {
    const scope = projectScope(p);
    return grantJson(scope, 'group', await this.grants.update(scope, 'group', pk, body));
  }

  @Patch('projects/:projectId/user-group-permissions/:pk')
  @RequirePermission('project', 'ADMIN', { param: 'projectId' })
  @Responds(200, ProjectGroupGrantJson, 'The grant')
  async projectGroupPatch(
    @Permitted('project') p: Project,
    @IdParam('pk') pk: number,
    @ValidBody(ProjectGrantUpdate, { partial: true }) body: Partial<Static<typeof ProjectGrantUpdate>>,
  ): Promise<GrantJsonOf['project']['group']> {
    const scope = projectScope(p);
    return grantJson(scope, 'group', await this.grants.update(scope, 'group', pk, body));
  }

  @Delete('projects/:projectId/user-group-permissions/:pk')
  @RequirePermission('project', 'ADMIN', { param: 'projectId' })
  @Responds(204, null, 'Deleted')
  async projectGroupDelete(@Permitted('project') p: Project, @IdParam('pk') pk: number): Promise<void> {
    await this.grants.remove(projectScope(p), 'group', pk);
  }

  // ---- environment grants (environment admin)
  @Get('environments/:apiKey/user-permissions')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  @Responds(200, S.list(EnvironmentUserGrantJson), 'Grants to users')
  async envUserList(@Permitted('environment') e: Environment): Promise<GrantJsonOf['environment']['user'][]> {
    const scope = environmentScope(e);
    return (await this.grants.list(scope, 'user')).map((row) => grantJson(scope, 'user', row));
  }

  @Post('environments/:apiKey/user-permissions')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  @Responds(201, EnvironmentUserGrantJson, 'The grant')
  async envUserCreate(
    @Permitted('environment') e: Environment,
    @ValidBody(EnvironmentUserGrantCreate) body: Static<typeof EnvironmentUserGrantCreate>,
  ): Promise<GrantJsonOf['environment']['user']> {
    const scope = environmentScope(e);
    return grantJson(scope, 'user', await this.grants.create(scope, 'user', body.user, body));
  }

  @Put('environments/:apiKey/user-permissions/:pk')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  @Responds(200, EnvironmentUserGrantJson, 'The grant')
  async envUserPut(
    @Permitted('environment') e: Environment,
    @IdParam('pk') pk: number,
    @ValidBody(EnvironmentGrantUpdate, { partial: true })
    body: Partial<Static<typeof EnvironmentGrantUpdate>>,
  ): Promise<GrantJsonOf['environment']['user']> {
    const scope = environmentScope(e);
    return grantJson(scope, 'user', await this.grants.update(scope, 'user', pk, body));
  }

  @Patch('environments/:apiKey/user-permissions/:pk')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  @Responds(200, EnvironmentUserGrantJson, 'The grant')
  async envUserPatch(
    @Permitted('environment') e: Environment,
    @IdParam('pk') pk: number,
    @ValidBody(EnvironmentGrantUpdate, { partial: true })
    body: Partial<Static<typeof EnvironmentGrantUpdate>>,
  ): Promise<GrantJsonOf['environment']['user']> {
    const scope = environmentScope(e);
    return grantJson(scope, 'user', await this.grants.update(scope, 'user', pk, body));
  }

  @Delete('environments/:apiKey/user-permissions/:pk')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  @Responds(204, null, 'Deleted')
  async envUserDelete(@Permitted('environment') e: Environment, @IdParam('pk') pk: number): Promise<void> {
    await this.grants.remove(environmentScope(e), 'user', pk);
  }

  @Get('environments/:apiKey/user-group-permissions')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  @Responds(200, S.list(EnvironmentGroupGrantJson), 'Grants to groups')
  async envGroupList(
    @Permitted('environment') e: Environment,
  ): Promise<GrantJsonOf['environment']['group'][]> {
    const scope = environmentScope(e);
    return (await this.grants.list(scope, 'group')).map((row) => grantJson(scope, 'group', row));
  }

  @Post('environments/:apiKey/user-group-permissions')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  @Responds(201, EnvironmentGroupGrantJson, 'The grant')
  async envGroupCreate(
    @Permitted('environment') e: Environment,
    @ValidBody(EnvironmentGroupGrantCreate) body: Static<typeof EnvironmentGroupGrantCreate>,
  ): Promise<GrantJsonOf['environment']['group']> {
    const scope = environmentScope(e);
    return grantJson(scope, 'group', await this.grants.create(scope, 'group', body.group, body));
  }

  @Put('environments/:apiKey/user-group-permissions/:pk')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  @Responds(200, EnvironmentGroupGrantJson, 'The grant')
  async envGroupPut(
    @Permitted('environment') e: Environment,
    @IdParam('pk') pk: number,
    @ValidBody(EnvironmentGrantUpdate, { partial: true })
    body: Partial<Static<typeof EnvironmentGrantUpdate>>,
  ): Promise<GrantJsonOf['environment']['group']> {
    const scope = environmentScope(e);
    return grantJson(scope, 'group', await this.grants.update(scope, 'group', pk, body));
  }

  @Patch('environments/:apiKey/user-group-permissions/:pk')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  @Responds(200, EnvironmentGroupGrantJson, 'The grant')
  async envGroupPatch(
    @Permitted('environment') e: Environment,
    @IdParam('pk') pk: number,
    @ValidBody(EnvironmentGrantUpdate, { partial: true })
    body: Partial<Static<typeof EnvironmentGrantUpdate>>,
  ): Promise<GrantJsonOf['environment']['group']> {
    const scope = environmentScope(e);
    return grantJson(scope, 'group', await this.grants.update(scope, 'group', pk, body));
  }

  @Delete('environments/:apiKey/user-group-permissions/:pk')
  @RequirePermission('environment', 'ADMIN', { param: 'apiKey' })
  @Responds(204, null, 'Deleted')
  async envGroupDelete(@Permitted('environment') e: Environment, @IdParam('pk') pk: number): Promise<void> {
    await this.grants.remove(environmentScope(e), 'group', pk);
  }
}
