import type { FastifyRequest } from 'fastify';
import type { OAuthStatePayload } from './oauth-state';
import type { PassportOutcome } from './oauth-strategies';

/** Options handed to passport.authenticate() for this request (state, callback URL). */
export interface OAuthAuthenticateOptions {
  readonly session: false;
  readonly callbackURL: string;
  readonly state?: string;
}

/** A request on the redirect-flow routes, as the OAuth guard leaves it for the handler. */
export interface OAuthRequest extends FastifyRequest {
  oauthAuthenticateOptions?: OAuthAuthenticateOptions;
  /** The verified state of a callback. */
  oauthState?: OAuthStatePayload;
  /** Set by the AuthGuard (Passport's `req.user`). */
  user?: PassportOutcome;
}
