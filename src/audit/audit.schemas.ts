import { Type } from '@sinclair/typebox';
import { MESSAGES, parseId } from '../common/drf-values';
import type { environmentJson } from '../environments/environment.serializers';
import { PageQuery, S, type Static } from '../http/schema';
import { ProjectJson } from '../projects/project.schemas';

/** Queries and answers of the audit log routes (docs/contracts/admin-api.md §10). */

/** django-filter's BooleanFilter words (fewer than a body's BooleanField takes). */
export const BOOLEAN_QUERY: Readonly<Record<string, boolean>> = {
  true: true,
  True: true,
  '1': true,
  false: false,
  False: false,
  '0': false,
};

/** `?environments=1,2` or `?environments=1&environments=2`: the ids, or undefined when one is not an id. */
export function environmentIds(value: string | string[]): number[] | undefined {
  const ids = (Array.isArray(value) ? value : [value])
    .flatMap((item) => String(item).split(','))
    .filter((item) => item !== '')
    .map((item) => parseId(item));
  return ids.every((id): id is number => id !== undefined) ? ids : undefined;
}

const environmentsFilter = S.check(
  Type.Unsafe<string | string[]>({
    anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    description: 'Environment ids, comma-separated or repeated',
  }),
  (v) => (environmentIds(v) === undefined ? MESSAGES.integer : undefined),
);

export const AuditQuery = S.object({
  ...PageQuery.properties,
  project: S.optional(S.id()),
  environments: S.optional(environmentsFilter),
  is_system_event: S.optional(
    S.check(S.string({ description: 'true/false (also True/False, 1/0)' }), (v) =>
      v in BOOLEAN_QUERY ? undefined : MESSAGES.boolean,
    ),
  ),
  search: S.optional(S.string({ trim: false, maxLength: 256, description: 'Part of the log line' })),
});
export type AuditQueryInput = Static<typeof AuditQuery>;

/** A nullable component: OpenAPI 3.0 cannot put `nullable` beside a `$ref`, so null is the other choice. */
const nullableRef = <T>(component: string) =>
  Type.Unsafe<T | null>({
    anyOf: [{ $ref: `#/components/schemas/${component}` }, { type: 'object', nullable: true, enum: [null] }],
  });

const AuthorJson = S.response({
  id: S.integer(),
  email: S.string(),
  // Names may be '' (as users/user.schemas.ts's blankable; audit sits below users).
  first_name: S.string({ allowBlank: true }),
  last_name: S.string({ allowBlank: true }),
  last_login: S.nullable(S.dateTime()),
  uuid: S.string(),
});

const AUDIT_FIELDS = {
  id: S.integer(),
  created_date: S.dateTime(),
  log: S.string(),
  author: S.nullable(AuthorJson),
  environment: nullableRef<ReturnType<typeof environmentJson>>('Environment'),
  project: S.nullable(ProjectJson),
  related_object_id: S.nullable(S.integer()),
  related_object_uuid: S.nullable(S.string()),
  related_object_type: S.nullable(S.string()),
  is_system_event: S.boolean(),
};

export const AuditJson = S.response(AUDIT_FIELDS, { title: 'AuditLog' });
export type AuditJson = Static<typeof AuditJson>;
export const AuditPage = S.page(AuditJson);

export const AuditDetailJson = S.response(
  {
    ...AUDIT_FIELDS,
    change_details: S.list(S.response({ field: S.string(), old: Type.Unknown(), new: Type.Unknown() })),
    change_type: S.choice(['CREATE', 'UPDATE', 'DELETE', 'UNKNOWN'] as const),
  },
  { title: 'AuditLogDetail' },
);
export type AuditDetailJson = Static<typeof AuditDetailJson>;
