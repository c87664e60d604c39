import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, UseInterceptors } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { Principal } from '../auth/principal';
import { paginateArray } from '../common/pagination';
import {
  Authenticated,
  CurrentPrincipal,
  CurrentUser,
  Permitted,
  RequirePermission,
} from '../permissions/permissions.decorators';
import { PermissionsService } from '../permissions/permissions.service';
import { User } from '../users/user.entity';
import { readNewInvite, readNewInviteLink, readNewInvites } from './invite.input';
import { InvitesService } from './invites.service';
import { OrgErrorsInterceptor, pathId } from './organisation-errors';
import { Organisation } from './organisation.entity';
import { inviteJson, inviteLinkJson, organisationJson } from './organisation.serializers';

/** docs/contracts/admin-api.md §3: email invites, invite links, and joining an organisation by either. */
@Controller('api/v1')
@UseInterceptors(OrgErrorsInterceptor)
export class InvitesController {
  constructor(
    private readonly invites: InvitesService,
    private readonly permissions: PermissionsService,
  ) {}

  @Get('organisations/:id/invites')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async list(@Permitted('organisation') org: Organisation, @Req() request: FastifyRequest) {
    return paginateArray(request, (await this.invites.list(org.id)).map(inviteJson));
  }

  @Post('organisations/:id/invites')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') org: Organisation,
    @Body() body: unknown,
  ) {
    return inviteJson(await this.invites.create(principal, org.id, readNewInvite(body)));
  }

  @Get('organisations/:id/invites/:inviteId')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async retrieve(@Permitted('organisation') org: Organisation, @Param('inviteId') inviteId: string) {
    return inviteJson(await this.invites.get(org.id, pathId(inviteId)));
  }

  @Delete('organisations/:id/invites/:inviteId')
  @HttpCode(204)
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async remove(@Permitted('organisation') org: Organisation, @Param('inviteId') inviteId: string) {
    await this.invites.delete(org.id, pathId(inviteId));
  }

  @Post('organisations/:id/invites/:inviteId/resend')
  @HttpCode(200)
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async resend(@Permitted('organisation') org: Organisation, @Param('inviteId') inviteId: string) {
    await this.invites.resend(org.id, pathId(inviteId));
    return {};
  }

  @Post('organisations/:id/invite')
  @HttpCode(200)
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async createMany(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') org: Organisation,
    @Body() body: unknown,
  ) {
    return (await this.invites.createMany(principal, org.id, readNewInvites(body))).map(inviteJson);
  }

  @Get('organisations/:id/invite-links')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async links(@Permitted('organisation') org: Organisation) {
    return (await this.invites.links(org.id)).map(inviteLinkJson);
  }

  @Post('organisations/:id/invite-links')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async createLink(@Permitted('organisation') org: Organisation, @Body() body: unknown) {
    return inviteLinkJson(await this.invites.createLink(org.id, readNewInviteLink(body)));
  }

  @Delete('organisations/:id/invite-links/:linkId')
  @HttpCode(204)
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async deleteLink(@Permitted('organisation') org: Organisation, @Param('linkId') linkId: string) {
    await this.invites.deleteLink(org.id, pathId(linkId));
  }

  @Post('users/join/link/:hash')
  @HttpCode(200)
  @Authenticated()
  async joinLink(@CurrentUser() user: User, @Param('hash') hash: string) {
    return this.joined(user, await this.invites.join(user, hash ?? '', 'link'));
  }

  @Post('users/join/:hash')
  @HttpCode(200)
  @Authenticated()
  async join(@CurrentUser() user: User, @Param('hash') hash: string) {
    return this.joined(user, await this.invites.join(user, hash ?? '', 'invite'));
  }

  private async joined(user: User, org: Organisation) {
    const role = await this.permissions.organisationRole({ kind: 'user', user, tokenKey: '' }, org.id);
    return organisationJson(org, role, 0);
  }
}
