import { randomBytes } from 'node:crypto';
import { ExecutionContext, Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { AuthGuard, IAuthGuard, PassportStrategy } from '@nestjs/passport';
import passport from 'passport';
import { Strategy as GithubStrategyBase } from 'passport-github2';
import { Strategy as GoogleStrategyBase } from 'passport-google-oauth20';
import type { OAuthProfile } from 'passport-oauth2';
import { APP_CONFIG, AppConfig } from '../config';
import {
  githubApiBase,
  githubOAuthBase,
  googleProfileFromUserinfo,
  googleUserinfoUrl,
  OAuthProviderError,
  primaryVerifiedGithubEmail,
  ProviderProfile,
  splitFullName,
} from './oauth-providers';
import { OAuthProvider } from './oauth-state';
import type { OAuthRequest } from './oauth-request';

const GOOGLE_AUTHORIZATION_URL_DEFAULT = 'https://accounts.google.com/o/oauth2/v2/auth';
const GOOGLE_TOKEN_URL_DEFAULT = 'https://oauth2.googleapis.com/token';

/** What a Passport authentication ended in; the callback handler turns it into a redirect. */
export type PassportOutcome =
  | { readonly ok: true; readonly profile: ProviderProfile }
  | { readonly ok: false; readonly error: unknown; readonly denied: boolean };

/** The provider's client credentials, or undefined when that redirect flow is not configured. */
export function clientCredentials(
  config: AppConfig,
  provider: OAuthProvider,
): { id: string; secret: string } | undefined {
  const id =
    provider === 'github' ? config.GITHUB_CLIENT_ID : (config.GOOGLE_CLIENT_ID ?? config.OAUTH_CLIENT_ID);
  const secret =
    provider === 'github'
      ? config.GITHUB_CLIENT_SECRET
      : (config.GOOGLE_CLIENT_SECRET ?? config.OAUTH_CLIENT_SECRET);
  return id && secret ? { id, secret } : undefined;
}

function githubStrategy(name: string, config: AppConfig, client: { id: string; secret: string }) {
  class GithubStrategy extends PassportStrategy(GithubStrategyBase, name) {
    validate(_accessToken: string, _refreshToken: string, profile: OAuthProfile): ProviderProfile {
      const json = (profile._json ?? {}) as { name?: unknown };
      const [firstName, lastName] = splitFullName(json.name);
      return {
        provider: 'github',
        id: String(profile.id),
        email: primaryVerifiedGithubEmail(profile.emails ?? []),
        firstName,
        lastName,
      };
    }
  }
  const oauth = githubOAuthBase(config);
  const api = githubApiBase(config);
  return new GithubStrategy({
    clientID: client.id,
    clientSecret: client.secret,
    authorizationURL: `${oauth}/authorize`,
    tokenURL: `${oauth}/access_token`,
    userProfileURL: `${api}/user`,
    userEmailURL: `${api}/user/emails`,
    allRawEmails: true,
    scope: ['user:email'],
    userAgent: 'flagport',
  });
}

function googleStrategy(name: string, config: AppConfig, client: { id: string; secret: string }) {
  class GoogleStrategy extends PassportStrategy(GoogleStrategyBase, name) {
    validate(_accessToken: string, _refreshToken: string, profile: OAuthProfile): ProviderProfile {
      const json = profile._json;
      if (typeof json !== 'object' || json === null || Array.isArray(json))
        throw new OAuthProviderError('google', 'userinfo: not an object');
      return googleProfileFromUserinfo(json as Record<string, unknown>);
    }
  }
  return new GoogleStrategy({
    clientID: client.id,
    clientSecret: client.secret,
    authorizationURL: config.GOOGLE_OAUTH_AUTHORIZATION_URL ?? GOOGLE_AUTHORIZATION_URL_DEFAULT,
    tokenURL: config.GOOGLE_OAUTH_TOKEN_URL ?? GOOGLE_TOKEN_URL_DEFAULT,
    userProfileURL: googleUserinfoUrl(config),
    scope: ['openid', 'email', 'profile'],
  });
}

/** A @nestjs/passport AuthGuard for one strategy that reports every outcome instead of throwing. */
function outcomeGuard(strategyName: string): IAuthGuard {
  class OutcomeGuard extends AuthGuard(strategyName) {
    override getAuthenticateOptions(context: ExecutionContext) {
      return context.switchToHttp().getRequest<OAuthRequest>().oauthAuthenticateOptions;
    }

    override handleRequest<TUser = PassportOutcome>(err: unknown, user: unknown, info: unknown): TUser {
      const outcome: PassportOutcome = err
        ? { ok: false, error: err, denied: false }
        : user
          ? { ok: true, profile: user as ProviderProfile }
          : { ok: false, error: info, denied: true };
      return outcome as TUser;
    }
  }
  return new OutcomeGuard();
}

/**
 * The Passport strategies of the redirect flows, one per configured provider. Passport keeps strategies in a
 * process-wide registry, so each app registers its own under a unique name (several apps can share a process in
 * tests, each with its own provider settings) and removes them when it closes.
 */
@Injectable()
export class OAuthStrategies implements OnModuleDestroy {
  private readonly guards = new Map<OAuthProvider, IAuthGuard>();
  private readonly names: string[] = [];

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const suffix = randomBytes(6).toString('hex');
    for (const provider of ['github', 'google'] as const) {
      const client = clientCredentials(config, provider);
      if (!client) continue;
      const name = `flagport-${provider}-${suffix}`;
      if (provider === 'github') githubStrategy(name, config, client);
      else googleStrategy(name, config, client);
      this.names.push(name);
      this.guards.set(provider, outcomeGuard(name));
    }
  }

  /** The guard running the provider's Passport strategy, undefined when the provider is not configured. */
  guard(provider: OAuthProvider): IAuthGuard | undefined {
    return this.guards.get(provider);
  }

  onModuleDestroy(): void {
    for (const name of this.names) passport.unuse(name);
  }
}
