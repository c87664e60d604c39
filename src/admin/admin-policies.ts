import { DataSource } from 'typeorm';
import { Principal } from '../auth/principal';
import { Environment, EnvironmentApiKey } from '../environments/environment.entity';
import { CreateEnvironment, ServerKeyInput, UpdateEnvironment } from '../environments/environment.schemas';
import { EnvironmentsService } from '../environments/environments.service';
import { readInput } from '../http/schema';
import { IdentitiesService } from '../identities/identities.service';
import { Identity, Trait } from '../identities/identity.entity';
import { IdentityInput, TraitInput } from '../identities/identity.schemas';
import { MembersService } from '../organisations/members.service';
import { Organisation, OrganisationMembership } from '../organisations/organisation.entity';
import { CreateOrganisation, UpdateOrganisation, UpdateRole } from '../organisations/organisation.schemas';
import { OrganisationsService } from '../organisations/organisations.service';
import { GRANT_SCHEMAS } from '../permissions/grant.schemas';
import type { GrantScope, GrantSubject } from '../permissions/grants.repository';
import { GrantsService } from '../permissions/grants.service';
import type { PermissionLevel } from '../permissions/permission-keys';
import {
  EnvironmentGroupPermission,
  EnvironmentUserPermission,
  OrganisationGroupPermission,
  OrganisationUserPermission,
  ProjectGroupPermission,
  ProjectUserPermission,
} from '../permissions/permission.entity';
import { Project } from '../projects/project.entity';
import { CreateProject, UpdateProject } from '../projects/project.schemas';
import { ProjectsService } from '../projects/projects.service';
import { AccountsService } from '../users/accounts.service';
import { User } from '../users/user.entity';
import { AdminUserInput, AdminUserUpdate } from '../users/user.schemas';
import {
  AdminWriteError,
  FIXED_PARENT,
  idOf,
  snakeBody,
  unchanged,
  Values,
  WritePolicy,
} from './admin-writer';
import type { FeatureServices } from './feature-policies';
import { environmentOf, identityOf, projectOf } from './panel-lookups';
import type { SegmentServices } from './segment-policies';

export const VALUE_TYPES = ['unicode', 'int', 'bool'] as const;

/** The API services the panel writes through. */
export interface ApiServices extends FeatureServices, SegmentServices {
  organisations: OrganisationsService;
  projects: ProjectsService;
  environments: EnvironmentsService;
  identities: IdentitiesService;
  grants: GrantsService;
  members: MembersService;
  accounts: AccountsService;
}

/** camelCase panel values → the API's snake_case body (`organisationId` → `organisation`). */
export function serviceBody(values: Values): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    const name = /^(organisation|project|environment)Id$/.test(key)
      ? key.slice(0, -2)
      : key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    body[name] = value;
  }
  return body;
}

/** A date-time the panel parsed, as the API's body carries it. */
const isoOrNull = (value: unknown) => (value instanceof Date ? value.toISOString() : value);

/**
 * Every resource the panel writes, each through the API's domain service with the API's schema (readInput), so
 * each rule of the API — validation and messages, ownership, audit entry, change event — holds for the panel
 * too. Features and feature states: feature-policies.ts; segments, rules, conditions and segment overrides:
 * segment-policies.ts.
 */
