import { applyDecorators, Controller, Delete, Get, Patch, Post, Put, Req } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal';
import { paginateArray } from '../common/pagination';
import { DetailJson, IdParam, PageQuery, Responds, S, ValidBody, ValidQuery } from '../http/schema';
import {
  CurrentPrincipal,
  CurrentUser,
  Permitted,
  RequirePermission,
} from '../permissions/permissions.decorators';
import { PermissionsService } from '../permissions/permissions.service';
import type { User } from '../users/user.entity';
import {
  GroupBody,
  type GroupBodyInput,
  GroupJson,
  GroupSummaryJson,
  GroupUserIds,
  type GroupUserIdsInput,
} from './group.schemas';
import { GroupsService } from './groups.service';
import { Organisation, UserGroup } from './organisation.entity';
import { groupJson } from './organisation.serializers';

const Empty = S.response({});

// add-users and remove-users: one guard and answer (who may change the members: changeMembers).
const ChangesMembers = () =>
  applyDecorators(
    RequirePermission('organisation', 'MEMBER', { param: 'id' }),
    Responds(200, GroupJson, 'The group'),
    Responds(403, DetailJson, 'Neither MANAGE_USER_GROUPS nor an admin of this group'),
  );

/** docs/contracts/admin-api.md §3: user groups of an organisation and their members. */
@Controller('api/v1/organisations/:id/groups')
export class GroupsController {
  constructor(
    private readonly groups: GroupsService,
    private readonly permissions: PermissionsService,
  ) {}

  private async json(group: UserGroup): Promise<GroupJson> {
    const [row] = await this.groups.withMembers([group]);
    return groupJson(row.group, row.members);
  }

  @Get()
  @RequirePermission('organisation', 'MEMBER', { param: 'id' })
  @Responds(200, S.page(GroupJson), 'A page of the groups')
  async list(
    @Permitted('organisation') org: Organisation,
    @Req() request: FastifyRequest,
    @ValidQuery(PageQuery) _page: unknown,
  ) {
    const rows = await this.groups.list(org.id);
    return paginateArray(
      request,
      rows.map((r) => groupJson(r.group, r.members)),
    );
  }

  @Get('my-groups')
  @RequirePermission('organisation', 'MEMBER', { param: 'id' })
  @Responds(200, S.page(GroupSummaryJson), 'A page of the groups the caller is in')
  async myGroups(
    @CurrentUser() user: User,
    @Permitted('organisation') org: Organisation,
    @Req() request: FastifyRequest,
    @ValidQuery(PageQuery) _page: unknown,
  ) {
    const rows = await this.groups.list(org.id, user.id);
    return paginateArray(
      request,
      rows.map((r): GroupSummaryJson => ({ id: r.group.id, name: r.group.name })),
    );
  }

  @Get('summaries')
  @RequirePermission('organisation', 'MEMBER', { param: 'id' })
  @Responds(200, S.list(GroupSummaryJson), 'Every group, id and name')
  async summaries(@Permitted('organisation') org: Organisation): Promise<GroupSummaryJson[]> {
    return (await this.groups.list(org.id)).map((r) => ({ id: r.group.id, name: r.group.name }));
  }

  @Post()
  @RequirePermission('organisation', 'MANAGE_USER_GROUPS', { param: 'id' })
  @Responds(201, GroupJson, 'The group')
  async create(
    @Permitted('organisation') org: Organisation,
    @ValidBody(GroupBody) body: GroupBodyInput,
  ): Promise<GroupJson> {
    return this.json(await this.groups.save(org.id, null, body));
  }

  @Get(':groupId')
  @RequirePermission('organisation', 'MEMBER', { param: 'id' })
  @Responds(200, GroupJson, 'The group')
  async retrieve(
    @Permitted('organisation') org: Organisation,
    @IdParam('groupId') groupId: number,
  ): Promise<GroupJson> {
    return this.json(await this.groups.get(org.id, groupId));
  }

