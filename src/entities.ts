import { AuditLog } from './audit/audit-log.entity';
import { OAuthOneTimeKey } from './oauth/oauth-one-time-key.entity';
import { Environment, EnvironmentApiKey } from './environments/environment.entity';
import {
  Feature,
  FeatureSegment,
  FeatureState,
  MultivariateFeatureOption,
  MultivariateFeatureStateValue,
} from './features/feature.entity';
import { FeatureHealthEvent, FeatureHealthProvider } from './features/feature-health.entity';
import {
  FeatureExport,
  FeatureImport,
  FlagsmithOnFlagsmithFeatureExport,
} from './features/import-export/feature-transfer.entity';
import { Identity, Trait } from './identities/identity.entity';
import {
  MetadataField,
  MetadataModelField,
  MetadataModelFieldRequirement,
  MetadataValue,
} from './metadata/metadata.entity';
import {
  Invite,
  InviteLink,
  MasterApiKey,
  Organisation,
  OrganisationMembership,
  UserGroup,
  UserGroupMember,
} from './organisations/organisation.entity';
import {
  EnvironmentGroupPermission,
  EnvironmentUserPermission,
  OrganisationGroupPermission,
  OrganisationUserPermission,
  ProjectGroupPermission,
  ProjectUserPermission,
} from './permissions/permission.entity';
import { Project, Tag } from './projects/project.entity';
import { Segment, SegmentCondition, SegmentRule } from './segments/segment.entity';
import { ApiUsageDaily, FeatureEvaluationDaily } from './usage/usage.entity';
import { TelemetryReport } from './telemetry/telemetry-report.entity';
import { Site } from './users/site.entity';
import { PasswordResetRequest, RequestThrottle } from './throttling/throttle.entity';
import { MfaEphemeralToken, MfaMethod } from './users/mfa/mfa.entity';
import { AuthToken, LoginFailure, User } from './users/user.entity';
import { EnvironmentWebhook, OrganisationWebhook, WebhookDelivery } from './webhooks/webhook.entity';

/** Every TypeORM entity, listed explicitly so that dist/ and ts-jest load the same set. */
export const ENTITIES = [
  Site,
  User,
  AuthToken,
  LoginFailure,
  RequestThrottle,
  PasswordResetRequest,
  OAuthOneTimeKey,
  MfaMethod,
  MfaEphemeralToken,
  Organisation,
  OrganisationMembership,
  UserGroup,
  UserGroupMember,
  Invite,
  InviteLink,
  MasterApiKey,
  Project,
  Tag,
  Environment,
  EnvironmentApiKey,
  Feature,
  MultivariateFeatureOption,
  FeatureSegment,
  FeatureState,
  MultivariateFeatureStateValue,
  FeatureHealthProvider,
  FeatureHealthEvent,
  Segment,
  SegmentRule,
  SegmentCondition,
  Identity,
  Trait,
  OrganisationUserPermission,
  OrganisationGroupPermission,
  ProjectUserPermission,
  ProjectGroupPermission,
  EnvironmentUserPermission,
  EnvironmentGroupPermission,
  AuditLog,
  ApiUsageDaily,
  FeatureEvaluationDaily,
  TelemetryReport,
  FeatureExport,
  FeatureImport,
  FlagsmithOnFlagsmithFeatureExport,
  MetadataField,
  MetadataModelField,
  MetadataModelFieldRequirement,
  MetadataValue,
  EnvironmentWebhook,
  OrganisationWebhook,
  WebhookDelivery,
];
