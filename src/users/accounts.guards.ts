import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { AuthService } from '../auth/auth.service';
import type { AuthedRequest } from '../auth/principal';
import { ThrottledException } from '../common/errors';
import { NotAuthenticated, PermissionDenied } from '../common/domain-errors';
import { APP_CONFIG, AppConfig } from '../config';
import { ThrottleRate } from '../config/setting-types';
import { RequestThrottleService } from '../throttling/request-throttle.service';
import { AccountsService } from './accounts.service';

/**
 * DRF checks permissions and throttles in `initial()`, before the serializer reads the body: these guards do the
 * same for the public account routes, so a refused or throttled request answers 401/403/429 whatever its body.
 */
async function throttle(
  throttles: RequestThrottleService,
  scope: string,
  ident: string,
  rate: ThrottleRate | undefined,
): Promise<void> {
  const verdict = await throttles.hit(scope, ident, rate);
  if (!verdict.allowed) throw new ThrottledException(verdict.retryAfterSeconds);
}

/** POST /auth/users/: optional credentials, USER_CREATE_PERMISSIONS, then the "signup" throttle. */
@Injectable()
export class SignUpGate implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly accounts: AccountsService,
    private readonly throttles: RequestThrottleService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    if (request.headers.authorization) {
      const authentication = await this.auth.authenticate(request.headers.authorization);
      if (!authentication.ok) throw new NotAuthenticated(authentication.detail);
      request.principal = authentication.principal;
    }
    const caller = request.principal;
    if (!this.accounts.mayRegister(caller)) throw caller ? new PermissionDenied() : new NotAuthenticated();
    // DRF ScopedRateThrottle "signup": per user when signed in, else per client IP.
    const ident = caller?.kind === 'user' ? `user:${caller.user.id}` : request.ip;
    await throttle(this.throttles, 'signup', ident, this.config.SIGNUP_THROTTLE_RATE);
    return true;
  }
}

/** POST /auth/login/: the "login" throttle per client IP. */
@Injectable()
export class LoginThrottle implements CanActivate {
  constructor(
    private readonly throttles: RequestThrottleService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    await throttle(this.throttles, 'login', request.ip, this.config.LOGIN_THROTTLE_RATE);
    return true;
  }
}

/** POST /auth/login/code/: the "mfa_code" throttle per client IP (MFA_CODE_THROTTLE_RATE). */
@Injectable()
export class MfaCodeThrottle implements CanActivate {
  constructor(
    private readonly throttles: RequestThrottleService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    await throttle(this.throttles, 'mfa_code', request.ip, this.config.MFA_CODE_THROTTLE_RATE);
    return true;
  }
}

/** POST /auth/users/resend_activation/: refused outright when email activation is off. */
@Injectable()
export class ActivationEnabled implements CanActivate {
  constructor(private readonly accounts: AccountsService) {}

  canActivate(): boolean {
    this.accounts.assertActivationEnabled();
    return true;
  }
}
