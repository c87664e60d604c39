import {
  CanActivate,
  Controller,
  Get,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DomainError, PermissionDenied, ValidationFailed } from '../common/domain-errors';
import { APP_CONFIG, AppConfig } from '../config';
import { DetailJson, Responds, ValidBody, ValidQuery } from '../http/schema';
import { SIGN_UP_TYPES } from '../users/user.schemas';
import { UsersRepository } from '../users/users.repository';
import { AuthService } from '../auth/auth.service';
import { INACTIVE_ACCOUNT_DETAIL, OAuthAccountsService, OAuthSignUpOptions } from './oauth-accounts.service';
import { notConfigured, OAUTH_PATH, OAuthFlow, OAuthFlowGuard } from './oauth-flow.guard';
import { OAuthOneTimeKeysRepository } from './oauth-one-time-keys.repository';
import {
  githubProfileFromCode,
  googleProfileFromToken,
  OAuthProviderError,
  ProviderProfile,
} from './oauth-providers';
import type { OAuthRequest } from './oauth-request';
import { OAuthProvider } from './oauth-state';
import {
  OAuthCallbackQuery,
  OAuthExchange,
  type OAuthExchangeInput,
  OAuthLogin,
  type OAuthLoginInput,
  OAuthLoginQuery,
  OAuthTokenJson,
  ProviderErrorJson,
} from './oauth.schemas';
import { clientCredentials } from './oauth-strategies';

/** Flagsmith's error message for a failed provider round trip (502). */
export const authErrorMessage = (provider: OAuthProvider): string =>
  `An error occurred authenticating with ${provider.toUpperCase()}`;

const INVALID_CODE = 'Invalid, expired or already used code.';

/** POST github/ answers "not configured" before it reads the body (no client credentials, no code exchange). */
@Injectable()
export class GithubConfigured implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(): boolean {
    if (!clientCredentials(this.config, 'github')) throw notConfigured('github');
    return true;
  }
}

/**
 * OAuth sign-in. Flagsmith's token exchange: POST github/ (`access_token` = the code from GitHub's redirect) and
 * POST google/ (`access_token` = a Google access token) answer `{key, is_new_user}`. The redirect flows:
 * GET {provider}/login/ → provider → GET {provider}/callback/ → OAUTH_REDIRECT_URL?code=… → POST exchange/.
 */
