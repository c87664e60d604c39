import type { GrantJsonOf } from './grant.schemas';
import type { GrantRow, GrantScope, GrantSubject } from './grants.repository';
import type { PermissionLevel } from './permission-keys';

/** A grant as Flagsmith answers it: the grantee as an object, `admin` below organisation level, the scope's id. */
export function grantJson<L extends PermissionLevel, G extends GrantSubject>(
  scope: GrantScope & { level: L },
  subject: G,
  row: GrantRow,
): GrantJsonOf[L][G] {
  const grantee =
    subject === 'user'
      ? row.user && {
          id: row.user.id,
          email: row.user.email,
          first_name: row.user.firstName,
          last_name: row.user.lastName,
        }
      : row.group && { id: row.group.id, name: row.group.name };
  if (!grantee) throw new Error(`grant ${row.id} read without its ${subject}`);
  return {
    id: row.id,
    [subject]: grantee,
    permissions: row.permissions,
    ...(scope.level === 'organisation' ? {} : { admin: row.admin ?? false }),
    [scope.level]: scope.id,
  } as GrantJsonOf[L][G];
}
