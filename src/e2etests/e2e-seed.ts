import type {
  EnvironmentPermission,
  OrganisationPermission,
  ProjectPermission,
} from '../permissions/permission-keys';

/**
 * What Flagsmith's e2e hooks delete and seed (its `api/e2etests/e2e_seed_data.py` and the E2E_* names of its
 * settings): the accounts its frontend Playwright suite signs in with, their organisations, projects and
 * environments. Data, not code: the service reads it.
 */
export const E2E_TEST_EMAIL_DOMAIN = 'flagsmithe2etestdomain.io';
const email = (local: string) => `${local}@${E2E_TEST_EMAIL_DOMAIN}`;

export const E2E_USERS = {
  signUp: email('e2e_signup_user'),
  changeEmail: email('e2e_change_email'),
  admin: email('e2e_user'),
  orgPermissions: email('e2e_non_admin_user_with_org_permissions'),
  projectPermissions: email('e2e_non_admin_user_with_project_permissions'),
  envPermissions: email('e2e_non_admin_user_with_env_permissions'),
  withRole: email('e2e_non_admin_user_with_a_role'),
  separate: email('e2e_separate_test_user'),
  billing: email('e2e_billing_user'),
} as const;
export type E2eUser = keyof typeof E2E_USERS;

/** Every account the teardown deletes (with every organisation it belongs to), in Flagsmith's order. */
export const E2E_TEARDOWN_USERS: readonly E2eUser[] = [
  'signUp',
  'admin',
  'changeEmail',
  'orgPermissions',
  'projectPermissions',
  'envPermissions',
  'withRole',
  'separate',
  'billing',
];

/** The password of every seeded account. */
export const E2E_PASSWORD = 'Str0ngp4ssw0rd!';
/** The identifier of the identities the segment tests use. */
export const E2E_IDENTITY = 'test-identity';

export interface SeedOrganisation {
  readonly name: string;
  readonly admin: E2eUser;
  readonly members: readonly E2eUser[];
  readonly memberPermissions: Partial<Record<E2eUser, readonly OrganisationPermission[]>>;
  readonly groups: readonly string[];
  readonly projects: readonly SeedProject[];
}

export interface SeedProject {
  readonly name: string;
  readonly environments: readonly string[];
  readonly userPermissions: Partial<Record<E2eUser, readonly ProjectPermission[]>>;
  /** Granted on each of the project's environments. */
  readonly environmentPermissions: Partial<Record<E2eUser, readonly EnvironmentPermission[]>>;
}

const project = (
  name: string,
  environments: readonly string[] = ['Development'],
  extra: Partial<SeedProject> = {},
) => ({
  name,
  environments,
  userPermissions: {},
  environmentPermissions: {},
  ...extra,
});

export const E2E_ORGANISATIONS: readonly SeedOrganisation[] = [
  {
    name: 'Bullet Train Ltd',
    admin: 'admin',
    members: ['orgPermissions', 'projectPermissions', 'envPermissions', 'withRole'],
    memberPermissions: { orgPermissions: ['CREATE_PROJECT', 'MANAGE_USER_GROUPS'] },
    groups: ['TestGroup'],
    projects: [
      project('My Test Project', ['Development', 'Production']),
      project('My Test Project 2'),
      project('My Test Project 3'),
      project('My Test Project 4'),
      project('My Test Project 5 Project Permission', ['Development'], {
        userPermissions: {
          projectPermissions: ['VIEW_PROJECT', 'CREATE_ENVIRONMENT', 'CREATE_FEATURE', 'VIEW_AUDIT_LOG'],
        },
      }),
      project('My Test Project 6 Env Permission', ['Development'], {
        userPermissions: { envPermissions: ['VIEW_PROJECT', 'CREATE_FEATURE'] },
        environmentPermissions: {
          envPermissions: ['VIEW_ENVIRONMENT', 'UPDATE_FEATURE_STATE', 'VIEW_IDENTITIES'],
        },
      }),
      project('My Test Project 7 Role'),
    ],
  },
  {
    name: 'E2E Separate Org',
    admin: 'separate',
    members: [],
    memberPermissions: {},
    groups: [],
    projects: [],
  },
  { name: 'E2E Billing Org', admin: 'billing', members: [], memberPermissions: {}, groups: [], projects: [] },
];

/** Flagsmith gives every seeded environment but the first project's two an identity `test-identity`. */
export const E2E_ENVIRONMENTS_WITHOUT_IDENTITY = 2;
