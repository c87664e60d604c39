import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { RefuseMasterApiKeys } from '../auth/auth.guard';
import { Principal } from '../auth/principal';
import { forbidden, notFound } from '../common/errors';
import { paginateArray } from '../common/pagination';
import { BodyReader } from '../common/validation';
import {
  Authenticated,
  CurrentPrincipal,
  CurrentUser,
  Permitted,
  RequirePermission,
} from '../permissions/permissions.decorators';
import { myPermissionsJson } from '../permissions/my-permissions';
import { PermissionsService } from '../permissions/permissions.service';
import { projectJson } from '../projects/project.serializers';
import { User } from '../users/user.entity';
import { Organisation } from './organisation.entity';
import {
  groupJson,
  inviteJson,
  inviteLinkJson,
  masterApiKeyJson,
  organisationJson,
  organisationUserJson,
} from './organisation.serializers';
import { OrganisationsService } from './organisations.service';

/** docs/contracts/admin-api.md §3: organisations, members, invites and invite links, joining, master API keys. */
@Controller('api/v1')
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
    return this.json(principal, await this.organisations.create(principal, body));
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
    return this.json(principal, await this.organisations.update(principal, org, body, false));
  }

  @Patch('organisations/:id')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async patch(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') org: Organisation,
    @Body() body: unknown,
  ) {
    return this.json(principal, await this.organisations.update(principal, org, body, true));
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

  // ---- members

  @Get('organisations/:id/users')
  @RequirePermission('organisation', 'MEMBER', { param: 'id' })
  async users(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') org: Organisation,
    @Query('exclude_current') excludeCurrent?: string,
  ) {
    const members = await this.organisations.members(org.id);
    const exclude = excludeCurrent === 'true' || excludeCurrent === '1' || excludeCurrent === 'True';
    return members
      .filter((m) => !(exclude && principal.kind === 'user' && m.userId === principal.user.id))
      .map((m) => organisationUserJson(m.user, m.role));
  }

  @Post('organisations/:id/users/:userId/update-role')
  @HttpCode(200)
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async updateRole(
    @Permitted('organisation') org: Organisation,
    @Param('userId') userId: string,
    @Body() body: unknown,
  ) {
    const membership = await this.organisations.updateRole(org.id, userId, body);
    return organisationUserJson(membership.user, membership.role);
  }

  @Post('organisations/:id/remove-users')
  @HttpCode(200)
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async removeUsers(@Permitted('organisation') org: Organisation, @Body() body: unknown) {
    await this.organisations.removeUsers(org.id, body);
    return {};
  }

  // ---- invites

  @Get('organisations/:id/invites')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async invites(@Permitted('organisation') org: Organisation, @Req() request: FastifyRequest) {
    return paginateArray(request, (await this.organisations.invites(org.id)).map(inviteJson));
  }

  @Post('organisations/:id/invites')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async createInvite(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') org: Organisation,
    @Body() body: unknown,
  ) {
    return inviteJson(await this.organisations.createInvite(principal, org.id, body));
  }

  @Get('organisations/:id/invites/:inviteId')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async getInvite(@Permitted('organisation') org: Organisation, @Param('inviteId') inviteId: string) {
    return inviteJson(await this.organisations.invite(org.id, inviteId));
  }

  @Delete('organisations/:id/invites/:inviteId')
  @HttpCode(204)
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async deleteInvite(@Permitted('organisation') org: Organisation, @Param('inviteId') inviteId: string) {
    await this.organisations.deleteInvite(org.id, inviteId);
  }

  @Post('organisations/:id/invites/:inviteId/resend')
  @HttpCode(200)
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async resendInvite(@Permitted('organisation') org: Organisation, @Param('inviteId') inviteId: string) {
    await this.organisations.resendInvite(org.id, inviteId);
    return {};
  }

  @Post('organisations/:id/invite')
  @HttpCode(200)
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async invite(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') org: Organisation,
    @Body() body: unknown,
  ) {
    return (await this.organisations.createInvites(principal, org.id, body)).map(inviteJson);
  }

  @Get('organisations/:id/invite-links')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async inviteLinks(@Permitted('organisation') org: Organisation) {
    return (await this.organisations.inviteLinks(org.id)).map(inviteLinkJson);
  }

  @Post('organisations/:id/invite-links')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async createInviteLink(@Permitted('organisation') org: Organisation, @Body() body: unknown) {
    return inviteLinkJson(await this.organisations.createInviteLink(org.id, body));
  }

  @Delete('organisations/:id/invite-links/:linkId')
  @HttpCode(204)
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async deleteInviteLink(@Permitted('organisation') org: Organisation, @Param('linkId') linkId: string) {
    await this.organisations.deleteInviteLink(org.id, linkId);
  }

  @Post('users/join/link/:hash')
  @HttpCode(200)
  @Authenticated()
  async joinLink(@CurrentUser() user: User, @Param('hash') hash: string) {
    const org = await this.organisations.join(user, hash, 'link');
    return organisationJson(
      org,
      await this.permissions.organisationRole({ kind: 'user', user, tokenKey: '' }, org.id),
      0,
    );
  }

  @Post('users/join/:hash')
  @HttpCode(200)
  @Authenticated()
  async join(@CurrentUser() user: User, @Param('hash') hash: string) {
    const org = await this.organisations.join(user, hash, 'invite');
    return organisationJson(
      org,
      await this.permissions.organisationRole({ kind: 'user', user, tokenKey: '' }, org.id),
      0,
    );
  }

  // ---- groups

  @Get('organisations/:id/groups')
  @RequirePermission('organisation', 'MEMBER', { param: 'id' })
  async groups(@Permitted('organisation') org: Organisation, @Req() request: FastifyRequest) {
    const rows = await this.organisations.groups(org.id);
    return paginateArray(
      request,
      rows.map((r) => groupJson(r.group, r.members)),
    );
  }

  @Get('organisations/:id/groups/my-groups')
  @RequirePermission('organisation', 'MEMBER', { param: 'id' })
  async myGroups(
    @CurrentUser() user: User,
    @Permitted('organisation') org: Organisation,
    @Req() request: FastifyRequest,
  ) {
    const rows = await this.organisations.groups(org.id, user.id);
    return paginateArray(
      request,
      rows.map((r) => ({ id: r.group.id, name: r.group.name })),
    );
  }

  @Get('organisations/:id/groups/summaries')
  @RequirePermission('organisation', 'MEMBER', { param: 'id' })
  async groupSummaries(@Permitted('organisation') org: Organisation) {
    return (await this.organisations.groups(org.id)).map((r) => ({ id: r.group.id, name: r.group.name }));
  }

  @Post('organisations/:id/groups')
  @RequirePermission('organisation', 'MANAGE_USER_GROUPS', { param: 'id' })
  async createGroup(@Permitted('organisation') org: Organisation, @Body() body: unknown) {
    const group = await this.organisations.saveGroup(org.id, null, body, false);
    const [row] = await this.organisations.withMembers([group]);
    return groupJson(row.group, row.members);
  }

  @Get('organisations/:id/groups/:groupId')
  @RequirePermission('organisation', 'MEMBER', { param: 'id' })
  async group(@Permitted('organisation') org: Organisation, @Param('groupId') groupId: string) {
    const [row] = await this.organisations.withMembers([await this.organisations.group(org.id, groupId)]);
    return groupJson(row.group, row.members);
  }

  @Put('organisations/:id/groups/:groupId')
  @RequirePermission('organisation', 'MANAGE_USER_GROUPS', { param: 'id' })
  async replaceGroup(
    @Permitted('organisation') org: Organisation,
    @Param('groupId') groupId: string,
    @Body() body: unknown,
  ) {
    const existing = await this.organisations.group(org.id, groupId);
    const [row] = await this.organisations.withMembers([
      await this.organisations.saveGroup(org.id, existing, body, false),
    ]);
    return groupJson(row.group, row.members);
  }

  @Patch('organisations/:id/groups/:groupId')
  @RequirePermission('organisation', 'MANAGE_USER_GROUPS', { param: 'id' })
  async patchGroup(
    @Permitted('organisation') org: Organisation,
    @Param('groupId') groupId: string,
    @Body() body: unknown,
  ) {
    const existing = await this.organisations.group(org.id, groupId);
    const [row] = await this.organisations.withMembers([
      await this.organisations.saveGroup(org.id, existing, body, true),
    ]);
    return groupJson(row.group, row.members);
  }

  @Delete('organisations/:id/groups/:groupId')
  @HttpCode(204)
  @RequirePermission('organisation', 'MANAGE_USER_GROUPS', { param: 'id' })
  async deleteGroup(@Permitted('organisation') org: Organisation, @Param('groupId') groupId: string) {
    await this.organisations.deleteGroup(await this.organisations.group(org.id, groupId));
  }

  @Post('organisations/:id/groups/:groupId/add-users')
  @HttpCode(200)
  @RequirePermission('organisation', 'MEMBER', { param: 'id' })
  async addUsers(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') org: Organisation,
    @Param('groupId') groupId: string,
    @Body() body: unknown,
  ) {
    const group = await this.groupForManagement(principal, org, groupId);
    const v = new BodyReader(body);
    const userIds = v.integerList('user_ids');
    v.assertValid();
    await this.organisations.addUsersToGroup(group, userIds!);
    const [row] = await this.organisations.withMembers([group]);
    return groupJson(row.group, row.members);
  }

  @Post('organisations/:id/groups/:groupId/remove-users')
  @HttpCode(200)
  @RequirePermission('organisation', 'MEMBER', { param: 'id' })
  async removeGroupUsers(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') org: Organisation,
    @Param('groupId') groupId: string,
    @Body() body: unknown,
  ) {
    const group = await this.groupForManagement(principal, org, groupId);
    const v = new BodyReader(body);
    const userIds = v.integerList('user_ids');
    v.assertValid();
    await this.organisations.removeUsersFromGroup(group, userIds!);
    const [row] = await this.organisations.withMembers([group]);
    return groupJson(row.group, row.members);
  }

  @Post('organisations/:id/groups/:groupId/users/:userId/make-admin')
  @HttpCode(200)
  @RequirePermission('organisation', 'MANAGE_USER_GROUPS', { param: 'id' })
  async makeGroupAdmin(
    @Permitted('organisation') org: Organisation,
    @Param('groupId') groupId: string,
    @Param('userId') userId: string,
  ) {
    await this.organisations.setGroupAdmin(await this.organisations.group(org.id, groupId), userId, true);
    return {};
  }

  @Post('organisations/:id/groups/:groupId/users/:userId/remove-admin')
  @HttpCode(200)
  @RequirePermission('organisation', 'MANAGE_USER_GROUPS', { param: 'id' })
  async removeGroupAdmin(
    @Permitted('organisation') org: Organisation,
    @Param('groupId') groupId: string,
    @Param('userId') userId: string,
  ) {
    await this.organisations.setGroupAdmin(await this.organisations.group(org.id, groupId), userId, false);
    return {};
  }

  /** MANAGE_USER_GROUPS (or org ADMIN), or an admin of this very group. */
  private async groupForManagement(principal: Principal, org: Organisation, groupId: string) {
    const group = await this.organisations.group(org.id, groupId);
    const grant = await this.permissions.organisationGrant(principal, org.id);
    const allowed = !!grant && (grant.admin || grant.permissions.has('MANAGE_USER_GROUPS'));
    if (!allowed && !(await this.organisations.isGroupAdmin(group, principal))) throw forbidden();
    return group;
  }

  // ---- master API keys

  @Get('organisations/:id/master-api-keys')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @RefuseMasterApiKeys()
  async masterKeys(@Permitted('organisation') org: Organisation, @Req() request: FastifyRequest) {
    return paginateArray(
      request,
      (await this.organisations.masterKeys(org.id)).map((k) => masterApiKeyJson(k)),
    );
  }

  @Post('organisations/:id/master-api-keys')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @RefuseMasterApiKeys()
  async createMasterKey(@Permitted('organisation') org: Organisation, @Body() body: unknown) {
    const { key, plaintext } = await this.organisations.createMasterKey(org.id, body);
    return masterApiKeyJson(key, plaintext);
  }

  @Get('organisations/:id/master-api-keys/:prefix')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @RefuseMasterApiKeys()
  async masterKey(@Permitted('organisation') org: Organisation, @Param('prefix') prefix: string) {
    return masterApiKeyJson(await this.organisations.masterKey(org.id, prefix));
  }

  @Put('organisations/:id/master-api-keys/:prefix')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @RefuseMasterApiKeys()
  async replaceMasterKey(
    @Permitted('organisation') org: Organisation,
    @Param('prefix') prefix: string,
    @Body() body: unknown,
  ) {
    const key = await this.organisations.masterKey(org.id, prefix);
    return masterApiKeyJson(await this.organisations.updateMasterKey(key, body, false));
  }

  @Patch('organisations/:id/master-api-keys/:prefix')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @RefuseMasterApiKeys()
  async patchMasterKey(
    @Permitted('organisation') org: Organisation,
    @Param('prefix') prefix: string,
    @Body() body: unknown,
  ) {
    const key = await this.organisations.masterKey(org.id, prefix);
    return masterApiKeyJson(await this.organisations.updateMasterKey(key, body, true));
  }

  @Delete('organisations/:id/master-api-keys/:prefix')
  @HttpCode(204)
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @RefuseMasterApiKeys()
  async revokeMasterKey(@Permitted('organisation') org: Organisation, @Param('prefix') prefix: string) {
    await this.organisations.revokeMasterKey(await this.organisations.masterKey(org.id, prefix));
  }
}
