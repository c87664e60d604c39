import { Controller, Delete, Get, Patch, Post, Put, Req, UseGuards } from '@nestjs/common';
import { AuthService } from '../auth/auth.service';
import type { AuthedRequest, Principal } from '../auth/principal';
import { DetailJson, Responds, ValidBody } from '../http/schema';
import { Authenticated, CurrentPrincipal, CurrentUser } from '../permissions/permissions.decorators';
import { ActivationEnabled, LoginThrottle, SignUpGate } from './accounts.guards';
import { AccountsService } from './accounts.service';
import { User } from './user.entity';
import {
  Activation,
  type ActivationInput,
  CurrentUserJson,
  DeleteMe,
  type DeleteMeInput,
  EmailOnly,
  type EmailOnlyInput,
  Login,
  type LoginInput,
  RegisteredUserJson,
  Register,
  type RegisterInput,
  ResetConfirm,
  type ResetConfirmInput,
  SetPassword,
  type SetPasswordInput,
  UpdateMe,
  type UpdateMeInput,
} from './user.schemas';
import { currentUserJson, registeredUserJson } from './user.serializers';
import { LoginAnswerJson } from './mfa/mfa.schemas';

/** docs/contracts/admin-api.md §1: register, login/logout, the current user, passwords. */
@Controller('api/v1/auth')
export class AccountsController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly auth: AuthService,
  ) {}

  @Post('users')
  @UseGuards(SignUpGate)
  @Responds(201, RegisteredUserJson, 'The user with a token')
  @Responds(401, DetailJson, 'Registration needs credentials (USER_CREATE_PERMISSIONS), or they are invalid')
  @Responds(403, DetailJson, 'Not allowed to register users, or sign-up needs an invite')
  @Responds(404, DetailJson, 'The invite hash is unknown')
  async register(@ValidBody(Register) body: RegisterInput): Promise<RegisteredUserJson> {
    const { user, key } = await this.accounts.register(body);
    return registeredUserJson(user, key);
  }

  @Post('login')
  @UseGuards(LoginThrottle)
  @Responds(200, LoginAnswerJson, 'The token, or {ephemeral_token, method} when a second factor is needed')
  @Responds(403, DetailJson, 'Locked out after too many failed logins')
  login(@ValidBody(Login) body: LoginInput, @Req() request: AuthedRequest): Promise<LoginAnswerJson> {
    return this.accounts.login(body, request.ip);
  }

  @Post('logout')
  @Authenticated()
  @Responds(204, null, 'Logged out (the token is deleted)')
  async logout(@CurrentPrincipal() principal: Principal): Promise<void> {
    if (principal.kind === 'user') await this.auth.deleteToken(principal.tokenKey);
  }

  @Delete('token')
  @Authenticated()
  @Responds(204, null, 'The token is deleted')
  async deleteToken(@CurrentPrincipal() principal: Principal): Promise<void> {
    if (principal.kind === 'user') await this.auth.deleteToken(principal.tokenKey);
  }

  @Get('users/me')
  @Authenticated()
  @Responds(200, CurrentUserJson, 'The user')
  me(@CurrentUser() user: User): CurrentUserJson {
    return currentUserJson(user);
  }

  @Put('users/me')
  @Authenticated()
  @Responds(200, CurrentUserJson, 'The user')
  async replaceMe(
    @CurrentUser() user: User,
    @ValidBody(UpdateMe) body: UpdateMeInput,
  ): Promise<CurrentUserJson> {
    return currentUserJson(await this.accounts.updateMe(user, body));
  }

  @Patch('users/me')
  @Authenticated()
  @Responds(200, CurrentUserJson, 'The user')
  async patchMe(
    @CurrentUser() user: User,
    @ValidBody(UpdateMe, { partial: true }) body: UpdateMeInput,
  ): Promise<CurrentUserJson> {
    return currentUserJson(await this.accounts.updateMe(user, body));
  }

  @Delete('users/me')
  @Authenticated()
  @Responds(204, null, 'Deleted (with the organisations left without members, unless told not to)')
  async deleteMe(@CurrentUser() user: User, @ValidBody(DeleteMe) body: DeleteMeInput): Promise<void> {
    await this.accounts.deleteMe(user, body);
  }

  @Post('users/set_password')
  @Authenticated()
  @Responds(204, null, 'Changed')
  async setPassword(
    @CurrentUser() user: User,
    @ValidBody(SetPassword) body: SetPasswordInput,
  ): Promise<void> {
    await this.accounts.setPassword(user, body);
  }

  @Post('users/reset_password')
  @Responds(204, null, 'Sent when the email is of an active account (answered the same either way)')
  async resetPassword(@ValidBody(EmailOnly) body: EmailOnlyInput): Promise<void> {
    await this.accounts.requestReset(body.email);
  }

  @Post('users/reset_password_confirm')
  @Responds(204, null, 'Changed')
  async confirmReset(@ValidBody(ResetConfirm) body: ResetConfirmInput): Promise<void> {
    await this.accounts.confirmReset(body);
  }

  @Post('users/activation')
  @Responds(204, null, 'Activated')
  @Responds(403, DetailJson, 'The account is already active (stale token)')
  async activate(@ValidBody(Activation) body: ActivationInput): Promise<void> {
    await this.accounts.activate(body);
  }

  @Post('users/resend_activation')
  @UseGuards(ActivationEnabled)
  @Responds(204, null, 'Sent when the email is of an inactive account (answered the same either way)')
  async resendActivation(@ValidBody(EmailOnly) body: EmailOnlyInput): Promise<void> {
    await this.accounts.resendActivation(body.email);
  }
}