@Controller(OAUTH_PATH)
export class OAuthController {
  private readonly logger = new Logger('OAuth');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersRepository,
    private readonly accounts: OAuthAccountsService,
    private readonly keys: OAuthOneTimeKeysRepository,
    private readonly auth: AuthService,
  ) {}

  // ---- Flagsmith's token exchange

  @Post('github')
  @UseGuards(GithubConfigured)
  @Responds(200, OAuthTokenJson, 'The API token; is_new_user when the account was just created')
  @Responds(403, DetailJson, 'The account is disabled, or sign-up needs an invite')
  @Responds(404, DetailJson, 'The invite hash is unknown')
  @Responds(502, ProviderErrorJson, 'GitHub could not be asked')
  async github(@ValidBody(OAuthLogin) body: OAuthLoginInput): Promise<OAuthTokenJson> {
    const profile = await this.fromProvider('github', () =>
      githubProfileFromCode(this.config, body.access_token),
    );
    const login = await this.accounts.login(profile, signUpOptions(body));
    return { key: login.key, is_new_user: login.isNewUser };
  }

  @Post('google')
  @Responds(200, OAuthTokenJson, 'The API token; is_new_user when the account was just created')
  @Responds(403, DetailJson, 'The account is disabled, or sign-up needs an invite')
  @Responds(404, DetailJson, 'The invite hash is unknown')
  @Responds(502, ProviderErrorJson, 'Google could not be asked')
  async google(@ValidBody(OAuthLogin) body: OAuthLoginInput): Promise<OAuthTokenJson> {
    const profile = await this.fromProvider('google', () =>
      googleProfileFromToken(this.config, body.access_token),
    );
    const login = await this.accounts.login(profile, signUpOptions(body));
    return { key: login.key, is_new_user: login.isNewUser };
  }

  private async fromProvider(
    provider: OAuthProvider,
    read: () => Promise<ProviderProfile>,
  ): Promise<ProviderProfile> {
    try {
      return await read();
    } catch (err) {
      if (!(err instanceof OAuthProviderError)) throw err;
      this.logger.warn(`${authErrorMessage(provider)}: ${err.message}`);
      throw new HttpException(
        { message: authErrorMessage(provider), ...(err.userDetail ? { detail: err.userDetail } : {}) },
        HttpStatus.BAD_GATEWAY,
      );
    }
  }

  // ---- Redirect flows (Passport)

  @Get('github/login')
  @OAuthFlow('github', 'login')
  @UseGuards(OAuthFlowGuard)
  @Responds(302, null, "To GitHub's sign-in page")
  @Responds(502, ProviderErrorJson, 'The redirect could not be built')
  githubLogin(@Req() request: OAuthRequest, @ValidQuery(OAuthLoginQuery) _query: object): never {
    throw this.loginFailed('github', request);
  }

  @Get('google/login')
  @OAuthFlow('google', 'login')
  @UseGuards(OAuthFlowGuard)
  @Responds(302, null, "To Google's sign-in page")
  @Responds(502, ProviderErrorJson, 'The redirect could not be built')
  googleLogin(@Req() request: OAuthRequest, @ValidQuery(OAuthLoginQuery) _query: object): never {
    throw this.loginFailed('google', request);
  }

  /** Reached only when the strategy could not redirect (it normally answers the request itself). */
  private loginFailed(provider: OAuthProvider, request: OAuthRequest): HttpException {
    const outcome = request.user;
    this.logger.warn(
      `${provider} login redirect failed: ${describe(outcome?.ok ? undefined : outcome?.error)}`,
    );
    return new HttpException({ message: authErrorMessage(provider) }, HttpStatus.BAD_GATEWAY);
  }

  @Get('github/callback')
  @OAuthFlow('github', 'callback')
  @UseGuards(OAuthFlowGuard)
  @Responds(302, null, 'To OAUTH_REDIRECT_URL with a one-time code, or with error and error_description')
  async githubCallback(
    @Req() request: OAuthRequest,
    @Res() reply: FastifyReply,
    @ValidQuery(OAuthCallbackQuery) _query: object,
  ): Promise<void> {
    await this.finish('github', request, reply);
  }

  @Get('google/callback')
  @OAuthFlow('google', 'callback')
  @UseGuards(OAuthFlowGuard)
  @Responds(302, null, 'To OAUTH_REDIRECT_URL with a one-time code, or with error and error_description')
  async googleCallback(
    @Req() request: OAuthRequest,
    @Res() reply: FastifyReply,
    @ValidQuery(OAuthCallbackQuery) _query: object,
  ): Promise<void> {
    await this.finish('google', request, reply);
  }

  /** Logs the user in and sends the browser to the frontend with a one-time code, or with the error. */
  private async finish(provider: OAuthProvider, request: OAuthRequest, reply: FastifyReply): Promise<void> {
    const target = new URL(this.config.OAUTH_REDIRECT_URL!);
    const outcome = request.user;
    const fail = (error: string, description: string) => {
      target.searchParams.set('error', error);
      target.searchParams.set('error_description', description);
    };
    if (!outcome) {
      fail('server_error', authErrorMessage(provider));
    } else if (!outcome.ok) {
      if (outcome.denied) {
        fail('access_denied', `Sign-in was cancelled at ${provider === 'github' ? 'GitHub' : 'Google'}.`);
      } else {
        this.logger.warn(`${authErrorMessage(provider)}: ${describe(outcome.error)}`);
        const detail = outcome.error instanceof OAuthProviderError ? outcome.error.userDetail : undefined;
        fail('provider_error', detail ?? authErrorMessage(provider));
      }
    } else {
      const state = request.oauthState;
      try {
        const login = await this.accounts.login(outcome.profile, {
          inviteHash: state?.inviteHash,
          signUpType: SIGN_UP_TYPES.find((t) => t === state?.signUpType),
        });
        target.searchParams.set('code', await this.keys.issueCode(login.user.id, login.isNewUser));
      } catch (err) {
        fail('login_refused', refusalDetail(err));
      }
    }
    await reply.header('cache-control', 'no-store').redirect(target.toString(), 302);
  }

  /** The one-time code from the redirect, for the API token. Single use, valid for a minute. */
  @Post('exchange')
  @Responds(200, OAuthTokenJson, 'The API token of the login the code stands for')
  @Responds(403, DetailJson, 'The account is disabled')
  async exchange(@ValidBody(OAuthExchange) body: OAuthExchangeInput): Promise<OAuthTokenJson> {
    const redeemed = await this.keys.redeemCode(body.code);
    if (!redeemed) throw ValidationFailed.field('code', INVALID_CODE);
    const user = await this.users.byId(redeemed.userId);
    if (!user) throw ValidationFailed.field('code', INVALID_CODE);
    if (!user.isActive) throw new PermissionDenied(INACTIVE_ACCOUNT_DETAIL);
    return { key: await this.auth.tokenFor(user), is_new_user: redeemed.isNewUser };
  }
}

/** What a refused login tells the frontend: the refusal's detail (a fault of this server is rethrown). */
function refusalDetail(err: unknown): string {
  // Domain errors carry their detail as message (PermissionDenied: "User account is disabled.", …).
  if (err instanceof DomainError) return err.message;
  // Anything else answered as an HTTP exception by a guard or pipe.
  if (!(err instanceof HttpException) || err.getStatus() >= 500) throw err;
  const response = err.getResponse();
  return typeof response === 'object' && response !== null && 'detail' in response
    ? String(response.detail)
    : err.message;
}

function signUpOptions(body: OAuthLoginInput): OAuthSignUpOptions {
  return { signUpType: body.sign_up_type ?? undefined, inviteHash: body.invite_hash || undefined };
}

/** A loggable one-line description of a Passport/provider error (never tokens or bodies). */
function describe(error: unknown): string {
  if (error instanceof Error) {
    const status = (error as { oauthError?: { statusCode?: unknown } }).oauthError?.statusCode;
    const cause = (error as { oauthError?: { message?: unknown } }).oauthError?.message;
    return [
      error.message,
      typeof status === 'number' ? `status ${status}` : '',
      typeof cause === 'string' ? cause : '',
    ]
      .filter(Boolean)
      .join(': ');
  }
  return typeof error === 'object' && error !== null && 'message' in error
    ? String(error.message)
    : 'no user';
}
