import { S, type Static } from '../http/schema';
import { nullableSignUpType, SIGN_UP_TYPES } from '../users/user.schemas';

/** Request and response schemas of /api/v1/auth/oauth/ (docs/contracts/admin-api.md §1). */

/** POST github/ (`access_token` = the code of GitHub's redirect) and google/ (a Google access token). */
export const OAuthLogin = S.object({
  access_token: S.string({ maxLength: 4096 }),
  sign_up_type: S.optional(nullableSignUpType()),
  invite_hash: S.optional(S.nullable(S.string({ maxLength: 100, allowBlank: true }))),
});
export type OAuthLoginInput = Static<typeof OAuthLogin>;

export const OAuthExchange = S.object({ code: S.string({ maxLength: 200 }) });
export type OAuthExchangeInput = Static<typeof OAuthExchange>;

export const OAuthTokenJson = S.response({ key: S.string(), is_new_user: S.boolean() });
export type OAuthTokenJson = Static<typeof OAuthTokenJson>;

/** 502: the provider round trip failed (`detail` when the provider said something the user can act on). */
export const ProviderErrorJson = S.response({ message: S.string(), detail: S.optional(S.string()) });

/** GET {provider}/login/: what the sign-up carries through the provider round trip (in the signed state). */
export const OAuthLoginQuery = S.object({
  invite_hash: S.optional(S.string({ maxLength: 100 })),
  sign_up_type: S.optional(S.choice(SIGN_UP_TYPES)),
});
export type OAuthLoginQueryInput = Static<typeof OAuthLoginQuery>;

/** GET {provider}/callback/: the provider's answer, read by Passport (and the state by OAuthFlowGuard). */
export const OAuthCallbackQuery = S.object({
  state: S.optional(S.unchecked(S.string({ description: 'The signed state of the login redirect' }))),
  code: S.optional(S.unchecked(S.string({ description: "The provider's authorisation code" }))),
  error: S.optional(S.unchecked(S.string({ description: 'e.g. access_denied' }))),
  error_description: S.optional(S.unchecked(S.string())),
});
