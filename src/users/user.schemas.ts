import { OnboardingJson } from './user-profile.schemas';
import { Type } from '@sinclair/typebox';
import { EMAIL, MESSAGES } from '../common/drf-values';
import { S, type Static } from '../http/schema';

/** Request and response schemas of /api/v1/auth/ (docs/contracts/admin-api.md §1): types, validation, OpenAPI. */

/** Django's EmailField as djoser reads it: text of at most 254 characters that looks like an address. */
export const email = () =>
  S.check(S.string({ maxLength: 254 }), (v) => (EMAIL.test(v) ? undefined : MESSAGES.email));
/** A password as sent: never trimmed, at most 128 characters. */
const password = () => S.string({ trim: false, maxLength: 128 });
const name = () => S.optional(S.string({ maxLength: 150, allowBlank: true }));

export const SIGN_UP_TYPES = ['NO_INVITE', 'INVITE_EMAIL', 'INVITE_LINK'] as const;
export type SignUpTypeValue = (typeof SIGN_UP_TYPES)[number];
/** A nullable sign-up type. null is listed in the enum too: OpenAPI 3.0 validators check `enum` before `nullable`. */
export const nullableSignUpType = () =>
  Type.Unsafe<SignUpTypeValue | null>({ type: 'string', enum: [...SIGN_UP_TYPES, null], nullable: true });

export const Register = S.object({
  email: email(),
  password: password(),
  first_name: name(),
  last_name: name(),
  sign_up_type: S.optional(nullableSignUpType()),
  invite_hash: S.optional(S.nullable(S.string({ maxLength: 100 }))),
  superuser: S.optional(S.boolean({ description: 'Only while no user exists' })),
  marketing_consent_given: S.optional(S.boolean()),
});
export type RegisterInput = Static<typeof Register>;

export const AUTH_TYPES = ['EMAIL', 'GITHUB', 'GOOGLE'] as const;

/**
 * An account as the admin panel writes it (no API route: Flagsmith's Django admin). No password: a new account
 * gets an unusable one and its owner chooses theirs through a password reset.
 */
export const AdminUserInput = S.object({
  email: email(),
  first_name: name(),
  last_name: name(),
  is_active: S.optional(S.boolean()),
  is_staff: S.optional(S.boolean()),
  is_superuser: S.optional(S.boolean()),
  auth_type: S.optional(S.choice(AUTH_TYPES)),
});
export type AdminUserInput = Static<typeof AdminUserInput>;
/** The panel's edit of an account: the same fields, each optional (read partial). */
export const AdminUserUpdate = AdminUserInput;
export type AdminUserUpdateInput = Partial<AdminUserInput>;

export const Login = S.object({ email: S.string({ maxLength: 254 }), password: password() });
export type LoginInput = Static<typeof Login>;

export const UpdateMe = S.object({
  first_name: name(),
  last_name: name(),
  marketing_consent_given: S.optional(S.boolean()),
});
export type UpdateMeInput = Static<typeof UpdateMe>;

/** `current_password` is required unless the account has no usable password (checked by the service). */
export const DeleteMe = S.object({
  current_password: S.optional(S.string({ trim: false })),
  delete_orphan_organisations: S.optional(S.boolean()),
});
export type DeleteMeInput = Static<typeof DeleteMe>;

export const SetPassword = S.object({
  current_password: S.string({ trim: false }),
  new_password: password(),
  re_new_password: password(),
});
export type SetPasswordInput = Static<typeof SetPassword>;

export const EmailOnly = S.object({ email: email() });
export type EmailOnlyInput = Static<typeof EmailOnly>;

export const Activation = S.object({ uid: S.string(), token: S.string() });
export type ActivationInput = Static<typeof Activation>;

export const ResetConfirm = S.object({
  uid: S.string(),
  token: S.string(),
  new_password: password(),
  re_new_password: password(),
});
export type ResetConfirmInput = Static<typeof ResetConfirm>;

const SignUpTypeJson = nullableSignUpType();
/** A response string that may be '' (names are optional). */
export const blankable = () => S.string({ allowBlank: true });

export const TokenJson = S.response({ key: S.string() }, { title: 'Token' });
export type TokenJson = Static<typeof TokenJson>;

export const RegisteredUserJson = S.response({
  id: S.integer(),
  email: S.string(),
  first_name: blankable(),
  last_name: blankable(),
  is_active: S.boolean(),
  uuid: S.string(),
  sign_up_type: SignUpTypeJson,
  marketing_consent_given: S.boolean(),
  key: S.string(),
});
export type RegisteredUserJson = Static<typeof RegisteredUserJson>;

export const CurrentUserJson = S.response(
  {
    id: S.integer(),
    email: S.string(),
    first_name: blankable(),
    last_name: blankable(),
    is_superuser: S.boolean(),
    date_joined: S.dateTime(),
    last_login: S.nullable(S.dateTime()),
    uuid: S.string(),
    auth_type: S.choice(['EMAIL', 'GITHUB', 'GOOGLE'] as const),
    sign_up_type: SignUpTypeJson,
    marketing_consent_given: S.boolean(),
    is_active: S.boolean(),
    onboarding: S.nullable(OnboardingJson),
  },
  { title: 'CurrentUser' },
);
export type CurrentUserJson = Static<typeof CurrentUserJson>;
