import { S, type Static } from '../http/schema';
import {
  PermissionLevel,
  ENVIRONMENT_PERMISSIONS,
  ORGANISATION_PERMISSIONS,
  PROJECT_PERMISSIONS,
} from './permission-keys';
import { Grant } from './permissions.service';

const ALL: Record<PermissionLevel, readonly string[]> = {
  organisation: ORGANISATION_PERMISSIONS,
  project: PROJECT_PERMISSIONS,
  environment: ENVIRONMENT_PERMISSIONS,
};

/** The `…/my-permissions/` body of each level (the `Permissions` component). */
export const MyPermissionsJson = S.component(
  'Permissions',
  S.response({
    permissions: S.list(S.string()),
    admin: S.boolean(),
    tag_based_permissions: S.list(S.object({})),
  }),
);
export type MyPermissionsJson = Static<typeof MyPermissionsJson>;

/** The `…/my-permissions/` body: admins are listed with every key of the level. */
export function myPermissionsJson(level: PermissionLevel, grant: Grant): MyPermissionsJson {
  const permissions = grant.admin ? [...ALL[level]] : ALL[level].filter((k) => grant.permissions.has(k));
  return { permissions, admin: grant.admin, tag_based_permissions: [] };
}
