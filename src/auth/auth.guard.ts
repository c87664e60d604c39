import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { unauthorized } from '../common/errors';
import { AuthService } from './auth.service';
import { AuthedRequest } from './principal';

const REFUSE_MASTER_API_KEYS = 'flagport:refuse-master-api-keys';

/**
 * Machine credentials must not manage machine credentials (a leaked key could mint its own replacement): on these
 * handlers `Api-Key …` is not an authentication scheme at all, so it answers 401 as Flagsmith's
 * ExcludeMasterAPIKeyAuthenticationMixin does, whether or not the key is valid.
 */
export const RefuseMasterApiKeys = () => SetMetadata(REFUSE_MASTER_API_KEYS, true);

/** Resolves `Authorization: Token …` / `Api-Key …` into `request.principal`; 401 without valid credentials. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const refuseKeys = this.reflector.getAllAndOverride<boolean | undefined>(REFUSE_MASTER_API_KEYS, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (
      refuseKeys &&
      (request.principal?.kind === 'master_key' || isApiKeyHeader(request.headers.authorization))
    )
      throw unauthorized();
    if (!request.principal) request.principal = await this.auth.authenticate(request.headers.authorization);
    return true;
  }
}

const isApiKeyHeader = (header: string | undefined): boolean => /^\s*Api-Key(\s|$)/i.test(header ?? '');
