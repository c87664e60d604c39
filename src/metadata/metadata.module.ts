import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EntityMetadata } from '../projects/entity-metadata';
import {
  MetadataFieldsController,
  MetadataModelFieldsController,
  ProjectMetadataFieldsController,
} from './metadata.controller';
import { METADATA_ENTITIES } from './metadata.entity';
import { MetadataRepository } from './metadata.repository';
import { MetadataService } from './metadata.service';
import { MetadataValuesService } from './metadata-values.service';

/**
 * Custom fields. Global: features, segments and environments get EntityMetadata without importing this folder
 * (which imports theirs; see src/projects/entity-metadata.ts). Its entities are registered here, not in
 * src/database/entities.ts, for the same reason.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature(METADATA_ENTITIES)],
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
