import { Body, Controller, Get, HttpCode, Param, Post, Query, UseInterceptors } from '@nestjs/common';
import { Principal } from '../auth/principal';
import { CurrentPrincipal, Permitted, RequirePermission } from '../permissions/permissions.decorators';
import { readRole, readUserIds } from './member.input';
import { MembersService } from './members.service';
import { OrgErrorsInterceptor, pathId } from './organisation-errors';
import { Organisation } from './organisation.entity';
import { organisationUserJson } from './organisation.serializers';

/** docs/contracts/admin-api.md §3: the users of an organisation and their roles. */
@Controller('api/v1/organisations/:id')
@UseInterceptors(OrgErrorsInterceptor)
export class MembersController {
  constructor(private readonly members: MembersService) {}

  @Get('users')
  @RequirePermission('organisation', 'MEMBER', { param: 'id' })
  async users(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') org: Organisation,
    @Query('exclude_current') excludeCurrent?: string,
  ) {
    const members = await this.members.list(org.id);
    const exclude = excludeCurrent === 'true' || excludeCurrent === '1' || excludeCurrent === 'True';
    return members
      .filter((m) => !(exclude && principal.kind === 'user' && m.userId === principal.user.id))
      .map((m) => organisationUserJson(m.user, m.role));
  }

  @Post('users/:userId/update-role')
  @HttpCode(200)
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async updateRole(
    @Permitted('organisation') org: Organisation,
    @Param('userId') userId: string,
    @Body() body: unknown,
  ) {
    const role = readRole(body);
    const membership = await this.members.updateRole(org.id, pathId(userId), role);
    return organisationUserJson(membership.user, membership.role);
  }

  @Post('remove-users')
  @HttpCode(200)
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async removeUsers(@Permitted('organisation') org: Organisation, @Body() body: unknown) {
    await this.members.removeUsers(org.id, readUserIds(body));
    return {};
  }
}
