import { TLSSocket } from 'node:tls';
import { CanActivate, ExecutionContext, Inject, Injectable, Logger, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { lastValueFrom, Observable } from 'rxjs';
import { BadRequest } from '../common/domain-errors';
import { APP_CONFIG, AppConfig } from '../config';
import { headerNameFromMeta } from '../http/allowed-hosts';
import { readInput } from '../http/schema';
import { OAuthLoginQuery } from './oauth.schemas';
import { OAuthOneTimeKeysRepository } from './oauth-one-time-keys.repository';
import type { OAuthRequest } from './oauth-request';
import { OAuthProvider, signState, verifyState } from './oauth-state';
import { OAuthStrategies } from './oauth-strategies';

export const OAUTH_PATH = 'api/v1/auth/oauth';
const PROVIDER_NAMES: Record<OAuthProvider, string> = { github: 'GitHub', google: 'Google' };
const CREDENTIAL_SETTINGS: Record<OAuthProvider, string> = {
  github: 'GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET',
  google: 'GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET (or OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET)',
};

export const INVALID_STATE_DETAIL = 'Invalid or expired OAuth state.';
export const USED_STATE_DETAIL = 'This OAuth state has already been used.';

/** 400 naming the settings an OAuth flow needs. */
export const notConfigured = (provider: OAuthProvider, settings = CREDENTIAL_SETTINGS[provider]) =>
  new BadRequest(`${PROVIDER_NAMES[provider]} OAuth is not configured on this server (set ${settings}).`);

interface FlowMeta {
  readonly provider: OAuthProvider;
  readonly step: 'login' | 'callback';
}
const OAUTH_FLOW = 'flagport:oauth-flow';
/** Marks a redirect-flow route for OAuthFlowGuard. */
export const OAuthFlow = (provider: OAuthProvider, step: FlowMeta['step']) =>
  SetMetadata(OAUTH_FLOW, { provider, step } satisfies FlowMeta);

/**
 * Runs the redirect flows through Passport: on `…/login/` it signs a fresh state and lets the strategy redirect
 * to the provider; on `…/callback/` it first checks the state (signature, expiry, provider, never used before),
 * then lets the strategy exchange the code and read the profile. The handler receives the outcome in `req.user`.
 */
@Injectable()
export class OAuthFlowGuard implements CanActivate {
  private readonly logger = new Logger('OAuth');
  private readonly proxySslHeader: string;

  constructor(
    private readonly reflector: Reflector,
    private readonly strategies: OAuthStrategies,
    private readonly keys: OAuthOneTimeKeysRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.proxySslHeader = headerNameFromMeta(config.SECURE_PROXY_SSL_HEADER_NAME);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const flow = this.reflector.get<FlowMeta | undefined>(OAUTH_FLOW, context.getHandler());
    if (!flow) return true;
    const { provider, step } = flow;
    const guard = this.strategies.guard(provider);
    if (!guard) throw notConfigured(provider);
    if (!this.config.OAUTH_REDIRECT_URL) throw notConfigured(provider, 'OAUTH_REDIRECT_URL');
    const request = context.switchToHttp().getRequest<OAuthRequest>();
    const query = (request.query ?? {}) as Record<string, unknown>;
    const callbackURL = `${this.origin(request)}/${OAUTH_PATH}/${provider}/callback/`;

    if (step === 'login') {
      const { invite_hash: inviteHash, sign_up_type: signUpType } = readInput(OAuthLoginQuery, query);
      const state = signState(this.config.secretKey, { provider, inviteHash, signUpType });
      request.oauthAuthenticateOptions = { session: false, callbackURL, state };
    } else {
      const check = verifyState(this.config.secretKey, provider, query.state);
      if (!check.ok) {
        this.logger.warn(`${provider} callback refused: ${check.reason}`);
        throw new BadRequest(INVALID_STATE_DETAIL);
      }
      if (!(await this.keys.useStateNonce(check.payload.nonce))) {
        this.logger.warn(`${provider} callback refused: state replayed`);
        throw new BadRequest(USED_STATE_DETAIL);
      }
      // Without a code (or the provider's error) Passport would start a new login instead.
      if (typeof query.code !== 'string' && typeof query.error !== 'string')
        throw new BadRequest('The callback carries neither a code nor an error.');
      request.oauthState = check.payload;
      request.oauthAuthenticateOptions = { session: false, callbackURL };
    }
    const result = guard.canActivate(context);
    return result instanceof Observable ? lastValueFrom(result) : result;
  }

  /** This server's public origin as the browser sees it (Django's build_absolute_uri rules). */
  private origin(request: OAuthRequest): string {
    const forwarded = request.headers['x-forwarded-host'];
    const host =
      this.config.USE_X_FORWARDED_HOST && typeof forwarded === 'string' && forwarded
        ? forwarded.split(',')[0].trim()
        : (request.headers.host ?? 'localhost');
    const proxyProto = request.headers[this.proxySslHeader];
    const secure =
      request.raw.socket instanceof TLSSocket ||
      (typeof proxyProto === 'string' &&
        proxyProto.split(',')[0].trim() === this.config.SECURE_PROXY_SSL_HEADER_VALUE);
    return `${secure ? 'https' : 'http'}://${host}`;
  }
}
