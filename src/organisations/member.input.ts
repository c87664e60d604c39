import { fieldError } from '../common/errors';
import { BodyReader, parseId } from '../common/validation';
import { ORGANISATION_ROLES, OrganisationRole } from './organisation.entity';

/** POST /organisations/{id}/users/{userId}/update-role/ */
export function readRole(body: unknown): OrganisationRole {
  const v = new BodyReader(body);
  const role = v.choice('role', ORGANISATION_ROLES);
  v.assertValid();
  return role!;
}

/** POST /organisations/{id}/remove-users/: `[{"id": 1}, …]` or `[1, …]`. */
export function readUserIds(body: unknown): number[] {
  const items = Array.isArray(body) ? (body as unknown[]) : undefined;
  if (!items) throw fieldError('non_field_errors', 'Expected a list of items.');
  const ids = items.map((item) =>
    parseId(typeof item === 'object' && item !== null ? (item as Record<string, unknown>).id : item),
  );
  if (ids.some((id) => id === undefined)) throw fieldError('id', 'A valid integer is required.');
  return ids as number[];
}
