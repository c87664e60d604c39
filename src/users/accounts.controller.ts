import { Body, Controller, Delete, Get, HttpCode, Inject, Patch, Post, Put, Req } from '@nestjs/common';
import { AuthService } from '../auth/auth.service';
import { AuthedRequest } from '../auth/principal';
import { forbidden, ThrottledException, unauthorized } from '../common/errors';
import { APP_CONFIG, AppConfig } from '../config';
import { ThrottleRate } from '../config/setting-types';
import { RequestThrottleService } from '../throttling/request-throttle.service';
import { Authenticated, CurrentPrincipal, CurrentUser } from '../permissions/permissions.decorators';
import { AccountsService } from './accounts.service';
import { User } from './user.entity';
import { currentUserJson } from './user.serializers';
import type { Principal } from '../auth/principal';

/** docs/contracts/admin-api.md §1: register, login/logout, the current user, passwords. */
@Controller('api/v1/auth')
export class AccountsController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly auth: AuthService,
    private readonly throttles: RequestThrottleService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** 429 with Retry-After once `ident` has used up `rate` in `scope`. */
  private async throttle(scope: string, ident: string, rate: ThrottleRate | undefined): Promise<void> {
    const verdict = await this.throttles.hit(scope, ident, rate);
    if (!verdict.allowed) throw new ThrottledException(verdict.retryAfterSeconds);
  }

  @Post('users')
  async register(@Body() body: unknown, @Req() request: AuthedRequest) {
    let caller: Principal | undefined;
    if (request.headers.authorization) {
      const authentication = await this.auth.authenticate(request.headers.authorization);
      if (!authentication.ok) throw unauthorized(authentication.detail);
      caller = authentication.principal;
    }
    if (!this.accounts.mayRegister(caller)) throw caller ? forbidden() : unauthorized();
    // DRF ScopedRateThrottle "signup": per user when signed in, else per client IP.
    const ident = caller?.kind === 'user' ? `user:${caller.user.id}` : request.ip;
    await this.throttle('signup', ident, this.config.SIGNUP_THROTTLE_RATE);
    const { user, key } = await this.accounts.register(body);
    return {
      id: user.id,
      email: user.email,
      first_name: user.firstName,
      last_name: user.lastName,
      is_active: user.isActive,
      uuid: user.uuid,
      sign_up_type: user.signUpType,
      marketing_consent_given: user.marketingConsentGiven,
      key,
    };
  }

  @Post('login')
  @HttpCode(200)
  async login(@Body() body: unknown, @Req() request: AuthedRequest) {
    // Before the body is read, as DRF checks throttles before the view: per client IP.
    await this.throttle('login', request.ip, this.config.LOGIN_THROTTLE_RATE);
    return { key: await this.accounts.login(body, request.ip) };
  }

  @Post('logout')
  @HttpCode(204)
  @Authenticated()
  async logout(@CurrentPrincipal() principal: Principal): Promise<void> {
    if (principal.kind === 'user') await this.auth.deleteToken(principal.tokenKey);
  }

  @Delete('token')
  @HttpCode(204)
  @Authenticated()
  async deleteToken(@CurrentPrincipal() principal: Principal): Promise<void> {
    if (principal.kind === 'user') await this.auth.deleteToken(principal.tokenKey);
  }

  @Get('users/me')
  @Authenticated()
  me(@CurrentUser() user: User) {
    return currentUserJson(user);
  }

  @Put('users/me')
  @Authenticated()
  async replaceMe(@CurrentUser() user: User, @Body() body: unknown) {
    return currentUserJson(await this.accounts.updateMe(user, body, false));
  }

  @Patch('users/me')
  @Authenticated()
  async patchMe(@CurrentUser() user: User, @Body() body: unknown) {
    return currentUserJson(await this.accounts.updateMe(user, body, true));
  }

  @Delete('users/me')
  @HttpCode(204)
  @Authenticated()
  async deleteMe(@CurrentUser() user: User, @Body() body: unknown): Promise<void> {
    await this.accounts.deleteMe(user, body);
  }

  @Post('users/set_password')
  @HttpCode(204)
  @Authenticated()
  async setPassword(@CurrentUser() user: User, @Body() body: unknown): Promise<void> {
    await this.accounts.setPassword(user, body);
  }

  @Post('users/reset_password')
  @HttpCode(204)
  async resetPassword(@Body() body: unknown): Promise<void> {
    await this.accounts.requestReset(body);
  }

  @Post('users/reset_password_confirm')
  @HttpCode(204)
  async confirmReset(@Body() body: unknown): Promise<void> {
    await this.accounts.confirmReset(body);
  }

  @Post('users/activation')
  @HttpCode(204)
  async activate(@Body() body: unknown): Promise<void> {
    await this.accounts.activate(body);
  }

  @Post('users/resend_activation')
  @HttpCode(204)
  async resendActivation(@Body() body: unknown): Promise<void> {
    await this.accounts.resendActivation(body);
  }
}
