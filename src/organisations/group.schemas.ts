import { S, type Static } from '../http/schema';

/** Request and response schemas of /api/v1/organisations/{id}/groups/ (docs/contracts/admin-api.md §3). */

/** POST and PUT (PATCH: partial); `users` are added to the group, never removed. */
export const GroupBody = S.object({
  name: S.string({ maxLength: 200 }),
  is_default: S.optional(S.boolean()),
  external_id: S.optional(S.nullable(S.string({ maxLength: 255 }))),
  users: S.optional(S.pkList({ description: 'Users to add (members of the organisation)' })),
});
export type GroupBodyInput = Static<typeof GroupBody>;

/** add-users / remove-users. */
export const GroupUserIds = S.object({ user_ids: S.pkList() });
export type GroupUserIdsInput = Static<typeof GroupUserIds>;

export const GroupJson = S.response(
  {
    id: S.integer(),
    name: S.string(),
    is_default: S.boolean(),
    external_id: S.nullable(S.string()),
    users: S.list(
      S.response({
        id: S.integer(),
        email: S.string(),
        first_name: S.string(),
        last_name: S.string(),
        last_login: S.nullable(S.dateTime()),
        group_admin: S.boolean(),
      }),
    ),
  },
  { title: 'UserGroup' },
);
export type GroupJson = Static<typeof GroupJson>;

export const GroupSummaryJson = S.response({ id: S.integer(), name: S.string() });
export type GroupSummaryJson = Static<typeof GroupSummaryJson>;
