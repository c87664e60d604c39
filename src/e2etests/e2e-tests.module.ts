import { Module } from '@nestjs/common';
import { E2eTestsController } from './e2e-tests.controller';
import { E2eTestsRepository } from './e2e-tests.repository';
import { E2eTestsService } from './e2e-tests.service';

/** Flagsmith's e2e hooks; AppModule imports it only when ENABLE_FE_E2E is on. */
@Module({
  controllers: [E2eTestsController],
  providers: [E2eTestsService, E2eTestsRepository],
})
export class E2eTestsModule {}
