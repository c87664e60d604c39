import { Module } from '@nestjs/common';
import {
  FeatureHealthEventsController,
  FeatureHealthProvidersController,
  FeatureHealthWebhookController,
  WebhookTokenGuard,
} from './feature-health.controller';
import { FeatureHealthRepository } from './feature-health.repository';
import { FeatureHealthService } from './feature-health.service';

/** Feature health providers, their webhook and the events they report (Flagsmith's features/feature_health). */
@Module({
  controllers: [
    FeatureHealthProvidersController,
    FeatureHealthEventsController,
    FeatureHealthWebhookController,
  ],
  providers: [FeatureHealthService, FeatureHealthRepository, WebhookTokenGuard],
})
export class FeatureHealthModule {}
