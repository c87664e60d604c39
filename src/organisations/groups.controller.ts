import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Req,
  UseInterceptors,
} from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { Principal } from '../auth/principal';
import { paginateArray } from '../common/pagination';
import {
  CurrentPrincipal,
  CurrentUser,
  Permitted,
  RequirePermission,
} from '../permissions/permissions.decorators';
import { PermissionsService } from '../permissions/permissions.service';
import { User } from '../users/user.entity';
import { readGroup, readGroupUserIds } from './group.input';
import { GroupsService } from './groups.service';
import { OrgErrorsInterceptor, pathId } from './organisation-errors';
import { Organisation, UserGroup } from './organisation.entity';
import { groupJson } from './organisation.serializers';

/** docs/contracts/admin-api.md §3: user groups of an organisation and their members. */
@Controller('api/v1/organisations/:id/groups')
@UseInterceptors(OrgErrorsInterceptor)
export class GroupsController {
  constructor(
    private readonly groups: GroupsService,
    private readonly permissions: PermissionsService,
  ) {}

  private async json(group: UserGroup) {
    const [row] = await this.groups.withMembers([group]);
    return groupJson(row.group, row.members);
  }

  @Get()
  @RequirePermission('organisation', 'MEMBER', { param: 'id' })
  async list(@Permitted('organisation') org: Organisation, @Req() request: FastifyRequest) {
    const rows = await this.groups.list(org.id);
    return paginateArray(
      request,
      rows.map((r) => groupJson(r.group, r.members)),
    );
  }

  @Get('my-groups')
  @RequirePermission('organisation', 'MEMBER', { param: 'id' })
  async myGroups(
    @CurrentUser() user: User,
    @Permitted('organisation') org: Organisation,
    @Req() request: FastifyRequest,
  ) {
    const rows = await this.groups.list(org.id, user.id);
    return paginateArray(
      request,
      rows.map((r) => ({ id: r.group.id, name: r.group.name })),
    );
  }

  @Get('summaries')
  @RequirePermission('organisation', 'MEMBER', { param: 'id' })
  async summaries(@Permitted('organisation') org: Organisation) {
    return (await this.groups.list(org.id)).map((r) => ({ id: r.group.id, name: r.group.name }));
  }

  @Post()
  @RequirePermission('organisation', 'MANAGE_USER_GROUPS', { param: 'id' })
  async create(@Permitted('organisation') org: Organisation, @Body() body: unknown) {
    return this.json(await this.groups.save(org.id, null, readGroup(body, false)));
  }

  @Get(':groupId')
  @RequirePermission('organisation', 'MEMBER', { param: 'id' })
  async retrieve(@Permitted('organisation') org: Organisation, @Param('groupId') groupId: string) {
    return this.json(await this.groups.get(org.id, pathId(groupId)));
  }

  @Put(':groupId')
  @RequirePermission('organisation', 'MANAGE_USER_GROUPS', { param: 'id' })
  async replace(
    @Permitted('organisation') org: Organisation,
    @Param('groupId') groupId: string,
    @Body() body: unknown,
  ) {
    const existing = await this.groups.get(org.id, pathId(groupId));
    return this.json(await this.groups.save(org.id, existing, readGroup(body, false)));
  }

  @Patch(':groupId')
  @RequirePermission('organisation', 'MANAGE_USER_GROUPS', { param: 'id' })
  async patch(
    @Permitted('organisation') org: Organisation,
    @Param('groupId') groupId: string,
    @Body() body: unknown,
  ) {
    const existing = await this.groups.get(org.id, pathId(groupId));
    return this.json(await this.groups.save(org.id, existing, readGroup(body, true)));
  }

  @Delete(':groupId')
  @HttpCode(204)
  @RequirePermission('organisation', 'MANAGE_USER_GROUPS', { param: 'id' })
  async remove(@Permitted('organisation') org: Organisation, @Param('groupId') groupId: string) {
    await this.groups.delete(await this.groups.get(org.id, pathId(groupId)));
  }

  @Post(':groupId/add-users')
  @HttpCode(200)
  @RequirePermission('organisation', 'MEMBER', { param: 'id' })
  async addUsers(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') org: Organisation,
    @Param('groupId') groupId: string,
    @Body() body: unknown,
  ) {
    const group = await this.groupForManagement(principal, org, groupId);
    await this.groups.addUsers(group, readGroupUserIds(body));
    return this.json(group);
  }

  @Post(':groupId/remove-users')
  @HttpCode(200)
  @RequirePermission('organisation', 'MEMBER', { param: 'id' })
  async removeUsers(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') org: Organisation,
    @Param('groupId') groupId: string,
    @Body() body: unknown,
  ) {
    const group = await this.groupForManagement(principal, org, groupId);
    await this.groups.removeUsers(group, readGroupUserIds(body));
    return this.json(group);
  }

  @Post(':groupId/users/:userId/make-admin')
  @HttpCode(200)
  @RequirePermission('organisation', 'MANAGE_USER_GROUPS', { param: 'id' })
  async makeAdmin(
    @Permitted('organisation') org: Organisation,
    @Param('groupId') groupId: string,
    @Param('userId') userId: string,
  ) {
    await this.groups.setAdmin(await this.groups.get(org.id, pathId(groupId)), pathId(userId), true);
    return {};
  }

  @Post(':groupId/users/:userId/remove-admin')
  @HttpCode(200)
  @RequirePermission('organisation', 'MANAGE_USER_GROUPS', { param: 'id' })
  async removeAdmin(
    @Permitted('organisation') org: Organisation,
    @Param('groupId') groupId: string,
    @Param('userId') userId: string,
  ) {
    await this.groups.setAdmin(await this.groups.get(org.id, pathId(groupId)), pathId(userId), false);
    return {};
  }

  /** The group, if the caller may add or remove its users (GroupsService.assertMayManage). */
  private async groupForManagement(principal: Principal, org: Organisation, groupId: string) {
    const group = await this.groups.get(org.id, pathId(groupId));
    const grant = await this.permissions.organisationGrant(principal, org.id);
    const mayManageGroups = !!grant && (grant.admin || grant.permissions.has('MANAGE_USER_GROUPS'));
    await this.groups.assertMayManage(group, principal, mayManageGroups);
    return group;
  }
}
