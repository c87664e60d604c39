import { Controller, Get, Param, Post, Req, UseGuards } from '@nestjs/common';
import { AuthedRequest, Principal } from '../../auth/principal';
import { DetailJson, Responds, ValidBody } from '../../http/schema';
import { Authenticated, CurrentPrincipal, CurrentUser } from '../../permissions/permissions.decorators';
import { MfaCodeThrottle } from '../accounts.guards';
import { AccountsService } from '../accounts.service';
import { TokenJson } from '../user.schemas';
import { User } from '../user.entity';
import {
  ActivationJson,
  ActiveMethodsJson,
  BackupCodesJson,
  CodeLogin,
  type CodeLoginInput,
  ConfirmActivation,
  type ConfirmActivationInput,
  Deactivate,
  type DeactivateInput,
  MfaErrorJson,
  type ActiveMethodJson,
} from './mfa.schemas';
import { Activation, MfaService } from './mfa.service';

/** Two-factor authentication with an authenticator app (Flagsmith's custom_auth/mfa routes and bodies). */
@Controller('api/v1/auth')
export class MfaController {
  constructor(
    private readonly mfa: MfaService,
    private readonly accounts: AccountsService,
  ) {}

  @Get('mfa/user-active-methods')
  @Authenticated()
  @Responds(200, ActiveMethodsJson, "The caller's active methods")
  async activeMethods(@CurrentUser() user: User): Promise<ActiveMethodJson[]> {
    const methods = await this.mfa.activeMethods(user);
    return methods.map((m) => ({ name: m.name, is_primary: m.isPrimary }));
  }

  @Post(':method/activate')
  @Authenticated()
  @Responds(200, ActivationJson, 'The pending method: its secret and otpauth:// link')
  @Responds(400, MfaErrorJson, 'The method is already active')
  @Responds(404, DetailJson, 'No such method (only "app" exists)')
  activate(@CurrentUser() user: User, @Param('method') method: string): Promise<Activation> {
    return this.mfa.activate(user, method);
  }

  @Post(':method/activate/confirm')
  @Authenticated()
  @Responds(200, BackupCodesJson, 'Active; the backup codes (shown only this once)')
  async confirm(
    @CurrentPrincipal() principal: Principal,
    @CurrentUser() user: User,
    @Param('method') method: string,
    @ValidBody(ConfirmActivation) body: ConfirmActivationInput,
  ): Promise<BackupCodesJson> {
    return { backup_codes: await this.mfa.confirm(principal, user, method, body.code) };
  }

  @Post(':method/deactivate')
  @Authenticated()
  @Responds(204, null, 'Deactivated (its backup codes are deleted)')
  @Responds(400, MfaErrorJson, 'No such method, not active, or a wrong code')
  async deactivate(
    @CurrentPrincipal() principal: Principal,
    @CurrentUser() user: User,
    @Param('method') method: string,
    @ValidBody(Deactivate) body: DeactivateInput,
  ): Promise<void> {
    await this.mfa.deactivate(principal, user, method, body.code);
  }

  @Post('login/code')
  @UseGuards(MfaCodeThrottle)
  @Responds(200, TokenJson, 'The token, as a password login without two-factor answers')
  @Responds(401, MfaErrorJson, 'The ephemeral token or the code is invalid or expired')
  @Responds(403, DetailJson, 'Locked out after too many failed logins')
  async loginWithCode(@ValidBody(CodeLogin) body: CodeLoginInput, @Req() request: AuthedRequest) {
    return { key: await this.accounts.loginWithCode(body, request.ip) };
  }
}
