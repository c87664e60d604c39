import { Module } from '@nestjs/common';
import { AuditQueriesService } from './audit-queries.service';
import { AuditController } from './audit.controller';
import { AuditRepository } from './audit.repository';

/** The audit log read endpoints; AuditService itself is provided globally by CoreModule (src/core.module.ts). */
@Module({ controllers: [AuditController], providers: [AuditQueriesService, AuditRepository] })
export class AuditModule {}
