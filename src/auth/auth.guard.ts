import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottledException, unauthorized } from '../common/errors';
import { APP_CONFIG, AppConfig } from '../config';
import { RequestThrottleService } from '../throttling/request-throttle.service';
import { AuthService } from './auth.service';
import { AuthedRequest, Principal } from './principal';

const REFUSE_MASTER_API_KEYS = 'flagport:refuse-master-api-keys';
const THROTTLED = Symbol('flagport.throttled');

/**
 * Machine credentials must not manage machine credentials (a leaked key could mint its own replacement): on these
 * handlers `Api-Key …` is not an authentication scheme at all, so it answers 401 as Flagsmith's
 * ExcludeMasterAPIKeyAuthenticationMixin does, whether or not the key is valid.
 */
export const RefuseMasterApiKeys = () => SetMetadata(REFUSE_MASTER_API_KEYS, true);

/**
 * Resolves `Authorization: Token …` / `Api-Key …` into `request.principal`; 401 without valid credentials.
 * Then counts the request against USER_THROTTLE_RATE (per user) or MASTER_API_KEY_THROTTLE_RATE (per key),
 * as DRF checks throttles after authentication; 429 with Retry-After beyond it.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly reflector: Reflector,
    private readonly throttles: RequestThrottleService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthedRequest & { [THROTTLED]?: true }>();
    const refuseKeys = this.reflector.getAllAndOverride<boolean | undefined>(REFUSE_MASTER_API_KEYS, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (
      refuseKeys &&
      (request.principal?.kind === 'master_key' || isApiKeyHeader(request.headers.authorization))
    )
      throw unauthorized();
    if (!request.principal) {
      const authentication = await this.auth.authenticate(request.headers.authorization);
      if (!authentication.ok) throw unauthorized(authentication.detail);
      request.principal = authentication.principal;
    }
    if (!request[THROTTLED]) {
      request[THROTTLED] = true;
      await this.throttle(request.principal);
    }
    return true;
  }

  private async throttle(principal: Principal): Promise<void> {
    const verdict =
      principal.kind === 'user'
        ? await this.throttles.hit('user', String(principal.user.id), this.config.USER_THROTTLE_RATE)
        : await this.throttles.hit(
            'master_api_key',
            String(principal.key.id),
            this.config.MASTER_API_KEY_THROTTLE_RATE,
          );
    if (!verdict.allowed) throw new ThrottledException(verdict.retryAfterSeconds);
  }
}

const isApiKeyHeader = (header: string | undefined): boolean => /^\s*Api-Key(\s|$)/i.test(header ?? '');
