// The parts of passport, passport-github2 and passport-google-oauth20 this server uses (none ships types).

declare module 'passport' {
  interface Authenticator {
    /** Removes a strategy registered with `use()` (an app closing). */
    unuse(name: string): Authenticator;
  }
  const passport: Authenticator;
  export default passport;
}

declare module 'passport-oauth2' {
  export interface OAuth2StrategyOptions {
    clientID: string;
    clientSecret: string;
    authorizationURL?: string;
    tokenURL?: string;
    callbackURL?: string;
    scope?: string | string[];
    passReqToCallback?: false;
  }
  /** Passport's profile after a strategy parsed the provider's user information. */
  export interface OAuthProfile {
    id: string;
    displayName?: string;
    name?: { givenName?: string; familyName?: string };
    emails?: { value: string; verified?: boolean | string; primary?: boolean }[];
    _json?: unknown;
  }
  export type VerifyCallback = (err: unknown, user?: unknown, info?: unknown) => void;
}

declare module 'passport-github2' {
  import { OAuth2StrategyOptions, VerifyCallback, OAuthProfile } from 'passport-oauth2';
  export interface StrategyOptions extends OAuth2StrategyOptions {
    userProfileURL?: string;
    userEmailURL?: string;
    /** Keep every `/user/emails` entry with its `primary` and `verified` flags. */
    allRawEmails?: boolean;
    userAgent?: string;
  }
  export class Strategy {
    constructor(
      options: StrategyOptions,
      verify: (
        accessToken: string,
        refreshToken: string,
        profile: OAuthProfile,
        done: VerifyCallback,
      ) => void,
    );
    name: string;
  }
}

declare module 'passport-google-oauth20' {
  import { OAuth2StrategyOptions, VerifyCallback, OAuthProfile } from 'passport-oauth2';
  export interface StrategyOptions extends OAuth2StrategyOptions {
    userProfileURL?: string;
  }
  export class Strategy {
    constructor(
      options: StrategyOptions,
      verify: (
        accessToken: string,
        refreshToken: string,
        profile: OAuthProfile,
        done: VerifyCallback,
      ) => void,
    );
    name: string;
  }
}
