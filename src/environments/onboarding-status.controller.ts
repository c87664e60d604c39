import { Controller, Get, Param, Put } from '@nestjs/common';
import { Responds, ValidBody } from '../http/schema';
import {
  OnboardingStatusJson,
  RecordFirstEvaluation,
  type RecordFirstEvaluationInput,
} from './onboarding-status.schemas';
import { OnboardingStatusService } from './onboarding-status.service';

/** Flagsmith's EnvironmentOnboardingStatusAPIView: no authentication, the client key names the environment. */
@Controller('api/v1/environments/:environment_api_key/onboarding-status')
export class OnboardingStatusController {
  constructor(private readonly onboarding: OnboardingStatusService) {}

  @Get()
  @Responds(200, OnboardingStatusJson, "The environment's first SDK evaluation (nulls: none yet)")
  status(@Param('environment_api_key') apiKey: string): Promise<OnboardingStatusJson> {
    return this.onboarding.status(apiKey);
  }

  @Put()
  @Responds(204, null, 'Recorded (a first evaluation already stored is kept)')
  async record(
    @Param('environment_api_key') apiKey: string,
    @ValidBody(RecordFirstEvaluation) body: RecordFirstEvaluationInput,
  ): Promise<void> {
    await this.onboarding.recordFirstEvaluation(apiKey, body.first_evaluated_sdk_label);
  }
}
