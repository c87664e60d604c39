import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Patch,
  Post,
  Put,
  Req,
  UseInterceptors,
} from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { Principal } from '../auth/principal';
import { notFound } from '../common/errors';
import { paginateArray } from '../common/pagination';
import {
  Authenticated,
  CurrentPrincipal,
  Permitted,
  RequirePermission,
} from '../permissions/permissions.decorators';
import { myPermissionsJson } from '../permissions/my-permissions';
import { PermissionsService } from '../permissions/permissions.service';
import { projectJson } from '../projects/project.serializers';
import { OrgErrorsInterceptor } from './organisation-errors';
import { Organisation } from './organisation.entity';
import { readNewOrganisation, readOrganisationChanges } from './organisation.input';
import { organisationJson } from './organisation.serializers';
import { OrganisationsService } from './organisations.service';

/** docs/contracts/admin-api.md §3: organisations themselves (members, invites, groups, keys: the controllers beside this one). */
@Controller('api/v1')
@UseInterceptors(OrgErrorsInterceptor)
export class OrganisationsController {
  constructor(
    private readonly organisations: OrganisationsService,
    private readonly permissions: PermissionsService,
  ) {}

  private async json(principal: Principal, org: Organisation) {
    const role = await this.permissions.organisationRole(principal, org.id);
    const seats = await this.organisations.seatCounts([org.id]);
    return organisationJson(org, role, seats.get(org.id) ?? 0);
  }

  @Get('organisations')
  @Authenticated()
  async list(@CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest) {
    const rows = await this.organisations.listForPrincipal(principal);
    const seats = await this.organisations.seatCounts(rows.map((r) => r.org.id));
    return paginateArray(
      request,
      rows.map((r) => organisationJson(r.org, r.role, seats.get(r.org.id) ?? 0)),
    );
  }

  @Post('organisations')
  @Authenticated()
  async create(@CurrentPrincipal() principal: Principal, @Body() body: unknown) {
    this.organisations.assertMayCreate(principal); // 403 before any 400, as before
    return this.json(principal, await this.organisations.create(principal, readNewOrganisation(body)));
  }

  @Get('organisations/:id')
  @RequirePermission('organisation', 'MEMBER', { param: 'id' })
  async retrieve(@CurrentPrincipal() principal: Principal, @Permitted('organisation') org: Organisation) {
    return this.json(principal, org);
  }

  @Put('organisations/:id')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async replace(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') org: Organisation,
    @Body() body: unknown,
  ) {
    const changes = readOrganisationChanges(body, false);
    return this.json(principal, await this.organisations.update(principal, org, changes));
  }

  @Patch('organisations/:id')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async patch(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') org: Organisation,
    @Body() body: unknown,
  ) {
    const changes = readOrganisationChanges(body, true);
    return this.json(principal, await this.organisations.update(principal, org, changes));
  }

  @Delete('organisations/:id')
  @HttpCode(204)
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async remove(@Permitted('organisation') org: Organisation): Promise<void> {
    await this.organisations.remove(org);
  }

  @Get('organisations/:id/projects')
  @RequirePermission('organisation', 'MEMBER', { param: 'id' })
  async projects(@CurrentPrincipal() principal: Principal, @Permitted('organisation') org: Organisation) {
    const projects = await this.permissions.permittedProjects(principal, 'VIEW_PROJECT', org.id);
    return projects.map(projectJson);
  }

  @Get('organisations/:id/my-permissions')
  @RequirePermission('organisation', 'MEMBER', { param: 'id' })
  async myPermissions(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') org: Organisation,
  ) {
    const grant = await this.permissions.organisationGrant(principal, org.id);
    if (!grant) throw notFound();
    return myPermissionsJson('organisation', grant);
  }
}