  @Put(':groupId')
  @RequirePermission('organisation', 'MANAGE_USER_GROUPS', { param: 'id' })
  @Responds(200, GroupJson, 'The group')
  async replace(
    @Permitted('organisation') org: Organisation,
    @IdParam('groupId') groupId: number,
    @ValidBody(GroupBody) body: GroupBodyInput,
  ): Promise<GroupJson> {
    const existing = await this.groups.get(org.id, groupId);
    return this.json(await this.groups.save(org.id, existing, body));
  }

  @Patch(':groupId')
  @RequirePermission('organisation', 'MANAGE_USER_GROUPS', { param: 'id' })
  @Responds(200, GroupJson, 'The group')
  async patch(
    @Permitted('organisation') org: Organisation,
    @IdParam('groupId') groupId: number,
    @ValidBody(GroupBody, { partial: true }) body: Partial<GroupBodyInput>,
  ): Promise<GroupJson> {
    const existing = await this.groups.get(org.id, groupId);
    return this.json(await this.groups.save(org.id, existing, body));
  }

  @Delete(':groupId')
  @RequirePermission('organisation', 'MANAGE_USER_GROUPS', { param: 'id' })
  @Responds(204, null, 'Deleted')
  async remove(@Permitted('organisation') org: Organisation, @IdParam('groupId') groupId: number) {
    await this.groups.delete(await this.groups.get(org.id, groupId));
  }

  @Post(':groupId/add-users')
  @ChangesMembers()
  addUsers(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') org: Organisation,
    @IdParam('groupId') groupId: number,
    @ValidBody(GroupUserIds) body: GroupUserIdsInput,
  ): Promise<GroupJson> {
    return this.changeMembers(principal, org, groupId, body.user_ids, 'add');
  }

  @Post(':groupId/remove-users')
  @ChangesMembers()
  removeUsers(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') org: Organisation,
    @IdParam('groupId') groupId: number,
    @ValidBody(GroupUserIds) body: GroupUserIdsInput,
  ): Promise<GroupJson> {
    return this.changeMembers(principal, org, groupId, body.user_ids, 'remove');
  }

  @Post(':groupId/users/:userId/make-admin')
  @RequirePermission('organisation', 'MANAGE_USER_GROUPS', { param: 'id' })
  @Responds(200, Empty, 'Done')
  async makeAdmin(
    @Permitted('organisation') org: Organisation,
    @IdParam('groupId') groupId: number,
    @IdParam('userId') userId: number,
  ): Promise<Record<string, never>> {
    await this.groups.setAdmin(await this.groups.get(org.id, groupId), userId, true);
    return {};
  }

  @Post(':groupId/users/:userId/remove-admin')
  @RequirePermission('organisation', 'MANAGE_USER_GROUPS', { param: 'id' })
  @Responds(200, Empty, 'Done')
  async removeAdmin(
    @Permitted('organisation') org: Organisation,
    @IdParam('groupId') groupId: number,
    @IdParam('userId') userId: number,
  ): Promise<Record<string, never>> {
    await this.groups.setAdmin(await this.groups.get(org.id, groupId), userId, false);
    return {};
  }

  /**
   * add-users / remove-users: by a member with MANAGE_USER_GROUPS or an admin of the group
   * (GroupsService.assertMayManage); answers the group with its members.
   */
  private async changeMembers(
    principal: Principal,
    org: Organisation,
    groupId: number,
    userIds: number[],
    change: 'add' | 'remove',
  ): Promise<GroupJson> {
    const group = await this.groups.get(org.id, groupId);
    const grant = await this.permissions.organisationGrant(principal, org.id);
    const mayManageGroups = !!grant && (grant.admin || grant.permissions.has('MANAGE_USER_GROUPS'));
    await this.groups.assertMayManage(group, principal, mayManageGroups);
    await (change === 'add' ? this.groups.addUsers(group, userIds) : this.groups.removeUsers(group, userIds));
    return this.json(group);
  }
}
