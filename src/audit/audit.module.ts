import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller';

/** The audit log read endpoints; AuditService itself is provided globally by AuthModule. */
@Module({ controllers: [AuditController] })
export class AuditModule {}
