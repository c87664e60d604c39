import { Type } from '@sinclair/typebox';
import { S, type Static } from '../../http/schema';
import { TokenJson } from '../user.schemas';

/** Request and response schemas of the two-factor routes (Flagsmith's custom_auth/mfa, django-trench). */

export const ActiveMethodJson = S.response(
  { name: S.string(), is_primary: S.boolean() },
  { title: 'MfaActiveMethod' },
);
export type ActiveMethodJson = Static<typeof ActiveMethodJson>;
export const ActiveMethodsJson = S.list(ActiveMethodJson);

export const ActivationJson = S.response(
  {
    qr_link: S.string({ description: 'otpauth:// link for the authenticator app (shown as a QR code)' }),
    secret: S.string({ description: 'The TOTP secret, base32; shown only until the method is confirmed' }),
  },
  { title: 'MfaActivation' },
);

export const ConfirmActivation = S.object({ code: S.string() });
export type ConfirmActivationInput = Static<typeof ConfirmActivation>;

export const BackupCodesJson = S.response(
  { backup_codes: S.list(S.string({ description: 'Single-use; shown only this once' })) },
  { title: 'MfaBackupCodes' },
);
export type BackupCodesJson = Static<typeof BackupCodesJson>;

export const Deactivate = S.object({
  code: S.optional(S.string({ description: 'Optional (the dashboard sends none); when sent, a valid code' })),
});
export type DeactivateInput = Static<typeof Deactivate>;

/** trench's ErrorResponse. */
export const MfaErrorJson = S.response({ error: S.string() }, { title: 'MfaError' });

export const CodeLogin = S.object({ ephemeral_token: S.string(), code: S.string() });
export type CodeLoginInput = Static<typeof CodeLogin>;

export const MfaChallengeJson = S.response(
  {
    ephemeral_token: S.string({ description: 'Send it with a code to POST /api/v1/auth/login/code/' }),
    method: S.string(),
  },
  { title: 'MfaChallenge' },
);
export type MfaChallengeJson = Static<typeof MfaChallengeJson>;

/** POST /auth/login/: the token, or the challenge when the user has two-factor authentication. */
export const LoginAnswerJson = Type.Union([TokenJson, MfaChallengeJson]);
export type LoginAnswerJson = Static<typeof LoginAnswerJson>;
