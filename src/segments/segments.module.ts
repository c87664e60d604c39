import { Module } from '@nestjs/common';
import { FeaturesModule } from '../features/features.module';
import { FeatureSegmentsController } from './feature-segments.controller';
import { FeatureSegmentsRepository } from './feature-segments.repository';
import { FeatureSegmentsService } from './feature-segments.service';
import { SegmentsController, SegmentUuidLookupController } from './segments.controller';
import { SegmentsRepository } from './segments.repository';
import { SegmentsService } from './segments.service';

@Module({
  imports: [FeaturesModule],
  controllers: [SegmentsController, SegmentUuidLookupController, FeatureSegmentsController],
  providers: [SegmentsService, FeatureSegmentsService, SegmentsRepository, FeatureSegmentsRepository],
  exports: [SegmentsService, FeatureSegmentsService],
})
export class SegmentsModule {}
