import { S, type Static, type TObject, type TSchema } from '../http/schema';
import {
  ENVIRONMENT_PERMISSIONS,
  ORGANISATION_PERMISSIONS,
  PermissionLevel,
  PROJECT_PERMISSIONS,
} from './permission-keys';

/**
 * Request and response schemas of the permission grants (docs/contracts/admin-api.md §0):
 * /api/v1/{organisations/{id}|projects/{project_pk}|environments/{api_key}}/user-permissions/ and
 * …/user-group-permissions/, and the key lists GET /api/v1/{level}/permissions/.
 */

/** GET /api/v1/{level}/permissions/: the keys of a level. */
export const PermissionKeyJson = S.response(
  { key: S.string(), description: S.string(), supports_tag: S.boolean() },
  { title: 'PermissionKey' },
);
export type PermissionKeyJson = Static<typeof PermissionKeyJson>;

/** Who is granted (a user or group id): a member of the scope's organisation, or one of its groups (GrantsService). */
const Grantee = S.integer({ minimum: 1 });

/** PUT and PATCH (both partial, as today): the keys; project and environment grants may also be `admin`. */
export const OrganisationGrantUpdate = S.object({
  permissions: S.choiceList(ORGANISATION_PERMISSIONS),
});
export const ProjectGrantUpdate = S.object({
  permissions: S.optional(S.choiceList(PROJECT_PERMISSIONS)),
  admin: S.optional(S.boolean()),
});
export const EnvironmentGrantUpdate = S.object({
  permissions: S.optional(S.choiceList(ENVIRONMENT_PERMISSIONS)),
  admin: S.optional(S.boolean()),
});

/** POST: the grantee and the grant (an organisation grant names its keys, the others may leave them empty). */
export const OrganisationUserGrantCreate = S.object({
  user: Grantee,
  ...OrganisationGrantUpdate.properties,
});
export const OrganisationGroupGrantCreate = S.object({
  group: Grantee,
  ...OrganisationGrantUpdate.properties,
});
export const ProjectUserGrantCreate = S.object({ user: Grantee, ...ProjectGrantUpdate.properties });
export const ProjectGroupGrantCreate = S.object({ group: Grantee, ...ProjectGrantUpdate.properties });
export const EnvironmentUserGrantCreate = S.object({
  user: Grantee,
  ...EnvironmentGrantUpdate.properties,
});
export const EnvironmentGroupGrantCreate = S.object({
  group: Grantee,
  ...EnvironmentGrantUpdate.properties,
});

/** What a write may set, at any level (the service reads these two fields only). */
export interface GrantFields {
  permissions?: readonly string[];
  admin?: boolean;
}

const GrantedUserJson = S.response({
  id: S.integer(),
  email: S.string(),
  first_name: S.string({ allowBlank: true }),
  last_name: S.string({ allowBlank: true }),
});
const GrantedGroupJson = S.response({ id: S.integer(), name: S.string() });
const GRANT = { id: S.integer(), permissions: S.list(S.string()) };

export const OrganisationUserGrantJson = S.response(
  { ...GRANT, user: GrantedUserJson, organisation: S.integer() },
  { title: 'OrganisationUserPermission' },
);
export const OrganisationGroupGrantJson = S.response(
  { ...GRANT, group: GrantedGroupJson, organisation: S.integer() },
  { title: 'OrganisationGroupPermission' },
);
export const ProjectUserGrantJson = S.response(
  { ...GRANT, user: GrantedUserJson, admin: S.boolean(), project: S.integer() },
  { title: 'ProjectUserPermission' },
);
export const ProjectGroupGrantJson = S.response(
  { ...GRANT, group: GrantedGroupJson, admin: S.boolean(), project: S.integer() },
  { title: 'ProjectGroupPermission' },
);
export const EnvironmentUserGrantJson = S.response(
  { ...GRANT, user: GrantedUserJson, admin: S.boolean(), environment: S.integer() },
  { title: 'EnvironmentUserPermission' },
);
export const EnvironmentGroupGrantJson = S.response(
  { ...GRANT, group: GrantedGroupJson, admin: S.boolean(), environment: S.integer() },
  { title: 'EnvironmentGroupPermission' },
);

/** The schemas of one level's grant routes: PUT and PATCH (both partial), create and answer by grantee. */
interface GrantLevelSchemas {
  readonly update: TObject;
  readonly create: Readonly<Record<'user' | 'group', TObject>>;
  readonly json: Readonly<Record<'user' | 'group', TSchema>>;
}

/** The grant schemas of every level: the API's routes and the admin panel's grant forms read the same ones. */
export const GRANT_SCHEMAS: Readonly<Record<PermissionLevel, GrantLevelSchemas>> = {
  organisation: {
    update: OrganisationGrantUpdate,
    create: { user: OrganisationUserGrantCreate, group: OrganisationGroupGrantCreate },
    json: { user: OrganisationUserGrantJson, group: OrganisationGroupGrantJson },
  },
  project: {
    update: ProjectGrantUpdate,
    create: { user: ProjectUserGrantCreate, group: ProjectGroupGrantCreate },
    json: { user: ProjectUserGrantJson, group: ProjectGroupGrantJson },
  },
  environment: {
    update: EnvironmentGrantUpdate,
    create: { user: EnvironmentUserGrantCreate, group: EnvironmentGroupGrantCreate },
    json: { user: EnvironmentUserGrantJson, group: EnvironmentGroupGrantJson },
  },
};

/** The answer for a grant, by level and grantee. */
export interface GrantJsonOf {
  organisation: {
    user: Static<typeof OrganisationUserGrantJson>;
    group: Static<typeof OrganisationGroupGrantJson>;
  };
  project: { user: Static<typeof ProjectUserGrantJson>; group: Static<typeof ProjectGroupGrantJson> };
  environment: {
    user: Static<typeof EnvironmentUserGrantJson>;
    group: Static<typeof EnvironmentGroupGrantJson>;
  };
}
