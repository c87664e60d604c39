import { DataSource, ObjectLiteral } from 'typeorm';
import { AuditLog } from '../audit/audit-log.entity';
import { AdminWriter, readOnlyWrites, WritePolicy } from './admin-writer';
import { ApiServices, servicePolicies, VALUE_TYPES } from './admin-policies';
import { LoginLockoutService } from '../auth/login-lockout.service';
import { UNLOCK_LOGIN_COMPONENT } from './admin-bundle';
import type { ActionContext, ActionRequest, AdminJSModule, RecordAction, ResourceOptions } from './adminjs';
import { featurePolicies } from './feature-policies';
import { segmentPolicies } from './segment-policies';
import { EntityResourceSpec, entityResourceClass, PrincipalResolver } from './entity-resource';
import { SEGMENT_CONDITION_OPERATORS, SEGMENT_RULE_TYPES } from '../segments/segment.entity';

const auditPolicy: WritePolicy<AuditLog> = {
  entity: AuditLog,
  label: 'Audit log',
  service: readOnlyWrites('Audit log'),
};

const NAV = {
  accounts: { name: 'Accounts', icon: 'User' },
  organisations: { name: 'Organisations', icon: 'Briefcase' },
  flags: { name: 'Flags', icon: 'Flag' },
  segments: { name: 'Segments', icon: 'Filter' },
  identities: { name: 'Identities', icon: 'Users' },
  permissions: { name: 'Permissions', icon: 'Key' },
  audit: { name: 'Audit', icon: 'FileText' },
};

const READ_ONLY_ACTIONS: ResourceOptions['actions'] = {
  new: { isAccessible: false },
  edit: { isAccessible: false },
  delete: { isAccessible: false },
  bulkDelete: { isAccessible: false },
};

interface Entry<E extends ObjectLiteral> {
  spec: EntityResourceSpec<E>;
  options: ResourceOptions;
}

const entry = <E extends ObjectLiteral>(spec: EntityResourceSpec<E>, options: ResourceOptions): Entry<E> => ({
  spec,
  options: {
    sort: { sortBy: 'id', direction: 'desc' },
    ...options,
    actions: { ...(spec.writable === false ? READ_ONLY_ACTIONS : {}), ...options.actions },
  },
});

const permissionColumns = (parent: string, subject: string) => ({
  listProperties: ['id', parent, subject, 'admin', 'permissions'],
  filterProperties: [parent, subject, 'permissions'],
});

