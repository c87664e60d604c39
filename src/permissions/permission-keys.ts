import type { PermissionKeyJson } from './grant.schemas';

/** Permission keys (docs/contracts/admin-api.md §0) with the descriptions served by GET /api/v1/{level}/permissions/. */
export const ORGANISATION_PERMISSIONS = ['CREATE_PROJECT', 'MANAGE_USER_GROUPS'] as const;
export const PROJECT_PERMISSIONS = [
  'VIEW_PROJECT',
  'CREATE_ENVIRONMENT',
  'DELETE_FEATURE',
  'CREATE_FEATURE',
  'EDIT_FEATURE',
  'MANAGE_SEGMENTS',
  'VIEW_AUDIT_LOG',
  'MANAGE_TAGS',
  'MANAGE_PROJECT_LEVEL_CHANGE_REQUESTS',
  'APPROVE_PROJECT_LEVEL_CHANGE_REQUESTS',
  'CREATE_PROJECT_LEVEL_CHANGE_REQUESTS',
] as const;
export const ENVIRONMENT_PERMISSIONS = [
  'VIEW_ENVIRONMENT',
  'UPDATE_FEATURE_STATE',
  'MANAGE_IDENTITIES',
  'VIEW_IDENTITIES',
  'CREATE_CHANGE_REQUEST',
  'APPROVE_CHANGE_REQUEST',
  'MANAGE_SEGMENT_OVERRIDES',
] as const;

export type OrganisationPermission = (typeof ORGANISATION_PERMISSIONS)[number];
export type ProjectPermission = (typeof PROJECT_PERMISSIONS)[number];
export type EnvironmentPermission = (typeof ENVIRONMENT_PERMISSIONS)[number];
export type PermissionLevel = 'organisation' | 'project' | 'environment';

const d = (key: string, description: string, supportsTag = false): PermissionKeyJson => ({
  key,
  description,
  supports_tag: supportsTag,
});

export const PERMISSION_DESCRIPTIONS: Record<PermissionLevel, PermissionKeyJson[]> = {
  organisation: [
    d('CREATE_PROJECT', 'Allows the user to create projects in this organisation.'),
    d('MANAGE_USER_GROUPS', 'Allows the user to manage the groups in the organisation and their members.'),
  ],
  project: [
    d('VIEW_PROJECT', 'View permission for the given project.'),
    d('CREATE_ENVIRONMENT', 'Ability to create an environment in the given project.'),
    d('DELETE_FEATURE', 'Ability to delete features in the given project.', true),
    d('CREATE_FEATURE', 'Ability to create features in the given project.'),
    d('EDIT_FEATURE', 'Ability to edit features in the given project.'),
    d('MANAGE_SEGMENTS', 'Ability to create, delete and modify segments in the given project.'),
    d('VIEW_AUDIT_LOG', 'Allows the user to view the audit logs for this project.'),
    d('MANAGE_TAGS', 'Allows the user to manage tags in the given project.'),
    d('MANAGE_PROJECT_LEVEL_CHANGE_REQUESTS', 'Allows the user to manage project level change requests.'),
    d('APPROVE_PROJECT_LEVEL_CHANGE_REQUESTS', 'Allows the user to approve project level change requests.'),
    d('CREATE_PROJECT_LEVEL_CHANGE_REQUESTS', 'Allows the user to create project level change requests.'),
  ],
  environment: [
    d('VIEW_ENVIRONMENT', 'View permission for the given environment.'),
    d('UPDATE_FEATURE_STATE', 'Update the state or value for a given feature state.', true),
    d('MANAGE_IDENTITIES', 'Manage identities in the given environment.'),
    d('VIEW_IDENTITIES', 'View identities in the given environment.'),
    d('CREATE_CHANGE_REQUEST', 'Permission to create change requests in the given environment.', true),
    d('APPROVE_CHANGE_REQUEST', 'Permission to approve change requests in the given environment.', true),
    d('MANAGE_SEGMENT_OVERRIDES', 'Permission to manage segment overrides in the given environment.'),
  ],
};
