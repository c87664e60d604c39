import { Type } from '@sinclair/typebox';
import { S, type Static } from '../http/schema';

/**
 * Schemas of the first-run routes (docs/contracts/admin-api.md §2): GET|POST /api/v1/users/config/init/ (a form a
 * browser fills in, or JSON) and GET /api/v1/users/init/. The form never answers DRF's field errors for a wrong type:
 * a field that is not text reads as blank, and the service's checks name it (so a browser always gets the form back).
 */

const text = (o: { maxLength?: number; description: string }) =>
  S.optional(S.string({ ...o, allowBlank: true, trim: false }));
const FORM_FIELDS = ['username', 'email', 'password', 'site_name', 'site_domain'] as const;

/**
 * The form's fields, each text as sent (not trimmed here); a field that is not text, or a body that is not an
 * object, reads as blank — the service's checks then name what is missing, and a browser gets the form back.
 */
export const InitConfiguration = S.reader<Record<(typeof FORM_FIELDS)[number], string>>(
  S.object({
    username: text({ maxLength: 150, description: 'The superuser’s name (first name)' }),
    email: text({ maxLength: 254, description: 'The superuser’s email (required)' }),
    password: text({ description: 'Blank or absent: set it through the password-reset link' }),
    site_name: text({ maxLength: 50, description: 'The site name (required)' }),
    site_domain: text({
      maxLength: 100,
      description: 'The dashboard’s domain; FLAGSMITH_DOMAIN overrides it',
    }),
  }),
  (raw) => {
    const body = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const value = (name: string) => (typeof body[name] === 'string' ? body[name] : '');
    return {
      value: Object.fromEntries(FORM_FIELDS.map((name) => [name, value(name)])) as Record<
        (typeof FORM_FIELDS)[number],
        string
      >,
    };
  },
);
export type InitConfigurationInput = Static<typeof InitConfiguration>;

/** `?format=json` asks for JSON (so do a JSON body and an Accept without text/html); any other value is ignored. */
export const InitFormQuery = S.object({
  format: S.optional(S.unchecked(S.choice(['json'] as const))),
});
export type InitFormQueryInput = Static<typeof InitFormQuery>;

export const InitFormJson = S.response({
  fields: S.list(S.response({ name: S.string(), label: S.string(), help: S.string() })),
  flagsmith_domain: S.nullable(S.string()),
});
export type InitFormJson = Static<typeof InitFormJson>;

export const InitDoneJson = S.response({ message: S.string(), passwordResetUrl: S.string() });
export type InitDoneJson = Static<typeof InitDoneJson>;

/** Field errors of the form: `{"email": ["Enter a valid email address."]}`. */
export const InitErrorsJson = Type.Record(Type.String(), Type.Array(Type.String()));

export const AdminInitJson = S.response({ adminUserCreated: S.literal(true), passwordResetUrl: S.string() });
export type AdminInitJson = Static<typeof AdminInitJson>;
export const AdminInitRefusedJson = S.response({ adminUserCreated: S.literal(false), message: S.string() });
