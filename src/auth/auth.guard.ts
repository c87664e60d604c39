import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config';
import { RequestThrottleService } from '../throttling/request-throttle.service';
import { AuthService } from './auth.service';
import { AuthedRequest, Principal } from './principal';

const THROTTLED = Symbol('flagport.throttled');

/**
 * Resolves `Authorization: Token …` / `Api-Key …` into `request.principal`; 401 without valid credentials.
 * Then counts the request against USER_THROTTLE_RATE (per user) or MASTER_API_KEY_THROTTLE_RATE (per key),
 * as DRF checks throttles after authentication; 429 with Retry-After beyond it.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly throttles: RequestThrottleService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthedRequest & { [THROTTLED]?: true }>();
    if (!request.principal) request.principal = await this.auth.authenticate(request.headers.authorization);
    if (!request[THROTTLED]) {
      request[THROTTLED] = true;
      await this.throttle(request.principal);
    }
    return true;
  }

  private throttle(principal: Principal): Promise<void> {
    if (principal.kind === 'user')
      return this.throttles.check('user', String(principal.user.id), this.config.USER_THROTTLE_RATE);
    return this.throttles.check(
      'master_api_key',
      String(principal.key.id),
      this.config.MASTER_API_KEY_THROTTLE_RATE,
    );
  }
}
