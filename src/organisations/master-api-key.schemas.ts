import { S, type Static } from '../http/schema';

/** Request and response schemas of /api/v1/organisations/{id}/master-api-keys/ (docs/contracts/admin-api.md §3). */

export const CreateMasterApiKey = S.object({
  name: S.string({ maxLength: 200 }),
  expiry_date: S.optional(S.nullable(S.dateTime())),
  is_admin: S.optional(S.boolean()),
});
export type CreateMasterApiKeyInput = Static<typeof CreateMasterApiKey>;

/** PUT (PATCH: partial); `revoked: true` revokes, `false` changes nothing. */
export const UpdateMasterApiKey = S.object({
  name: S.string({ maxLength: 200 }),
  expiry_date: S.optional(S.nullable(S.dateTime())),
  revoked: S.optional(S.boolean()),
  is_admin: S.optional(S.boolean()),
});
export type UpdateMasterApiKeyInput = Static<typeof UpdateMasterApiKey>;

export const MasterApiKeyJson = S.response(
  {
    id: S.integer(),
    prefix: S.string(),
    created: S.dateTime(),
    name: S.string(),
    revoked: S.boolean(),
    expiry_date: S.nullable(S.dateTime()),
    is_admin: S.boolean(),
    has_expired: S.boolean(),
    organisation: S.integer(),
    key: S.optional(S.string({ description: 'The plaintext key: only in the answer that created it' })),
  },
  { title: 'MasterApiKey' },
);
export type MasterApiKeyJson = Static<typeof MasterApiKeyJson>;
