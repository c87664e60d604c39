import { Module } from '@nestjs/common';
import { AuditQueriesService } from './audit-queries.service';
import { AuditController } from './audit.controller';
import { AuditRepository } from './audit.repository';

/** The audit log read endpoints (AuditRepository exported for the webhooks' AUDIT_LOG_CREATED); AuditService itself is provided globally by CoreModule (src/core.module.ts). */
@Module({
  controllers: [AuditController],
  providers: [AuditQueriesService, AuditRepository],
  exports: [AuditRepository],
})
export class AuditModule {}
