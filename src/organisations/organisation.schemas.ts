import { Type } from '@sinclair/typebox';
import { parseId } from '../common/drf-values';
import { type FieldErrors, S, type Static } from '../http/schema';
import { ORGANISATION_ROLES } from './organisation.entity';

/** Request and response schemas of /api/v1/organisations/ and its members (docs/contracts/admin-api.md §3). */

const Role = S.choice(['ADMIN', 'USER'] as const satisfies typeof ORGANISATION_ROLES);

export const CreateOrganisation = S.object({
  name: S.string({ maxLength: 2000 }),
  webhook_notification_email: S.optional(S.nullable(S.email())),
  restrict_project_create_to_admin: S.optional(S.boolean()),
  /** Flagsmith's write-only Flagsmith-on-Flagsmith key: taken at creation only, never returned. */
  targeting_key: S.optional(S.nullable(S.string({ maxLength: 64 }))),
});
export type CreateOrganisationInput = Static<typeof CreateOrganisation>;

/** PUT (PATCH: partial): the fields sent are written. */
export const UpdateOrganisation = S.object({
  name: S.string({ maxLength: 2000 }),
  webhook_notification_email: S.optional(S.nullable(S.email())),
  restrict_project_create_to_admin: S.optional(S.boolean()),
  persist_trait_data: S.optional(S.boolean()),
  stop_serving_flags: S.optional(S.boolean()),
  block_access_to_admin: S.optional(S.boolean()),
  force_2fa: S.optional(S.boolean()),
});
export type UpdateOrganisationInput = Static<typeof UpdateOrganisation>;

export const OrganisationJson = S.response(
  {
    id: S.integer(),
    uuid: S.string(),
    name: S.string(),
    created_date: S.dateTime(),
    webhook_notification_email: S.nullable(S.string()),
    num_seats: S.integer(),
    subscription: S.response({
      id: S.nullable(S.integer()),
      uuid: S.nullable(S.string()),
      subscription_id: S.nullable(S.string()),
      subscription_date: S.nullable(S.dateTime()),
      plan: S.nullable(S.string()),
      max_seats: S.integer(),
      max_api_calls: S.nullable(S.integer()),
      cancellation_date: S.nullable(S.dateTime()),
      customer_id: S.nullable(S.string()),
      payment_method: S.nullable(S.string()),
      notes: S.nullable(S.string()),
    }),
    role: S.nullable(S.string({ description: 'ADMIN or USER; null when the caller is no member' })),
    persist_trait_data: S.boolean(),
    block_access_to_admin: S.boolean(),
    restrict_project_create_to_admin: S.boolean(),
    force_2fa: S.boolean(),
    stop_serving_flags: S.boolean(),
    feature_analytics: S.boolean(),
  },
  { title: 'Organisation' },
);
export type OrganisationJson = Static<typeof OrganisationJson>;

// ---- members

/** `?exclude_current=true` leaves the caller out (only "true", "True" and "1" count, as before). */
export const MembersQuery = S.object({
  exclude_current: S.optional(S.unchecked(S.boolean())),
});
export type MembersQueryInput = Static<typeof MembersQuery>;

export const UpdateRole = S.object({ role: Role });
export type UpdateRoleInput = Static<typeof UpdateRole>;

export const OrganisationUserJson = S.response({
  id: S.integer(),
  email: S.string(),
  first_name: S.string(),
  last_name: S.string(),
  last_login: S.nullable(S.dateTime()),
  uuid: S.string(),
  role: Role,
  date_joined: S.dateTime(),
});
export type OrganisationUserJson = Static<typeof OrganisationUserJson>;

/**
 * POST /organisations/{id}/remove-users/: a JSON list of users, each `{"id": 1}` or a bare id; the ids, or 400 as
 * this route has always answered (non_field_errors for a body that is not a list, `id` for a bad item).
 */
export const RemovedUsers = S.reader<number[]>(
  S.list(Type.Union([S.object({ id: S.integer() }), S.integer()])),
  (raw) => {
    const refused = (errors: FieldErrors) => ({ error: errors });
    if (!Array.isArray(raw)) return refused({ non_field_errors: ['Expected a list of items.'] });
    const ids: number[] = [];
    for (const item of raw as unknown[]) {
      const id = parseId(typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : item);
      if (id === undefined) return refused({ id: ['A valid integer is required.'] });
      ids.push(id);
    }
    return { value: ids };
  },
);
