import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { AuthService } from './auth.service';
import { AuthedRequest } from './principal';

/** Resolves `Authorization: Token …` / `Api-Key …` into `request.principal`; 401 without valid credentials. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly auth: AuthService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    if (!request.principal) request.principal = await this.auth.authenticate(request.headers.authorization);
    return true;
  }
}
