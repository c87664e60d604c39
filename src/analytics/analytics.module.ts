import { Module } from '@nestjs/common';
import {
  EnvironmentAnalyticsController,
  FeatureEvaluationDataController,
  OrganisationUsageController,
} from './analytics.controller';
import { AnalyticsRepository } from './analytics.repository';
import { AnalyticsService } from './analytics.service';

/**
 * The dashboard's usage and evaluation reads (usage-data, evaluation-data, environment metrics, lifecycle counts)
 * over the counters src/usage writes. Kept apart from src/usage, which is on the SDK hot path.
 */
@Module({
  controllers: [OrganisationUsageController, FeatureEvaluationDataController, EnvironmentAnalyticsController],
  providers: [AnalyticsService, AnalyticsRepository],
})
export class AnalyticsModule {}
