import { Global, Module } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { EnvironmentChangesService } from '../environments/environment-changes.service';
import { PermissionGuard } from '../permissions/permissions.decorators';
import { PermissionsService } from '../permissions/permissions.service';
import { AuthGuard } from './auth.guard';
import { RequestThrottleService } from '../throttling/request-throttle.service';
import { AuthService } from './auth.service';

/**
 * The shared building blocks of every management module, global so feature modules just use them:
 * authentication (AuthService, AuthGuard), permissions (PermissionsService, PermissionGuard behind
 * @RequirePermission), AuditService and EnvironmentChangesService.
 */
@Global()
@Module({
  providers: [
    AuthService,
    AuthGuard,
    PermissionsService,
    PermissionGuard,
    AuditService,
    EnvironmentChangesService,
    RequestThrottleService,
  ],
  exports: [
    AuthService,
    AuthGuard,
    PermissionsService,
    PermissionGuard,
    AuditService,
    EnvironmentChangesService,
    RequestThrottleService,
  ],
})
export class AuthModule {}
