import { Module } from '@nestjs/common';
import { FirstRunRepository } from './first-run.repository';
import { FirstRunService } from './first-run.service';
import { InitController } from './init.controller';

/** The first-run form and admin initiation URL (docs/contracts/admin-api.md §2). */
@Module({
  controllers: [InitController],
  providers: [FirstRunService, FirstRunRepository],
  exports: [FirstRunService],
})
export class FirstRunModule {}