export function servicePolicies(api: ApiServices, dataSource: DataSource) {
  const organisation: WritePolicy<Organisation> = {
    entity: Organisation,
    label: 'Organisation',
    service: {
      create: async (principal, values) => {
        api.organisations.assertMayCreate(principal);
        return api.organisations.create(principal, readInput(CreateOrganisation, serviceBody(values)));
      },
      update: (principal, row, values) =>
        api.organisations.update(
          principal,
          row,
          readInput(UpdateOrganisation, serviceBody(values), { partial: true }),
        ),
      remove: (_principal, row) => api.organisations.remove(row),
    },
  };
  const project: WritePolicy<Project> = {
    entity: Project,
    label: 'Project',
    service: {
      create: (principal, values) =>
        api.projects.create(principal, readInput(CreateProject, serviceBody(values))),
      update: (principal, row, values) =>
        api.projects.update(principal, row, readInput(UpdateProject, serviceBody(values), { partial: true })),
      remove: (principal, row) => api.projects.remove(principal, row),
    },
  };
  const environment: WritePolicy<Environment> = {
    entity: Environment,
    label: 'Environment',
    service: {
      create: (principal, values) =>
        api.environments.create(principal, readInput(CreateEnvironment, serviceBody(values))),
      update: async (principal, row, values) =>
        api.environments.update(
          principal,
          await environmentOf(dataSource, row.id, 'id'),
          readInput(UpdateEnvironment, serviceBody(values), { partial: true }),
        ),
      remove: async (principal, row) =>
        api.environments.remove(principal, await environmentOf(dataSource, row.id, 'id')),
    },
  };

  /** …/environments/{key}/api-keys/: the key is made by the service; the environment is fixed. */
  const keyBody = (values: Values) =>
    snakeBody({ name: values.name, active: values.active, expiresAt: isoOrNull(values.expiresAt) });
  const serverKey: WritePolicy<EnvironmentApiKey> = {
    entity: EnvironmentApiKey,
    label: 'Server-side environment key',
    service: {
      async create(_principal, values) {
        const env = await environmentOf(dataSource, idOf(values, 'environmentId'));
        return api.environments.createServerKey(env, readInput(ServerKeyInput, keyBody(values)));
      },
      async update(_principal, row, values) {
        unchanged(values, row, FIXED_PARENT, 'environmentId');
        const env = await environmentOf(dataSource, row.environmentId);
        const input = readInput(ServerKeyInput, keyBody(values), { partial: true });
        return api.environments.updateServerKey(env, row.id, input);
      },
      async remove(_principal, row) {
        await api.environments.deleteServerKey(await environmentOf(dataSource, row.environmentId), row.id);
      },
    },
  };

  const identity: WritePolicy<Identity> = {
    entity: Identity,
    label: 'Identity',
    service: {
      async create(principal, values) {
        const env = await environmentOf(dataSource, idOf(values, 'environmentId'));
        return api.identities.create(principal, env, readInput(IdentityInput, snakeBody(values)));
      },
      async update(principal, row, values) {
        unchanged(values, row, FIXED_PARENT, 'environmentId');
        const env = await environmentOf(dataSource, row.environmentId);
        const { environmentId: _e, ...rest } = values;
        const input = readInput(IdentityInput, snakeBody(rest), { partial: true });
        return api.identities.update(principal, env, row.id, input);
      },
      async remove(principal, row) {
        await api.identities.remove(principal, await environmentOf(dataSource, row.environmentId), row.id);
      },
    },
  };

  const traitParents = async (identityId: number | undefined) => {
    const owner = await identityOf(dataSource, identityId);
    return { owner, env: await environmentOf(dataSource, owner.environmentId) };
  };
  const trait: WritePolicy<Trait> = {
    entity: Trait,
    label: 'Trait',
    service: {
      async create(principal, values) {
        const { owner, env } = await traitParents(idOf(values, 'identityId'));
        const { identityId: _i, ...rest } = values;
        return api.identities.createTrait(principal, env, owner, readInput(TraitInput, snakeBody(rest)));
      },
      async update(principal, row, values) {
        unchanged(values, row, FIXED_PARENT, 'identityId');
        const { owner, env } = await traitParents(row.identityId);
        const { identityId: _i, ...rest } = values;
        const input = readInput(TraitInput, snakeBody(rest), { partial: true });
        return api.identities.updateTrait(principal, env, owner, row.id, input);
      },
      async remove(principal, row) {
        const { owner, env } = await traitParents(row.identityId);
        await api.identities.removeTrait(principal, env, owner, row, false);
      },
    },
  };

  const membership: WritePolicy<OrganisationMembership> = {
    entity: OrganisationMembership,
    label: 'Organisation membership',
    service: {
      async create(_principal, values) {
        const input = readInput(UpdateRole, { role: values.role });
        const organisationId = idOf(values, 'organisationId');
        const userId = idOf(values, 'userId');
        if (organisationId === undefined || userId === undefined)
          throw new AdminWriteError({
            ...(organisationId === undefined ? { organisationId: 'Required.' } : {}),
            ...(userId === undefined ? { userId: 'Required.' } : {}),
          });
        return api.members.add(organisationId, userId, input.role);
      },
      async update(_principal, row, values) {
        unchanged(values, row, FIXED_PARENT, 'organisationId', 'userId');
        if (values.role === undefined) return row;
        const input = readInput(UpdateRole, { role: values.role });
        return api.members.updateRole(row.organisationId, row.userId, input.role);
      },
      remove: (_principal, row) => api.members.removeUsers(row.organisationId, [row.userId]),
    },
  };

  const user: WritePolicy<User> = {
    entity: User,
    label: 'User',
    service: {
      create: (principal, values) =>
        api.accounts.createByAdmin(principal, readInput(AdminUserInput, snakeBody(values))),
      update: (principal, row, values) =>
        api.accounts.updateByAdmin(
          principal,
          row.id,
          readInput(AdminUserUpdate, snakeBody(values), { partial: true }),
        ),
      remove: (principal, row) => api.accounts.deleteByAdmin(principal, row.id),
    },
  };

  return {
    organisation,
    project,
    environment,
    serverKey,
    identity,
    trait,
    membership,
    user,
    ...grantPolicies(api, dataSource),
  };
}

