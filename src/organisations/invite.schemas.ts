import { S, type Static } from '../http/schema';

/** Request and response schemas of invites and invite links (docs/contracts/admin-api.md §3). */

const Role = S.choice(['ADMIN', 'USER'] as const);

export const CreateInvite = S.object({
  email: S.email(),
  role: S.optional(Role),
  permission_groups: S.optional(S.pkList()),
});
export type CreateInviteInput = Static<typeof CreateInvite>;

/** POST /invite/: `invites: [{email, role}]` and/or `emails: [address]` (role USER); the same groups for all. */
export const CreateInvites = S.object({
  invites: S.optional(S.list(S.object({ email: S.email(), role: S.optional(Role) }))),
  emails: S.optional(S.list(S.email())),
  permission_groups: S.optional(S.pkList()),
});
export type CreateInvitesInput = Static<typeof CreateInvites>;

export const CreateInviteLink = S.object({
  role: S.optional(Role),
  expires_at: S.optional(S.nullable(S.dateTime())),
});
export type CreateInviteLinkInput = Static<typeof CreateInviteLink>;

export const InviteJson = S.response(
  {
    id: S.integer(),
    email: S.string(),
    role: Role,
    date_created: S.dateTime(),
    invited_by: S.nullable(
      S.response({ id: S.integer(), email: S.string(), first_name: S.string(), last_name: S.string() }),
    ),
    permission_groups: S.list(S.integer()),
  },
  { title: 'Invite' },
);
export type InviteJson = Static<typeof InviteJson>;

export const InviteLinkJson = S.response(
  {
    id: S.integer(),
    hash: S.string(),
    date_created: S.dateTime(),
    role: Role,
    expires_at: S.nullable(S.dateTime()),
  },
  { title: 'InviteLink' },
);
export type InviteLinkJson = Static<typeof InviteLinkJson>;
