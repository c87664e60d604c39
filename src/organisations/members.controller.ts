import { Controller, Get, Post } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { IdParam, Responds, S, ValidBody, ValidQuery } from '../http/schema';
import { CurrentPrincipal, Permitted, RequirePermission } from '../permissions/permissions.decorators';
import { MembersService } from './members.service';
import { Organisation } from './organisation.entity';
import {
  MembersQuery,
  type MembersQueryInput,
  OrganisationUserJson,
  RemovedUsers,
  UpdateRole,
  type UpdateRoleInput,
} from './organisation.schemas';
import { organisationUserJson } from './organisation.serializers';

/** docs/contracts/admin-api.md §3: the users of an organisation and their roles. */
@Controller('api/v1/organisations/:id')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  @Get('users')
  @RequirePermission('organisation', 'MEMBER', { param: 'id' })
  @Responds(200, S.list(OrganisationUserJson), 'Members of the organisation')
  async users(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') org: Organisation,
    @ValidQuery(MembersQuery) query: MembersQueryInput,
  ): Promise<OrganisationUserJson[]> {
    const members = await this.members.list(org.id);
    const flag = query.exclude_current;
    const exclude = flag === 'true' || flag === '1' || flag === 'True';
    return members
      .filter((m) => !(exclude && principal.kind === 'user' && m.userId === principal.user.id))
      .map((m) => organisationUserJson(m.user, m.role));
  }

  @Post('users/:userId/update-role')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(200, OrganisationUserJson, 'The member with the new role')
  async updateRole(
    @Permitted('organisation') org: Organisation,
    @IdParam('userId') userId: number,
    @ValidBody(UpdateRole) body: UpdateRoleInput,
  ): Promise<OrganisationUserJson> {
    const membership = await this.members.updateRole(org.id, userId, body.role);
    return organisationUserJson(membership.user, membership.role);
  }

  @Post('remove-users')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(200, S.response({}), 'Removed')
  async removeUsers(
    @Permitted('organisation') org: Organisation,
    @ValidBody(RemovedUsers) userIds: number[],
  ): Promise<Record<string, never>> {
    await this.members.removeUsers(org.id, userIds);
    return {};
  }
}
