import { EntityManager } from 'typeorm';
import { unusablePassword } from '../auth/passwords';
import { newServerKey } from '../common/keys';
import { Environment, EnvironmentApiKey } from '../environments/environment.entity';
import { CreateEnvironment, UpdateEnvironment } from '../environments/environment.schemas';
import { EnvironmentsService } from '../environments/environments.service';
import { FeatureSegment, FeatureValueType } from '../features/feature.entity';
import { Identity, Trait } from '../identities/identity.entity';
import { Organisation, OrganisationMembership } from '../organisations/organisation.entity';
import { CreateOrganisation, UpdateOrganisation } from '../organisations/organisation.schemas';
import { OrganisationsService } from '../organisations/organisations.service';
import {
  EnvironmentGroupPermission,
  EnvironmentUserPermission,
  OrganisationGroupPermission,
  OrganisationUserPermission,
  ProjectGroupPermission,
  ProjectUserPermission,
} from '../permissions/permission.entity';
import { Project } from '../projects/project.entity';
import { readInput } from '../http/schema';
import { CreateProject, UpdateProject } from '../projects/project.schemas';
import { ProjectsService } from '../projects/projects.service';
import {
  Segment,
  SEGMENT_CONDITION_OPERATORS,
  SEGMENT_RULE_TYPES,
  SegmentCondition,
  SegmentRule,
} from '../segments/segment.entity';
import { User } from '../users/user.entity';
import { NO_SCOPE, Scope, Values, WritePolicy } from './admin-writer';
import type { FeatureServices } from './feature-policies';

// ---- scopes

async function environmentScope(manager: EntityManager, environmentId: number): Promise<Scope> {
  const [row] = await manager.query<{ project_id: number; organisation_id: number }[]>(
    `SELECT e.project_id, p.organisation_id FROM environments e JOIN projects p ON p.id = e.project_id WHERE e.id = $1`,
    [environmentId],
  );
  return row
    ? { environmentId, projectId: row.project_id, organisationId: row.organisation_id }
    : { ...NO_SCOPE, environmentId };
}

async function projectScope(manager: EntityManager, projectId: number): Promise<Scope> {
  const [row] = await manager.query<{ organisation_id: number }[]>(
    'SELECT organisation_id FROM projects WHERE id = $1',
    [projectId],
  );
  return { environmentId: null, projectId, organisationId: row?.organisation_id ?? null };
}

/** A rule's segment is found by walking up nested rules. */
async function ruleScope(manager: EntityManager, ruleId: number): Promise<Scope> {
  const [row] = await manager.query<{ project_id: number }[]>(
    `WITH RECURSIVE up(id, rule_id, segment_id) AS (
       SELECT id, rule_id, segment_id FROM segment_rules WHERE id = $1
       UNION ALL SELECT r.id, r.rule_id, r.segment_id FROM segment_rules r JOIN up ON r.id = up.rule_id)
     SELECT s.project_id FROM up JOIN segments s ON s.id = up.segment_id LIMIT 1`,
    [ruleId],
  );
  return row ? projectScope(manager, row.project_id) : NO_SCOPE;
}

const organisationScope = (organisationId: number): Scope => ({ ...NO_SCOPE, organisationId });

// ---- value checks

export const VALUE_TYPES: readonly FeatureValueType[] = ['unicode', 'int', 'bool'];

function required(values: Values, existing: object | null, ...keys: string[]): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const key of keys) {
    const value =
      key in values ? values[key] : existing ? (existing as Record<string, unknown>)[key] : undefined;
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === ''))
      errors[key] = 'Required.';
  }
  return errors;
}

/** Parent links of existing rows stay put: moving a state or condition elsewhere is a new record. */
function fixed(values: Values, existing: object | null, ...keys: string[]): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!existing) return errors;
  for (const key of keys) {
    if (key in values && values[key] !== (existing as Record<string, unknown>)[key])
      errors[key] = 'Cannot be changed; create a new record instead.';
  }
  return errors;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

// ---- policies

