import { Module } from '@nestjs/common';
import { EnvironmentFeatureStatesController, FeatureStatesController } from './feature-states.controller';
import { FeatureStateValuesService } from './feature-state-values.service';
import { FeatureStateWebhookEvents } from './feature-state-webhook';
import { FeatureStatesRepository } from './feature-states.repository';
import { FeatureStatesService } from './feature-states.service';
import { FeaturesController } from './features.controller';
import { FeaturesRepository } from './features.repository';
import { FeaturesService } from './features.service';
import { MvOptionsRepository } from './mv-options.repository';
import { MvOptionsService } from './mv-options.service';
import { TagsController } from './tags.controller';
import { TagsRepository } from './tags.repository';
import { TagsService } from './tags.service';
import { FeatureUuidLookupsController } from './uuid-lookups.controller';

/**
 * Features, multivariate options, tags/owners and feature states (docs/contracts/admin-api.md §4 tags, §6, §7). Exports
 * FeatureStateValuesService (value typing + MV values of any feature state) and MvOptionsService for the segment
 * and identity override modules.
 */
@Module({
  controllers: [
    FeaturesController,
    TagsController,
    EnvironmentFeatureStatesController,
    FeatureStatesController,
    FeatureUuidLookupsController,
  ],
  providers: [
    FeatureStateValuesService,
    FeatureStateWebhookEvents,
    FeaturesService,
    FeaturesRepository,
    MvOptionsService,
    MvOptionsRepository,
    FeatureStatesService,
    FeatureStatesRepository,
    TagsService,
    TagsRepository,
  ],
  exports: [
    FeatureStateValuesService,
    FeatureStateWebhookEvents,
    MvOptionsService,
    FeaturesService,
    FeatureStatesService,
  ],
})
export class FeaturesModule {}
