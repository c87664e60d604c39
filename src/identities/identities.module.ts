import { Module } from '@nestjs/common';
import { IdentitiesController } from './identities.controller';
import { IdentitiesService } from './identities.service';
import { IdentityOverridesService } from './identity-overrides.service';

@Module({
  controllers: [IdentitiesController],
  providers: [IdentitiesService, IdentityOverridesService],
  exports: [IdentitiesService],
})
export class IdentitiesModule {}
