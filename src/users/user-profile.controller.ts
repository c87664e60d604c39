import { Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { PermissionDenied } from '../common/domain-errors';
import { DetailJson, Responds, ValidBody } from '../http/schema';
import { Authenticated, CurrentUser } from '../permissions/permissions.decorators';
import { User } from './user.entity';
import {
  PatchOnboarding,
  type PatchOnboardingInput,
  SetEmail,
  type SetEmailInput,
} from './user-profile.schemas';
import { UserProfileService } from './user-profile.service';

/** Flagsmith's user routes besides /auth/users/me/: djoser's retrieve and set_email, the onboarding action. */
@Controller('api/v1/auth/users')
export class UserProfileController {
  constructor(private readonly profile: UserProfileService) {}

  @Post('set_email')
  @Authenticated()
  @Responds(204, null, 'The email is changed')
  async setEmail(@CurrentUser() user: User, @ValidBody(SetEmail) body: SetEmailInput): Promise<void> {
    await this.profile.setEmail(user, body);
  }

  @Patch('me/onboarding')
  @Authenticated()
  @Responds(204, null, 'The answers sent are stored (each key replaces the stored one)')
  async patchOnboarding(
    @CurrentUser() user: User,
    @ValidBody(PatchOnboarding) body: PatchOnboardingInput,
  ): Promise<void> {
    await this.profile.patchOnboarding(user, body);
  }

  /**
   * djoser's retrieve under Flagsmith's PERMISSIONS.user (CurrentUser: only the `me` action passes): every caller
   * is refused, whoever the id names (one's own included), so no account's existence shows.
   */
  @Get(':id')
  @Authenticated()
  @Responds(403, DetailJson, 'Always: users are only read through /auth/users/me/')
  retrieve(@Param('id') _id: string): never {
    throw new PermissionDenied();
  }
}