type GrantEntity = { id: number; permissions: string[]; admin?: boolean };

/** The six grant tables, written by GrantsService with the schemas of …/user-permissions/ and …/user-group-permissions/. */
function grantPolicies(api: ApiServices, dataSource: DataSource) {
  const scopeOf = async (level: PermissionLevel, id: number | undefined): Promise<GrantScope> => {
    const field = `${level}Id`;
    if (level === 'organisation') {
      const org = id === undefined ? null : await dataSource.getRepository(Organisation).findOneBy({ id });
      if (!org)
        throw new AdminWriteError({ [field]: id === undefined ? 'Required.' : 'No such organisation.' });
      return { level, id: org.id, organisationId: org.id };
    }
    if (level === 'project') {
      const project = await projectOf(dataSource, id, field);
      return { level, id: project.id, organisationId: project.organisationId };
    }
    const env = await environmentOf(dataSource, id, field);
    return { level, id: env.id, organisationId: env.project.organisationId };
  };

  const policy = <E extends GrantEntity>(
    entity: new () => E,
    label: string,
    level: PermissionLevel,
    subject: GrantSubject,
  ): WritePolicy<E> => {
    const parent = `${level}Id`;
    const grantee = `${subject}Id`;
    const reload = (id: number) => dataSource.getRepository(entity).findOneByOrFail({ id } as never);
    const fields = (values: Values) => ({
      ...(values.permissions !== undefined ? { permissions: values.permissions } : {}),
      ...(values.admin !== undefined ? { admin: values.admin } : {}),
    });
    return {
      entity,
      label,
      service: {
        async create(_principal: Principal, values: Values) {
          const scope = await scopeOf(level, idOf(values, parent));
          const input = readInput(GRANT_SCHEMAS[level].create[subject], {
            [subject]: values[grantee],
            permissions: [],
            ...fields(values),
          }) as { permissions?: string[]; admin?: boolean } & Record<GrantSubject, number>;
          const row = await api.grants.create(scope, subject, input[subject], input);
          return reload(row.id);
        },
        async update(_principal: Principal, row: E, values: Values) {
          unchanged(values, row, FIXED_PARENT, parent as keyof E & string, grantee as keyof E & string);
          const record = row as unknown as Record<string, number>;
          const scope = await scopeOf(level, record[parent]);
          const input = readInput(GRANT_SCHEMAS[level].update, fields(values), { partial: true }) as {
            permissions?: string[];
            admin?: boolean;
          };
          await api.grants.update(scope, subject, row.id, input);
          return reload(row.id);
        },
        async remove(_principal: Principal, row: E) {
          const scope = await scopeOf(level, (row as unknown as Record<string, number>)[parent]);
          await api.grants.remove(scope, subject, row.id);
        },
      },
      fields: { [subject]: grantee, [level]: parent },
    };
  };

  return {
    organisationUser: policy(
      OrganisationUserPermission,
      'Organisation user permission',
      'organisation',
      'user',
    ),
    organisationGroup: policy(
      OrganisationGroupPermission,
      'Organisation group permission',
      'organisation',
      'group',
    ),
    projectUser: policy(ProjectUserPermission, 'Project user permission', 'project', 'user'),
    projectGroup: policy(ProjectGroupPermission, 'Project group permission', 'project', 'group'),
    environmentUser: policy(EnvironmentUserPermission, 'Environment user permission', 'environment', 'user'),
    environmentGroup: policy(
      EnvironmentGroupPermission,
      'Environment group permission',
      'environment',
      'group',
    ),
  };
}
