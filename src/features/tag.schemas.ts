import { S, type Static } from '../http/schema';

/** Request and response schemas of /api/v1/projects/{project_pk}/tags/ (docs/contracts/admin-api.md §4). */

/** POST and PUT (PATCH: partial). */
export const TagInput = S.object({
  label: S.string({ maxLength: 100 }),
  color: S.optional(S.string({ maxLength: 10, description: 'Default #6837FC' })),
  description: S.optional(S.nullable(S.string({ maxLength: 512, allowBlank: true }))),
  is_permanent: S.optional(S.boolean()),
});
export type TagInput = Static<typeof TagInput>;

export const TagJson = S.response(
  {
    id: S.integer(),
    uuid: S.string(),
    label: S.string(),
    color: S.string(),
    description: S.nullable(S.string({ allowBlank: true })),
    project: S.integer(),
    is_permanent: S.boolean(),
    is_system_tag: S.literal(false),
    type: S.literal('NONE'),
  },
  { title: 'Tag' },
);
export type TagJson = Static<typeof TagJson>;

export const TagPage = S.page(TagJson);
