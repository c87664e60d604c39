import { Global, Module } from '@nestjs/common';
import { EntityMetadata } from '../entity-metadata/entity-metadata';
import {
  MetadataFieldsController,
  MetadataModelFieldsController,
  ProjectMetadataFieldsController,
} from './metadata.controller';
import { MetadataRepository } from './metadata.repository';
import { MetadataService } from './metadata.service';
import { MetadataValuesService } from './metadata-values.service';

/**
 * Custom fields. Global: features, segments and environments get EntityMetadata without importing this folder
 * (which imports theirs; see src/entity-metadata/entity-metadata.ts).
 */
@Global()
@Module({
  controllers: [MetadataFieldsController, MetadataModelFieldsController, ProjectMetadataFieldsController],
  providers: [
    MetadataRepository,
    MetadataService,
    MetadataValuesService,
    { provide: EntityMetadata, useExisting: MetadataValuesService },
  ],
  exports: [EntityMetadata],
})
export class MetadataModule {}
