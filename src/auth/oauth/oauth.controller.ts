import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpException,
  HttpStatus,
  Inject,
  Logger,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { fieldError, forbidden } from '../../common/errors';
import { BodyReader } from '../../common/validation';
import { APP_CONFIG, AppConfig } from '../../config';
import { User } from '../../users/user.entity';
import { AuthService } from '../auth.service';
import {
  INACTIVE_ACCOUNT_DETAIL,
  OAuthAccountsService,
  OAuthSignUpOptions,
  SIGN_UP_TYPES,
} from './oauth-accounts.service';
import { notConfigured, OAUTH_PATH, OAuthFlow, OAuthFlowGuard } from './oauth-flow.guard';
import { OAuthOneTimeKeysService } from './oauth-one-time-keys.service';
import {
  githubProfileFromCode,
  googleProfileFromToken,
  OAuthProviderError,
  ProviderProfile,
} from './oauth-providers';
import type { OAuthRequest } from './oauth-request';
import { OAuthProvider } from './oauth-state';
import { clientCredentials } from './oauth-strategies';

/** Flagsmith's error message for a failed provider round trip (502). */
export const authErrorMessage = (provider: OAuthProvider): string =>
  `An error occurred authenticating with ${provider.toUpperCase()}`;

const INVALID_CODE = 'Invalid, expired or already used code.';

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
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly accounts: OAuthAccountsService,
    private readonly keys: OAuthOneTimeKeysService,
    private readonly auth: AuthService,
  ) {}

  // ---- Flagsmith's token exchange

  @Post('github')
  @HttpCode(200)
  async github(@Body() body: unknown) {
    if (!clientCredentials(this.config, 'github')) throw notConfigured('github');
    const { token, options } = readLoginBody(body);
    const profile = await this.fromProvider('github', () => githubProfileFromCode(this.config, token));
    const login = await this.accounts.login(profile, options);
    return { key: login.key, is_new_user: login.isNewUser };
  }

  @Post('google')
  @HttpCode(200)
  async google(@Body() body: unknown) {
    const { token, options } = readLoginBody(body);
    const profile = await this.fromProvider('google', () => googleProfileFromToken(this.config, token));
    const login = await this.accounts.login(profile, options);
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
  githubLogin(@Req() request: OAuthRequest): never {
    throw this.loginFailed('github', request);
  }

  @Get('google/login')
  @OAuthFlow('google', 'login')
  @UseGuards(OAuthFlowGuard)
  googleLogin(@Req() request: OAuthRequest): never {
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
  async githubCallback(@Req() request: OAuthRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.finish('github', request, reply);
  }

  @Get('google/callback')
  @OAuthFlow('google', 'callback')
  @UseGuards(OAuthFlowGuard)
  async googleCallback(@Req() request: OAuthRequest, @Res() reply: FastifyReply): Promise<void> {
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
        if (!(err instanceof HttpException) || err.getStatus() >= 500) throw err;
        const response = err.getResponse();
        const detail =
          typeof response === 'object' && response !== null && 'detail' in response
            ? String(response.detail)
            : err.message;
        fail('login_refused', detail);
      }
    }
    await reply.header('cache-control', 'no-store').redirect(target.toString(), 302);
  }

  /** The one-time code from the redirect, for the API token. Single use, valid for a minute. */
  @Post('exchange')
  @HttpCode(200)
  async exchange(@Body() body: unknown) {
    const v = new BodyReader(body);
    const code = v.string('code', { maxLength: 200 });
    v.assertValid();
    const redeemed = await this.keys.redeemCode(code!);
    if (!redeemed) throw fieldError('code', INVALID_CODE);
    const user = await this.dataSource.getRepository(User).findOneBy({ id: redeemed.userId });
    if (!user) throw fieldError('code', INVALID_CODE);
    if (!user.isActive) throw forbidden(INACTIVE_ACCOUNT_DETAIL);
    return { key: await this.auth.tokenFor(user), is_new_user: redeemed.isNewUser };
  }
}

function readLoginBody(body: unknown): { token: string; options: OAuthSignUpOptions } {
  const v = new BodyReader(body);
  const token = v.string('access_token', { maxLength: 4096 });
  const signUpType = v.choice('sign_up_type', SIGN_UP_TYPES, { optional: true, nullable: true });
  const inviteHash = v.string('invite_hash', {
    optional: true,
    nullable: true,
    allowBlank: true,
    maxLength: 100,
  });
  v.assertValid();
  return {
    token: token!,
    options: { signUpType: signUpType ?? undefined, inviteHash: inviteHash || undefined },
  };
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
