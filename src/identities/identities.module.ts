import { Module } from '@nestjs/common';
import { FeaturesModule } from '../features/features.module';
import { IdentitiesController } from './identities.controller';
import { IdentitiesService } from './identities.service';
import { IdentityOverridesService } from './identity-overrides.service';

@Module({
  imports: [FeaturesModule],
  controllers: [IdentitiesController],
  providers: [IdentitiesService, IdentityOverridesService],
  exports: [IdentitiesService],
})
export class IdentitiesModule {}