/** Every resource of the panel: list columns, filters and search, secrets hidden or masked, writes via policies. */
export function adminResources(
  adminjs: AdminJSModule,
  dataSource: DataSource,
  writer: AdminWriter,
  api: ApiServices,
  principalOf: PrincipalResolver,
  lockout: LoginLockoutService,
) {
  const services = servicePolicies(api, dataSource);
  const features = featurePolicies(api, dataSource);
  const segments = segmentPolicies(api, dataSource);
  const entries: Entry<ObjectLiteral>[] = [
    entry(
      {
        policy: services.user,
        hidden: ['password'],
        readOnly: ['lastLogin', 'githubUserId', 'googleUserId'],
      },
      {
        navigation: NAV.accounts,
        titleProperty: 'email',
        listProperties: [
          'id',
          'email',
          'firstName',
          'lastName',
          'isSuperuser',
          'isStaff',
          'isActive',
          'lastLogin',
        ],
        filterProperties: [
          'email',
          'firstName',
          'lastName',
          'isSuperuser',
          'isActive',
          'authType',
          'dateJoined',
        ],
        editProperties: ['email', 'firstName', 'lastName', 'isActive', 'isStaff', 'isSuperuser', 'authType'],
        properties: { authType: { availableValues: ['EMAIL', 'GITHUB', 'GOOGLE'].map(choice) } },
        actions: { unlockLogin: unlockLoginAction(lockout, api, principalOf) },
      },
    ),
    entry(
      { policy: services.membership, choices: { role: ['ADMIN', 'USER'] } },
      {
        navigation: NAV.accounts,
        listProperties: ['id', 'userId', 'organisationId', 'role', 'dateJoined'],
        filterProperties: ['userId', 'organisationId', 'role'],
      },
    ),
    entry(
      { policy: services.organisation },
      {
        navigation: NAV.organisations,
        listProperties: ['id', 'name', 'createdDate', 'persistTraitData', 'stopServingFlags'],
        filterProperties: ['name', 'stopServingFlags', 'createdDate'],
        editProperties: [
          'name',
          'webhookNotificationEmail',
          'restrictProjectCreateToAdmin',
          'persistTraitData',
          'stopServingFlags',
          'blockAccessToAdmin',
          'force2fa',
        ],
      },
    ),
    entry(
      { policy: services.project },
      {
        navigation: NAV.organisations,
        listProperties: ['id', 'name', 'organisationId', 'hideDisabledFlags', 'enableRealtimeUpdates'],
        filterProperties: ['name', 'organisationId'],
        editProperties: [
          'name',
          'organisationId',
          'hideDisabledFlags',
          'preventFlagDefaults',
          'enableRealtimeUpdates',
          'onlyAllowLowerCaseFeatureNames',
          'featureNameRegex',
          'staleFlagsLimitDays',
          'enforceFeatureOwners',
        ],
      },
    ),
    entry(
      { policy: services.environment, masked: ['apiKey'] },
      {
        navigation: NAV.organisations,
        listProperties: ['id', 'name', 'projectId', 'apiKey', 'updatedAt'],
        filterProperties: ['name', 'projectId'],
        editProperties: [
          'name',
          'projectId',
          'description',
          'allowClientTraits',
          'bannerText',
          'bannerColour',
          'useIdentityCompositeKeyForHashing',
          'hideSensitiveData',
          'useIdentityOverridesInLocalEval',
          'useMvV2Evaluation',
        ],
      },
    ),
    entry(
      { policy: services.serverKey, masked: ['key'] },
      {
        navigation: NAV.organisations,
        listProperties: ['id', 'name', 'environmentId', 'key', 'active', 'expiresAt', 'createdAt'],
        filterProperties: ['name', 'environmentId', 'active'],
        editProperties: ['name', 'environmentId', 'active', 'expiresAt'],
      },
    ),
    entry(
      { policy: features.feature, choices: { type: ['STANDARD', 'MULTIVARIATE'] } },
      {
        navigation: NAV.flags,
        listProperties: ['id', 'name', 'projectId', 'type', 'defaultEnabled', 'initialValue', 'isArchived'],
        filterProperties: ['name', 'projectId', 'type', 'isArchived', 'isServerKeyOnly', 'createdDate'],
        editProperties: [
          'name',
          'projectId',
          'type',
          'description',
          'defaultEnabled',
          'initialValue',
          'isArchived',
          'isServerKeyOnly',
        ],
      },
    ),
    entry(
      { policy: features.mvOption, choices: { type: VALUE_TYPES } },
      {
        navigation: NAV.flags,
        listProperties: [
          'id',
          'featureId',
          'type',
          'stringValue',
          'integerValue',
          'booleanValue',
          'defaultPercentageAllocation',
        ],
        filterProperties: ['featureId', 'type', 'stringValue'],
        editProperties: [
          'featureId',
          'type',
          'stringValue',
          'integerValue',
          'booleanValue',
          'defaultPercentageAllocation',
          'key',
        ],
      },
    ),
    entry(
      { policy: features.featureState, choices: { valueType: VALUE_TYPES }, readOnly: ['liveFrom'] },
      {
        navigation: NAV.flags,
        titleProperty: 'id',
        listProperties: [
          'id',
          'featureId',
          'environmentId',
          'enabled',
          'valueType',
          'stringValue',
          'integerValue',
          'booleanValue',
          'identityId',
          'featureSegmentId',
          'updatedAt',
        ],
        filterProperties: ['featureId', 'environmentId', 'enabled', 'identityId', 'featureSegmentId'],
        editProperties: ['enabled', 'valueType', 'stringValue', 'integerValue', 'booleanValue'],
        actions: {
          new: { isAccessible: false },
          delete: { isAccessible: false },
          bulkDelete: { isAccessible: false },
        },
      },
    ),
    entry(
      { policy: features.mvStateValue },
      {
        navigation: NAV.flags,
        listProperties: ['id', 'featureStateId', 'multivariateFeatureOptionId', 'percentageAllocation'],
        filterProperties: ['featureStateId', 'multivariateFeatureOptionId'],
        editProperties: ['featureStateId', 'multivariateFeatureOptionId', 'percentageAllocation'],
      },
    ),
    entry(
      { policy: segments.featureSegment },
      {
        navigation: NAV.flags,
        listProperties: ['id', 'featureId', 'segmentId', 'environmentId', 'priority'],
        filterProperties: ['featureId', 'segmentId', 'environmentId'],
        editProperties: ['featureId', 'segmentId', 'environmentId', 'priority'],
      },
    ),
    entry(
      { policy: segments.segment },
      {
        navigation: NAV.segments,
        listProperties: ['id', 'name', 'projectId', 'featureId', 'updatedAt'],
        filterProperties: ['name', 'projectId', 'featureId'],
        editProperties: ['name', 'description', 'projectId', 'featureId'],
      },
    ),
    entry(
      { policy: segments.segmentRule, choices: { type: SEGMENT_RULE_TYPES } },
      {
        navigation: NAV.segments,
        titleProperty: 'type',
        listProperties: ['id', 'segmentId', 'ruleId', 'type'],
        filterProperties: ['segmentId', 'ruleId', 'type'],
        editProperties: ['segmentId', 'ruleId', 'type'],
      },
    ),
    entry(
      { policy: segments.segmentCondition, choices: { operator: SEGMENT_CONDITION_OPERATORS } },
      {
        navigation: NAV.segments,
        titleProperty: 'property',
        listProperties: ['id', 'ruleId', 'property', 'operator', 'value', 'description'],
        filterProperties: ['ruleId', 'property', 'operator', 'value'],
        editProperties: ['ruleId', 'property', 'operator', 'value', 'description'],
      },
    ),
    entry(
      { policy: services.identity },
      {
        navigation: NAV.identities,
        titleProperty: 'identifier',
        listProperties: ['id', 'identifier', 'environmentId', 'createdDate'],
        filterProperties: ['identifier', 'environmentId', 'createdDate'],
        editProperties: ['identifier', 'environmentId'],
      },
    ),
    entry(
      { policy: services.trait, choices: { valueType: ['unicode', 'int', 'float', 'bool'] } },
      {
        navigation: NAV.identities,
        titleProperty: 'traitKey',
        listProperties: [
          'id',
          'identityId',
          'traitKey',
          'valueType',
          'stringValue',
          'integerValue',
          'floatValue',
          'booleanValue',
        ],
        filterProperties: ['identityId', 'traitKey', 'valueType', 'stringValue'],
        editProperties: [
          'identityId',
          'traitKey',
          'valueType',
          'stringValue',
          'integerValue',
          'floatValue',
          'booleanValue',
        ],
      },
    ),
    entry(
      { policy: services.organisationUser },
      { navigation: NAV.permissions, ...permissionColumns('organisationId', 'userId') },
    ),
    entry(
      { policy: services.organisationGroup },
      { navigation: NAV.permissions, ...permissionColumns('organisationId', 'groupId') },
    ),
    entry(
      { policy: services.projectUser },
      { navigation: NAV.permissions, ...permissionColumns('projectId', 'userId') },
    ),
    entry(
      { policy: services.projectGroup },
      { navigation: NAV.permissions, ...permissionColumns('projectId', 'groupId') },
    ),
    entry(
      { policy: services.environmentUser },
      { navigation: NAV.permissions, ...permissionColumns('environmentId', 'userId') },
    ),
    entry(
      { policy: services.environmentGroup },
      { navigation: NAV.permissions, ...permissionColumns('environmentId', 'groupId') },
    ),
    entry(
      { policy: auditPolicy, writable: false },
      {
        navigation: NAV.audit,
        titleProperty: 'log',
        sort: { sortBy: 'createdDate', direction: 'desc' },
        properties: { log: { type: 'string' } },
        listProperties: [
          'id',
          'createdDate',
          'log',
          'authorId',
          'projectId',
          'environmentId',
          'relatedObjectType',
        ],
        filterProperties: [
          'log',
          'authorId',
          'organisationId',
          'projectId',
          'environmentId',
          'relatedObjectType',
          'isSystemEvent',
          'createdDate',
        ],
      },
    ),
  ] as Entry<ObjectLiteral>[];

  const EntityResource = entityResourceClass(adminjs);
  const registered = new Set(entries.map(({ spec }) => dataSource.getMetadata(spec.policy.entity).name));
  return entries.map(({ spec, options }) => ({
    resource: new EntityResource(dataSource, spec, writer, principalOf, registered),
    options,
  }));
}

