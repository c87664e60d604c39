import {
  CanActivate,
  Controller,
  ExecutionContext,
  Get,
  Inject,
  Injectable,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { AuthGuard, PassportStrategy } from '@nestjs/passport';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createRequire } from 'node:module';
import { APP_CONFIG, AppConfig } from '../config';
import {
  ADMIN_LOGIN_PATH,
  AdminAuthService,
  GOOGLE_CALLBACK_PATH,
  GOOGLE_COMPLETE_PATH,
  GOOGLE_START_PATH,
  OAUTH_STATE_COOKIE,
  readCookie,
  sameSecret,
} from './admin-auth.service';

const STRATEGY = 'flagport-admin-google';

/** The parts of passport-google-oauth20 used here (the package ships no types). */
interface GoogleProfile {
  id: string;
  emails?: { value: string; verified?: boolean | string }[];
}
interface GoogleStrategyOptions {
  clientID: string;
  clientSecret: string;
  callbackURL: string;
  authorizationURL: string;
  tokenURL: string;
  userProfileURL: string;
  scope: string[];
}
type GoogleStrategyClass = new (
  options: GoogleStrategyOptions,
  verify: (accessToken: string, refreshToken: string, profile: GoogleProfile, done: () => void) => void,
) => { name: string; authenticate(...args: unknown[]): void };
const { Strategy } = createRequire(__filename)('passport-google-oauth20') as {
  Strategy: GoogleStrategyClass;
};

/** What the strategy hands to the controller. */
interface GoogleIdentity {
  readonly email?: string;
  readonly verified: boolean;
  readonly googleId: string;
}

/** passport-google-oauth20 with the provider URLs from the configuration (a fake provider in tests). */
@Injectable()
export class AdminGoogleStrategy extends PassportStrategy(Strategy, STRATEGY) {
  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    super({
      clientID: config.OAUTH_CLIENT_ID ?? '',
      clientSecret: config.OAUTH_CLIENT_SECRET ?? '',
      callbackURL: GOOGLE_CALLBACK_PATH,
      authorizationURL: config.GOOGLE_OAUTH_AUTHORIZATION_URL ?? '',
      tokenURL: config.GOOGLE_OAUTH_TOKEN_URL ?? '',
      userProfileURL: config.GOOGLE_USERINFO_URL ?? '',
      scope: ['openid', 'email', 'profile'],
    });
  }

  validate(_accessToken: string, _refreshToken: string, profile: GoogleProfile): GoogleIdentity {
    const email = profile.emails?.[0];
    const verified: unknown = email?.verified;
    return { email: email?.value, verified: verified === true || verified === 'true', googleId: profile.id };
  }
}

/** The absolute callback URL for this request's host and scheme (scheme/host from trusted proxies only). */
function callbackUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}${GOOGLE_CALLBACK_PATH}`;
}

/** Starts the round trip: a fresh `state`, remembered in an HttpOnly cookie scoped to the SSO paths. */
@Injectable()
export class GoogleStartGuard extends AuthGuard(STRATEGY) {
  constructor(private readonly auth: AdminAuthService) {
    super();
  }

  override getAuthenticateOptions(context: ExecutionContext) {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const state = this.auth.newState();
    const secure = request.protocol === 'https' ? '; Secure' : '';
    void reply.header(
      'set-cookie',
      `${OAUTH_STATE_COOKIE}=${state}; Path=${GOOGLE_START_PATH}; Max-Age=600; HttpOnly; SameSite=Lax${secure}`,
    );
    return { session: false, state, callbackURL: callbackUrl(request), prompt: 'select_account' };
  }
}

/** The callback: the `state` must be the one this browser was given, before the code is exchanged. */
@Injectable()
export class GoogleCallbackGuard extends AuthGuard(STRATEGY) implements CanActivate {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest<{ Querystring: { state?: string } }>>();
    const expected = readCookie(request.headers.cookie, OAUTH_STATE_COOKIE);
    if (!sameSecret(request.query.state, expected)) {
      (request as FastifyRequest & { user?: GoogleIdentity | null }).user = null;
      return true;
    }
    return (await super.canActivate(context)) as boolean;
  }

  override getAuthenticateOptions(context: ExecutionContext) {
    return { session: false, callbackURL: callbackUrl(context.switchToHttp().getRequest<FastifyRequest>()) };
  }

  /** A refusal by the provider (or a failed exchange) is a sign-in failure, not an exception. */
  override handleRequest<T>(err: unknown, user: T): T {
    return (err || !user ? null : user) as T;
  }
}

/** Google sign-in for /admin (OAUTH_CLIENT_ID / OAUTH_CLIENT_SECRET). */
@Controller()
export class GoogleSsoController {
  constructor(private readonly auth: AdminAuthService) {}

  @Get(GOOGLE_START_PATH)
  @UseGuards(GoogleStartGuard)
  start(): void {
    // The guard has redirected to the provider.
  }

  @Get(GOOGLE_CALLBACK_PATH)
  @UseGuards(GoogleCallbackGuard)
  async callback(
    @Req() request: FastifyRequest & { user?: GoogleIdentity | null },
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const identity = request.user;
    const state = readCookie(request.headers.cookie, OAUTH_STATE_COOKIE);
    const user =
      identity && state
        ? await this.auth.googleLogin(identity.email, identity.verified, identity.googleId)
        : null;
    if (!user || !state) {
      void reply.redirect(`${ADMIN_LOGIN_PATH}?sso=denied`, 302);
      return;
    }
    const ticket = this.auth.issueTicket(user.id, state);
    void reply.redirect(`${GOOGLE_COMPLETE_PATH}?ticket=${encodeURIComponent(ticket)}`, 302);
  }
}
