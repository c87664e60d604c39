import { Controller, Delete, Get, Param, Post, Req } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal';
import { paginateArray } from '../common/pagination';
import { DetailJson, IdParam, PageQuery, Responds, S, ValidBody, ValidQuery } from '../http/schema';
import {
  Authenticated,
  CurrentPrincipal,
  CurrentUser,
  Permitted,
  RequirePermission,
} from '../permissions/permissions.decorators';
import { PermissionsService } from '../permissions/permissions.service';
import type { User } from '../users/user.entity';
import {
  CreateInvite,
  type CreateInviteInput,
  CreateInviteLink,
  type CreateInviteLinkInput,
  CreateInvites,
  type CreateInvitesInput,
  InviteJson,
  InviteLinkJson,
} from './invite.schemas';
import { InvitesService } from './invites.service';
import { Organisation } from './organisation.entity';
import { OrganisationJson } from './organisation.schemas';
import { inviteJson, inviteLinkJson, organisationJson } from './organisation.serializers';

/** docs/contracts/admin-api.md §3: email invites, invite links, and joining an organisation by either. */
@Controller('api/v1')
export class InvitesController {
  constructor(
    private readonly invites: InvitesService,
    private readonly permissions: PermissionsService,
  ) {}

  @Get('organisations/:id/invites')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(200, S.page(InviteJson), 'A page of pending invites')
  async list(
    @Permitted('organisation') org: Organisation,
    @Req() request: FastifyRequest,
    @ValidQuery(PageQuery) _page: unknown,
  ) {
    return paginateArray(request, (await this.invites.list(org.id)).map(inviteJson));
  }

  @Post('organisations/:id/invites')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(201, InviteJson, 'The invite (emailed)')
  async create(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') org: Organisation,
    @ValidBody(CreateInvite) body: CreateInviteInput,
  ): Promise<InviteJson> {
    return inviteJson(await this.invites.create(principal, org.id, body));
  }

  @Get('organisations/:id/invites/:inviteId')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(200, InviteJson, 'The invite')
  async retrieve(
    @Permitted('organisation') org: Organisation,
    @IdParam('inviteId') inviteId: number,
  ): Promise<InviteJson> {
    return inviteJson(await this.invites.get(org.id, inviteId));
  }

  @Delete('organisations/:id/invites/:inviteId')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(204, null, 'Deleted')
  async remove(@Permitted('organisation') org: Organisation, @IdParam('inviteId') inviteId: number) {
    await this.invites.delete(org.id, inviteId);
  }

  @Post('organisations/:id/invites/:inviteId/resend')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(200, S.response({}), 'Emailed again')
  async resend(
    @Permitted('organisation') org: Organisation,
    @IdParam('inviteId') inviteId: number,
  ): Promise<Record<string, never>> {
    await this.invites.resend(org.id, inviteId);
    return {};
  }

  @Post('organisations/:id/invite')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(200, S.list(InviteJson), 'The invites (emailed), all or none')
  async createMany(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') org: Organisation,
    @ValidBody(CreateInvites) body: CreateInvitesInput,
  ): Promise<InviteJson[]> {
    return (await this.invites.createMany(principal, org.id, body)).map(inviteJson);
  }

  @Get('organisations/:id/invite-links')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(200, S.list(InviteLinkJson), 'Invite links')
  async links(@Permitted('organisation') org: Organisation): Promise<InviteLinkJson[]> {
    return (await this.invites.links(org.id)).map(inviteLinkJson);
  }

  @Post('organisations/:id/invite-links')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(201, InviteLinkJson, 'The invite link')
  async createLink(
    @Permitted('organisation') org: Organisation,
    @ValidBody(CreateInviteLink) body: CreateInviteLinkInput,
  ): Promise<InviteLinkJson> {
    return inviteLinkJson(await this.invites.createLink(org.id, body));
  }

  @Delete('organisations/:id/invite-links/:linkId')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(204, null, 'Deleted')
  async deleteLink(@Permitted('organisation') org: Organisation, @IdParam('linkId') linkId: number) {
    await this.invites.deleteLink(org.id, linkId);
  }

  @Post('users/join/link/:hash')
  @Authenticated()
  @Responds(200, OrganisationJson, 'The organisation joined')
  @Responds(403, DetailJson, 'A master API key cannot join')
  @Responds(404, DetailJson, 'No invite with this hash')
  async joinLink(@CurrentUser() user: User, @Param('hash') hash: string): Promise<OrganisationJson> {
    return this.joined(user, await this.invites.join(user, hash ?? '', 'link'));
  }

  @Post('users/join/:hash')
  @Authenticated()
  @Responds(200, OrganisationJson, 'The organisation joined')
  @Responds(403, DetailJson, 'A master API key cannot join')
  @Responds(404, DetailJson, 'No invite with this hash')
  async join(@CurrentUser() user: User, @Param('hash') hash: string): Promise<OrganisationJson> {
    return this.joined(user, await this.invites.join(user, hash ?? '', 'invite'));
  }

  private async joined(user: User, org: Organisation): Promise<OrganisationJson> {
    const role = await this.permissions.organisationRole({ kind: 'user', user, tokenKey: '' }, org.id);
    return organisationJson(org, role, 0);
  }
}
