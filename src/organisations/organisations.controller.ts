import {
  CanActivate,
  Controller,
  Delete,
  ExecutionContext,
  Get,
  Injectable,
  Patch,
  Post,
  Put,
  Req,
  UseGuards,
} from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import type { AuthedRequest, Principal } from '../auth/principal';
import { NotFound } from '../common/domain-errors';
import { paginateArray } from '../common/pagination';
import { DetailJson, PageQuery, Responds, S, ValidBody, ValidQuery } from '../http/schema';
import { myPermissionsJson, MyPermissionsJson } from '../permissions/my-permissions';
import {
  Authenticated,
  CurrentPrincipal,
  Permitted,
  RequirePermission,
} from '../permissions/permissions.decorators';
import { PermissionsService } from '../permissions/permissions.service';
import { ProjectJson } from '../projects/project.schemas';
import { projectJson } from '../projects/project.serializers';
import { Organisation } from './organisation.entity';
import {
  CreateOrganisation,
  type CreateOrganisationInput,
  OrganisationJson,
  UpdateOrganisation,
  type UpdateOrganisationInput,
} from './organisation.schemas';
import { organisationJson } from './organisation.serializers';
import { OrganisationsService } from './organisations.service';

/** POST /organisations/: who may create is decided before the body is read (403 before any 400). */
@Injectable()
export class MayCreateOrganisation implements CanActivate {
  constructor(private readonly organisations: OrganisationsService) {}
  canActivate(context: ExecutionContext): boolean {
    const { principal } = context.switchToHttp().getRequest<AuthedRequest>();
    if (!principal) return false;
    this.organisations.assertMayCreate(principal);
    return true;
  }
}

/** docs/contracts/admin-api.md §3: organisations themselves (members, invites, groups, keys: the controllers beside this one). */
@Controller('api/v1/organisations')
export class OrganisationsController {
  constructor(
    private readonly organisations: OrganisationsService,
    private readonly permissions: PermissionsService,
  ) {}

  private async json(principal: Principal, org: Organisation): Promise<OrganisationJson> {
    const role = await this.permissions.organisationRole(principal, org.id);
    const seats = await this.organisations.seatCounts([org.id]);
    return organisationJson(org, role, seats.get(org.id) ?? 0);
  }

  @Get()
  @Authenticated()
  @Responds(200, S.page(OrganisationJson), "A page of the caller's organisations")
  async list(
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @ValidQuery(PageQuery) _page: unknown,
  ) {
    const rows = await this.organisations.listForPrincipal(principal);
    const seats = await this.organisations.seatCounts(rows.map((r) => r.org.id));
    return paginateArray(
      request,
      rows.map((r) => organisationJson(r.org, r.role, seats.get(r.org.id) ?? 0)),
    );
  }

  @Post()
  @UseGuards(MayCreateOrganisation) // after AuthGuard: guards listed higher run later
  @Authenticated()
  @Responds(201, OrganisationJson, 'The organisation (the creator is its ADMIN)')
  @Responds(403, DetailJson, 'A master API key, or a non-superuser under RESTRICT_ORG_CREATE_TO_SUPERUSERS')
  async create(
    @CurrentPrincipal() principal: Principal,
    @ValidBody(CreateOrganisation) body: CreateOrganisationInput,
  ): Promise<OrganisationJson> {
    return this.json(principal, await this.organisations.create(principal, body));
  }

  // Any member (Flagsmith skips the object check here); Terraform's provider reads organisations this way.
  @Get('get-by-uuid/:uuid')
  @RequirePermission('organisation', 'MEMBER', { param: 'uuid', by: 'uuid' })
  @Responds(200, OrganisationJson, 'The organisation')
  @Responds(404, DetailJson, 'No organisation of that uuid has the caller as a member')
  retrieveByUuid(@CurrentPrincipal() principal: Principal, @Permitted('organisation') org: Organisation) {
    return this.json(principal, org);
  }

  @Get(':id')
  @RequirePermission('organisation', 'MEMBER', { param: 'id' })
  @Responds(200, OrganisationJson, 'The organisation')
  retrieve(@CurrentPrincipal() principal: Principal, @Permitted('organisation') org: Organisation) {
    return this.json(principal, org);
  }

  @Put(':id')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(200, OrganisationJson, 'The organisation')
  async replace(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') org: Organisation,
    @ValidBody(UpdateOrganisation) body: UpdateOrganisationInput,
  ): Promise<OrganisationJson> {
    return this.json(principal, await this.organisations.update(principal, org, body));
  }

  @Patch(':id')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(200, OrganisationJson, 'The organisation')
  async patch(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') org: Organisation,
    @ValidBody(UpdateOrganisation, { partial: true }) body: Partial<UpdateOrganisationInput>,
  ): Promise<OrganisationJson> {
    return this.json(principal, await this.organisations.update(principal, org, body));
  }

  @Delete(':id')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(204, null, 'Deleted with everything in it')
  async remove(@Permitted('organisation') org: Organisation): Promise<void> {
    await this.organisations.remove(org);
  }

  @Get(':id/projects')
  @RequirePermission('organisation', 'MEMBER', { param: 'id' })
  @Responds(200, S.list(ProjectJson), 'Projects of the organisation the caller may view')
  async projects(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') org: Organisation,
  ): Promise<ProjectJson[]> {
    const projects = await this.permissions.permittedProjects(principal, 'VIEW_PROJECT', org.id);
    return projects.map(projectJson);
  }

  @Get(':id/my-permissions')
  @RequirePermission('organisation', 'MEMBER', { param: 'id' })
  @Responds(200, MyPermissionsJson, 'The caller’s grants')
  async myPermissions(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') org: Organisation,
  ) {
    const grant = await this.permissions.organisationGrant(principal, org.id);
    if (!grant) throw new NotFound();
    return myPermissionsJson('organisation', grant);
  }
}