/** The API services the panel writes through (features and feature states: see feature-policies.ts). */
export interface ApiServices extends FeatureServices {
  organisations: OrganisationsService;
  projects: ProjectsService;
  environments: EnvironmentsService;
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

/** Organisations, projects and environments are written by the API's own services. */
export function servicePolicies(api: ApiServices) {
  const organisation: WritePolicy<Organisation> = {
    entity: Organisation,
    label: 'Organisation',
    auditType: 'ORGANISATION',
    impact: 'organisation',
    describe: (o) => o.name,
    scope: async (_m, o) => organisationScope(o.id),
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
    auditType: 'PROJECT',
    impact: 'project',
    describe: (p) => p.name,
    scope: (m, p) => projectScope(m, p.id),
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
    auditType: 'ENVIRONMENT',
    impact: 'environment',
    describe: (e) => e.name,
    scope: (m, e) => environmentScope(m, e.id),
    service: {
      create: (principal, values) =>
        api.environments.create(principal, readInput(CreateEnvironment, serviceBody(values))),
      update: (principal, row, values) =>
        api.environments.update(
          principal,
          row,
          readInput(UpdateEnvironment, serviceBody(values), { partial: true }),
        ),
      remove: (principal, row) => api.environments.remove(principal, row),
    },
  };
  return { organisation, project, environment };
}

export const userPolicy: WritePolicy<User> = {
  entity: User,
  label: 'User',
  impact: 'none',
  describe: (u) => u.email,
  scope: async () => NO_SCOPE,
  async validate(manager, values, existing) {
    const errors = required(values, existing, 'email');
    if (typeof values.email === 'string') {
      const email = values.email.trim();
      values.email = email;
      if (!EMAIL.test(email)) errors.email = 'Enter a valid email address.';
      const clash = await manager
        .getRepository(User)
        .createQueryBuilder('u')
        .where('lower(u.email) = lower(:email)', { email: values.email })
        .andWhere('u.id <> :id', { id: existing?.id ?? 0 })
        .getExists();
      if (clash) errors.email = 'A user with this email already exists.';
    }
    // Passwords are never set here: new users get an unusable one and choose theirs via password reset.
    delete values.password;
    if (!existing) values.password = unusablePassword();
    return errors;
  },
};

export const membershipPolicy: WritePolicy<OrganisationMembership> = {
  entity: OrganisationMembership,
  label: 'Organisation membership',
  auditType: 'ORGANISATION',
  impact: 'none',
  describe: (m) => `user ${m.userId} in organisation ${m.organisationId} (${m.role})`,
  scope: async (_m, row) => organisationScope(row.organisationId),
  async validate(_m, values, existing) {
    const errors = { ...required(values, existing, 'userId', 'organisationId', 'role') };
    if (values.role !== undefined && values.role !== 'ADMIN' && values.role !== 'USER')
      errors.role = 'Choose ADMIN or USER.';
    return errors;
  },
};

export const serverKeyPolicy: WritePolicy<EnvironmentApiKey> = {
  entity: EnvironmentApiKey,
  label: 'Server-side environment key',
  auditType: 'ENVIRONMENT',
  impact: 'keys',
  describe: (k) => k.name,
  scope: (m, k) => environmentScope(m, k.environmentId),
  async validate(_m, values, existing) {
    delete values.key;
    if (!existing) values.key = newServerKey();
    return {
      ...required(values, existing, 'name', 'environmentId'),
      ...fixed(values, existing, 'environmentId'),
    };
  },
};

export const featureSegmentPolicy: WritePolicy<FeatureSegment> = {
  entity: FeatureSegment,
  label: 'Segment override',
  auditType: 'FEATURE',
  impact: 'environment',
  describe: (fs) => `feature ${fs.featureId}, segment ${fs.segmentId}`,
  scope: (m, fs) => environmentScope(m, fs.environmentId),
  async validate(_m, values, existing) {
    return fixed(values, existing, 'featureId', 'segmentId', 'environmentId');
  },
};

export const segmentPolicy: WritePolicy<Segment> = {
  entity: Segment,
  label: 'Segment',
  auditType: 'SEGMENT',
  impact: 'project',
  describe: (s) => s.name,
  scope: (m, s) => projectScope(m, s.projectId),
  async validate(_m, values, existing) {
    return { ...required(values, existing, 'name', 'projectId'), ...fixed(values, existing, 'projectId') };
  },
};

export const segmentRulePolicy: WritePolicy<SegmentRule> = {
  entity: SegmentRule,
  label: 'Segment rule',
  auditType: 'SEGMENT',
  impact: 'project',
  describe: (r) => `${r.type} rule ${r.id}`,
  async scope(manager, r) {
    return ruleScope(manager, r.id);
  },
  async validate(manager, values, existing) {
    const errors = required(values, existing, 'type');
    if (values.type !== undefined && !SEGMENT_RULE_TYPES.includes(values.type as never))
      errors.type = 'Choose ALL, ANY or NONE.';
    const segmentId = 'segmentId' in values ? values.segmentId : existing?.segmentId;
    const ruleId = 'ruleId' in values ? values.ruleId : existing?.ruleId;
    if ((segmentId ?? null) === null && (ruleId ?? null) === null)
      errors.segmentId = 'Set either the segment (top-level rule) or the parent rule.';
    else if ((segmentId ?? null) !== null && (ruleId ?? null) !== null)
      errors.ruleId = 'A rule belongs to a segment or to a parent rule, not both.';
    if (existing && typeof ruleId === 'number') {
      const [cycle] = await manager.query<{ n: number }[]>(
        `WITH RECURSIVE up(id, rule_id) AS (SELECT id, rule_id FROM segment_rules WHERE id = $1
           UNION ALL SELECT r.id, r.rule_id FROM segment_rules r JOIN up ON r.id = up.rule_id)
         SELECT count(*)::int AS n FROM up WHERE id = $2`,
        [ruleId, existing.id],
      );
      if (cycle.n > 0) errors.ruleId = 'A rule cannot be nested inside itself.';
    }
    return errors;
  },
};

export const segmentConditionPolicy: WritePolicy<SegmentCondition> = {
  entity: SegmentCondition,
  label: 'Segment condition',
  auditType: 'SEGMENT',
  impact: 'project',
  describe: (c) => `${c.property ?? ''} ${c.operator} ${c.value ?? ''}`.trim(),
  scope: (m, c) => ruleScope(m, c.ruleId),
  async validate(_m, values, existing) {
    const errors = required(values, existing, 'operator', 'ruleId');
    const operator = values.operator ?? existing?.operator;
    if (operator !== undefined && !SEGMENT_CONDITION_OPERATORS.includes(operator as never))
      errors.operator = 'Not a valid operator.';
    const property = 'property' in values ? values.property : existing?.property;
    if (operator !== 'PERCENTAGE_SPLIT' && (property === null || property === undefined || property === ''))
      errors.property = 'Required for this operator.';
    return errors;
  },
};

export const identityPolicy: WritePolicy<Identity> = {
  entity: Identity,
  label: 'Identity',
  auditType: 'IDENTITY',
  impact: 'environment',
  describe: (i) => i.identifier,
  scope: (m, i) => environmentScope(m, i.environmentId),
  async validate(_m, values, existing) {
    return {
      ...required(values, existing, 'identifier', 'environmentId'),
      ...fixed(values, existing, 'environmentId'),
    };
  },
};

const TRAIT_TYPES = ['unicode', 'int', 'float', 'bool'];

export const traitPolicy: WritePolicy<Trait> = {
  entity: Trait,
  label: 'Trait',
  auditType: 'IDENTITY',
  impact: 'environment',
  describe: (t) => t.traitKey,
  async scope(manager, t) {
    const identity = await manager.getRepository(Identity).findOneBy({ id: t.identityId });
    return identity ? environmentScope(manager, identity.environmentId) : NO_SCOPE;
  },
  async validate(_m, values, existing) {
    const errors = {
      ...required(values, existing, 'identityId', 'traitKey'),
      ...fixed(values, existing, 'identityId'),
    };
    const type = values.valueType ?? existing?.valueType ?? 'unicode';
    if (!TRAIT_TYPES.includes(type as string)) errors.valueType = 'Choose unicode, int, float or bool.';
    const column = { unicode: 'stringValue', int: 'integerValue', float: 'floatValue', bool: 'booleanValue' }[
      type as string
    ];
    if (column && (values[column] ?? (existing as Record<string, unknown> | null)?.[column]) == null)
      errors[column] = `A value is required for a ${type as string} trait.`;
    return errors;
  },
};

type PermissionRow = { id: number; permissions: string[]; admin?: boolean };

function permissionPolicy<E extends PermissionRow>(
  entity: new () => E,
  label: string,
  level: 'organisation' | 'project' | 'environment',
  subject: 'userId' | 'groupId',
): WritePolicy<E> {
  const parent = `${level}Id` as const;
  return {
    entity,
    label,
    impact: 'none',
    describe: (row) =>
      `${subject === 'userId' ? 'user' : 'group'} ${String((row as Record<string, unknown>)[subject])} on ${level} ${String((row as Record<string, unknown>)[parent])}: ${row.admin ? 'ADMIN ' : ''}${row.permissions.join(', ')}`,
    async scope(manager, row) {
      const id = (row as Record<string, unknown>)[parent] as number;
      if (level === 'organisation') return organisationScope(id);
      return level === 'project' ? projectScope(manager, id) : environmentScope(manager, id);
    },
    async validate(_m, values, existing) {
      const errors = {
        ...required(values, existing, parent, subject),
        ...fixed(values, existing, parent, subject),
      };
      if (values.permissions !== undefined) {
        const list = Array.isArray(values.permissions) ? values.permissions : [];
        values.permissions = [...new Set(list.map((p) => String(p).trim().toUpperCase()).filter(Boolean))];
      } else if (!existing) values.permissions = [];
      return errors;
    },
  };
}

export const permissionPolicies = {
  organisationUser: permissionPolicy(
    OrganisationUserPermission,
    'Organisation user permission',
    'organisation',
    'userId',
  ),
  organisationGroup: permissionPolicy(
    OrganisationGroupPermission,
    'Organisation group permission',
    'organisation',
    'groupId',
  ),
  projectUser: permissionPolicy(ProjectUserPermission, 'Project user permission', 'project', 'userId'),
  projectGroup: permissionPolicy(ProjectGroupPermission, 'Project group permission', 'project', 'groupId'),
  environmentUser: permissionPolicy(
    EnvironmentUserPermission,
    'Environment user permission',
    'environment',
    'userId',
  ),
  environmentGroup: permissionPolicy(
    EnvironmentGroupPermission,
    'Environment group permission',
    'environment',
    'groupId',
  ),
};
