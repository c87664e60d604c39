import { Global, Module } from '@nestjs/common';
import { AuditService } from './audit/audit.service';
import {
  AUDIT_FOLLOWERS,
  AUDIT_LOG,
  ENVIRONMENT_CHANGES,
  JOB_QUEUE,
  UnitOfWork,
} from './common/unit-of-work';
import { WebhooksRepository } from './webhooks/webhooks.repository';
import { JobQueueRepository } from './jobs/job-queue.repository';
import { EnvironmentChangesService } from './environments/environment-changes.service';
import { IdentitySegmentsByEvaluation } from './identities/identity-segment-matcher';
import { PermissionGuard } from './permissions/permissions.decorators';
import { PermissionsRepository } from './permissions/permissions.repository';
import { PermissionsService } from './permissions/permissions.service';
import { AuthGuard } from './auth/auth.guard';
import { RequestThrottleService } from './throttling/request-throttle.service';
import { IDENTITY_SEGMENT_MATCHER } from './segments/segments.repository';
import { ResetEmailQuotaService } from './throttling/reset-email-quota.service';
import { RESET_EMAIL_STORE, ResetEmailsRepository } from './throttling/reset-emails.repository';
import { RequestThrottlesRepository, THROTTLE_STORE } from './throttling/request-throttles.repository';
import { AuthService } from './auth/auth.service';
import { CREDENTIAL_STORE, CredentialsRepository } from './auth/credentials.repository';
import { LOGIN_FAILURE_STORE, LoginFailuresRepository } from './auth/login-failures.repository';
import { LoginLockoutService } from './auth/login-lockout.service';

/**
 * The shared building blocks of every management module, global so feature modules just use them:
 * authentication (AuthService, AuthGuard), permissions (PermissionsService, PermissionGuard behind
 * @RequirePermission), AuditService, EnvironmentChangesService, the request throttles, the password-reset email
 * quota, the login lockout, the UnitOfWork every write goes through, and the identities' segment matcher that
 * segments asks through a token (IDENTITY_SEGMENT_MATCHER). It lives in the composition root because
 * it wires services of several folders (auth, permissions, audit, environments, throttling): no folder imports it.
 */
@Global()
@Module({
  providers: [
    AuthService,
    AuthGuard,
    PermissionsService,
    PermissionsRepository,
    PermissionGuard,
    AuditService,
    EnvironmentChangesService,
    RequestThrottleService,
    LoginLockoutService,
    { provide: CREDENTIAL_STORE, useClass: CredentialsRepository },
    { provide: LOGIN_FAILURE_STORE, useClass: LoginFailuresRepository },
    { provide: THROTTLE_STORE, useClass: RequestThrottlesRepository },
    ResetEmailQuotaService,
    { provide: RESET_EMAIL_STORE, useClass: ResetEmailsRepository },
    UnitOfWork,
    { provide: AUDIT_LOG, useExisting: AuditService },
    { provide: ENVIRONMENT_CHANGES, useExisting: EnvironmentChangesService },
    { provide: JOB_QUEUE, useExisting: JobQueueRepository },
    // Stateless SQL: its own instance here (WebhooksModule has another).
    { provide: AUDIT_FOLLOWERS, useClass: WebhooksRepository },
    { provide: IDENTITY_SEGMENT_MATCHER, useClass: IdentitySegmentsByEvaluation },
  ],
  exports: [
    AuthService,
    AuthGuard,
    PermissionsService,
    PermissionGuard,
    AuditService,
    EnvironmentChangesService,
    RequestThrottleService,
    LoginLockoutService,
    ResetEmailQuotaService,
    UnitOfWork,
    IDENTITY_SEGMENT_MATCHER,
  ],
})
export class CoreModule {}
