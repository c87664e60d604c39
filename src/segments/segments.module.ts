import { Module } from '@nestjs/common';
import { FeaturesModule } from '../features/features.module';
import { FeatureSegmentsController } from './feature-segments.controller';
import { FeatureSegmentsService } from './feature-segments.service';
import { SegmentsController } from './segments.controller';
import { SegmentsService } from './segments.service';

@Module({
  imports: [FeaturesModule],
  controllers: [SegmentsController, FeatureSegmentsController],
  providers: [SegmentsService, FeatureSegmentsService],
  exports: [SegmentsService, FeatureSegmentsService],
})
export class SegmentsModule {}
