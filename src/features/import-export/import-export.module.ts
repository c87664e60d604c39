import { Module } from '@nestjs/common';
import { FeaturesModule } from '../features.module';
import { ImportExportController } from './import-export.controller';
import { ImportExportRepository } from './import-export.repository';
import { ImportExportService } from './import-export.service';

/** Flagsmith's feature export and import (features/import_export/), over the features module's building blocks. */
@Module({
  imports: [FeaturesModule],
  controllers: [ImportExportController],
  providers: [ImportExportService, ImportExportRepository],
})
export class ImportExportModule {}
