import { Module } from '@nestjs/common';
import { FeaturesModule } from '../features/features.module';
import { IdentitiesController } from './identities.controller';
import { IdentitiesRepository } from './identities.repository';
import { IdentitiesService } from './identities.service';
import { IdentityOverridesRepository } from './identity-overrides.repository';
import { IdentityOverridesService } from './identity-overrides.service';

@Module({
  imports: [FeaturesModule],
  controllers: [IdentitiesController],
  providers: [IdentitiesService, IdentitiesRepository, IdentityOverridesService, IdentityOverridesRepository],
  exports: [IdentitiesService],
})
export class IdentitiesModule {}
