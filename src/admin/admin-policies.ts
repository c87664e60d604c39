import { EntityManager, IsNull } from 'typeorm';
import { unusablePassword } from '../auth/passwords';
import { newServerKey } from '../common/keys';
import { Environment, EnvironmentApiKey } from '../environments/environment.entity';
import { EnvironmentsService } from '../environments/environments.service';
import {
  Feature,
  FeatureSegment,
  FeatureState,
  FeatureValueType,
  MultivariateFeatureOption,
  MultivariateFeatureStateValue,
} from '../features/feature.entity';
import { FEATURE_VALUE_LIMIT, typedValueFromInitial } from '../features/feature-values';
import { Identity, Trait } from '../identities/identity.entity';
import { Organisation, OrganisationMembership } from '../organisations/organisation.entity';
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

async function featureScope(manager: EntityManager, featureId: number): Promise<Scope> {
  const [row] = await manager.query<{ project_id: number }[]>(
    'SELECT project_id FROM features WHERE id = $1',
    [featureId],
  );
  return row ? projectScope(manager, row.project_id) : NO_SCOPE;
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

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
export const VALUE_TYPES: readonly FeatureValueType[] = ['unicode', 'int', 'bool'];

/** The typed value columns must agree with `valueType` (what evaluation reads). */
function typedValueErrors(values: Values, existing: object | null, prefix = '') {
  const get = (key: string): unknown =>
    key in values ? values[key] : (existing as Record<string, unknown> | null)?.[key];
  const errors: Record<string, string> = {};
  const type = get(`${prefix}valueType`) ?? get('type') ?? 'unicode';
  const typeKey = values[`${prefix}valueType`] !== undefined ? `${prefix}valueType` : 'type';
  if (!VALUE_TYPES.includes(type as FeatureValueType)) errors[typeKey] = 'Choose unicode, int or bool.';
  const str = get('stringValue');
  if (typeof str === 'string' && str.length > FEATURE_VALUE_LIMIT)
    errors.stringValue = `At most ${FEATURE_VALUE_LIMIT} characters.`;
  const int = get('integerValue');
  if (type === 'int' && (typeof int !== 'number' || !Number.isInteger(int)))
    errors.integerValue = 'An integer is required for an int value.';
  if (typeof int === 'number' && (int < INT32_MIN || int > INT32_MAX || !Number.isInteger(int)))
    errors.integerValue = `Must be an integer between ${INT32_MIN} and ${INT32_MAX}.`;
  if (type === 'bool' && typeof get('booleanValue') !== 'boolean')
    errors.booleanValue = 'true or false is required for a bool value.';
  return errors;
}

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

export interface ApiServices {
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
      create: (principal, values) => api.organisations.create(principal, serviceBody(values)),
      update: (principal, row, values) => api.organisations.update(principal, row, serviceBody(values), true),
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
      create: (principal, values) => api.projects.create(principal, serviceBody(values)),
      update: (principal, row, values) => api.projects.update(principal, row, serviceBody(values), true),
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
      create: (principal, values) => api.environments.create(principal, serviceBody(values)),
      update: (principal, row, values) => api.environments.update(principal, row, serviceBody(values), true),
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

export const featurePolicy: WritePolicy<Feature> = {
  entity: Feature,
  label: 'Feature',
  auditType: 'FEATURE',
  impact: 'project',
  describe: (f) => f.name,
  scope: (m, f) => projectScope(m, f.projectId),
  auditLog: (verb, f) =>
    verb === 'created'
      ? `New Flag / Remote Config created: ${f.name}`
      : verb === 'updated'
        ? `Flag / Remote Config updated: ${f.name}`
        : `Flag / Remote Config Deleted: ${f.name}`,
  async validate(manager, values, existing) {
    const errors = {
      ...required(values, existing, 'name', 'projectId'),
      ...fixed(values, existing, 'projectId'),
    };
    if (values.type !== undefined && values.type !== 'STANDARD' && values.type !== 'MULTIVARIATE')
      errors.type = 'Choose STANDARD or MULTIVARIATE.';
    const projectId = (values.projectId ?? existing?.projectId) as number | undefined;
    if (typeof values.name === 'string' && projectId !== undefined) {
      const name = values.name.trim();
      values.name = name;
      const project = await manager.getRepository(Project).findOneBy({ id: projectId });
      if (!project) errors.projectId = 'No such project.';
      else if (project.featureNameRegex && !new RegExp(project.featureNameRegex).test(name))
        errors.name = `Feature name must match ${project.featureNameRegex}`;
      const clash = await manager
        .getRepository(Feature)
        .createQueryBuilder('f')
        .where('f.project_id = :projectId AND lower(f.name) = lower(:name) AND f.id <> :id', {
          projectId,
          name,
          id: existing?.id ?? 0,
        })
        .getExists();
      if (clash) errors.name = 'A feature with this name already exists in the project.';
    }
    return errors;
  },
  /** One default state per environment of the project, like the API's feature creation. */
  async afterInsert(manager, feature) {
    const project = await manager.getRepository(Project).findOneByOrFail({ id: feature.projectId });
    const environments = await manager.getRepository(Environment).findBy({ projectId: feature.projectId });
    const value = project.preventFlagDefaults
      ? typedValueFromInitial(null)
      : typedValueFromInitial(feature.initialValue);
    const states = manager.getRepository(FeatureState);
    await states.save(
      environments.map((env) =>
        states.create({
          featureId: feature.id,
          environmentId: env.id,
          enabled: project.preventFlagDefaults ? false : feature.defaultEnabled,
          ...value,
        }),
      ),
    );
  },
  /** Soft delete: the feature is marked deleted; its states and segment overrides go. */
  async remove(manager, feature) {
    await manager.getRepository(FeatureState).delete({ featureId: feature.id });
    await manager.getRepository(FeatureSegment).delete({ featureId: feature.id });
    await manager.getRepository(Feature).softDelete({ id: feature.id });
  },
};

export const mvOptionPolicy: WritePolicy<MultivariateFeatureOption> = {
  entity: MultivariateFeatureOption,
  label: 'Multivariate option',
  auditType: 'FEATURE',
  impact: 'project',
  describe: (o) => `${o.stringValue ?? o.integerValue ?? o.booleanValue ?? ''} (feature ${o.featureId})`,
  scope: (m, o) => featureScope(m, o.featureId),
  async validate(_m, values, existing) {
    const errors = {
      ...required(values, existing, 'featureId'),
      ...fixed(values, existing, 'featureId'),
      ...typedValueErrors(values, existing),
    };
    const pct = values.defaultPercentageAllocation;
    if (pct !== undefined && (typeof pct !== 'number' || pct < 0 || pct > 100))
      errors.defaultPercentageAllocation = 'Between 0 and 100.';
    return errors;
  },
  /** Every environment default state of the feature gets the option at its default allocation. */
  async afterInsert(manager, option) {
    const states = await manager
      .getRepository(FeatureState)
      .findBy({ featureId: option.featureId, identityId: IsNull(), featureSegmentId: IsNull() });
    const repo = manager.getRepository(MultivariateFeatureStateValue);
    await repo.save(
      states.map((s) =>
        repo.create({
          featureStateId: s.id,
          multivariateFeatureOptionId: option.id,
          percentageAllocation: option.defaultPercentageAllocation,
        }),
      ),
    );
  },
};

export const featureStatePolicy: WritePolicy<FeatureState> = {
  entity: FeatureState,
  label: 'Feature state',
  auditType: 'FEATURE_STATE',
  impact: 'environment',
  describe: (s) => `feature ${s.featureId} in environment ${s.environmentId}`,
  scope: (m, s) => environmentScope(m, s.environmentId),
  auditLog: (_verb, s) =>
    s.identityId !== null
      ? `Flag state / Remote config value updated for feature ${s.featureId} and identity ${s.identityId} (admin panel)`
      : s.featureSegmentId !== null
        ? `Flag state / Remote config value updated for feature ${s.featureId} and segment override ${s.featureSegmentId} (admin panel)`
        : `Flag state / Remote Config value updated for feature ${s.featureId} (admin panel)`,
  async validate(_m, values, existing) {
    return {
      ...fixed(values, existing, 'featureId', 'environmentId', 'identityId', 'featureSegmentId'),
      ...typedValueErrors(values, existing),
    };
  },
};

export const mvStateValuePolicy: WritePolicy<MultivariateFeatureStateValue> = {
  entity: MultivariateFeatureStateValue,
  label: 'Multivariate state value',
  auditType: 'FEATURE_STATE',
  impact: 'environment',
  describe: (v) => `option ${v.multivariateFeatureOptionId} of feature state ${v.featureStateId}`,
  async scope(manager, v) {
    const state = await manager.getRepository(FeatureState).findOneBy({ id: v.featureStateId });
    return state ? environmentScope(manager, state.environmentId) : NO_SCOPE;
  },
  async validate(manager, values, existing) {
    const errors = {
      ...required(values, existing, 'featureStateId', 'multivariateFeatureOptionId'),
      ...fixed(values, existing, 'featureStateId', 'multivariateFeatureOptionId'),
    };
    const pct = values.percentageAllocation ?? existing?.percentageAllocation ?? 100;
    if (typeof pct !== 'number' || pct < 0 || pct > 100) errors.percentageAllocation = 'Between 0 and 100.';
    const stateId = (values.featureStateId ?? existing?.featureStateId) as number | undefined;
    if (!errors.percentageAllocation && stateId !== undefined) {
      const others = await manager
        .getRepository(MultivariateFeatureStateValue)
        .findBy({ featureStateId: stateId });
      const sum = others.filter((o) => o.id !== existing?.id).reduce((n, o) => n + o.percentageAllocation, 0);
      if (sum + (pct as number) > 100)
        errors.percentageAllocation = 'Multivariate percentage values exceed 100%.';
    }
    return errors;
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
