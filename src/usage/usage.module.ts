import { Module } from '@nestjs/common';
import { USAGE_STORE, UsageRepository } from './usage.repository';
import { UsageService } from './usage.service';

@Module({
  providers: [UsageService, { provide: USAGE_STORE, useClass: UsageRepository }],
  exports: [UsageService],
})
export class UsageModule {}
