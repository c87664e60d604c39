import { Module } from '@nestjs/common';
import { FeaturesModule } from '../features/features.module';
import { EnvironmentsController } from './environments.controller';
import { EnvironmentsRepository } from './environments.repository';
import { EnvironmentsService } from './environments.service';
import { OnboardingStatusController } from './onboarding-status.controller';
import { OnboardingStatusRepository } from './onboarding-status.repository';
import { OnboardingStatusService } from './onboarding-status.service';

@Module({
  imports: [FeaturesModule],
  controllers: [EnvironmentsController, OnboardingStatusController],
  providers: [
    EnvironmentsService,
    EnvironmentsRepository,
    OnboardingStatusService,
    OnboardingStatusRepository,
  ],
  exports: [EnvironmentsService],
})
export class EnvironmentsModule {}