/**
 * "Unlock login" on a user: its page (unlock-login.jsx) shows the failed logins that count against the account
 * (GET) and clears them with a POST, never on a GET: a cross-site link or top-level navigation (the session
 * cookie is SameSite=Lax) must not be able to unlock anything. The unlock is AccountsService's (audited).
 */
function unlockLoginAction(
  lockout: LoginLockoutService,
  api: ApiServices,
  principalOf: PrincipalResolver,
): RecordAction {
  return {
    actionType: 'record',
    icon: 'Unlock',
    component: UNLOCK_LOGIN_COMPONENT,
    showInDrawer: false,
    handler: async (request: ActionRequest, _response: unknown, context: ActionContext) => {
      const { record, currentAdmin } = context;
      if (!record) throw new Error('no such user');
      const email = String(record.param('email'));
      let notice: { message: string; type: 'success' } | undefined;
      if (request.method === 'post') {
        const id = Number(record.param('id'));
        const cleared = await api.accounts.unlockLogin(await principalOf(context), { id, email });
        notice = {
          message: cleared ? `${email} unlocked: failed logins cleared` : `${email} had no failed logins`,
          type: 'success',
        };
      }
      const json = record.toJSON(currentAdmin);
      return {
        record: { ...json, params: { ...json.params, loginFailures: await lockout.failuresFor(email) } },
        ...(notice ? { notice } : {}),
      };
    },
  };
}

function choice(value: string) {
  return { value, label: value };
}
