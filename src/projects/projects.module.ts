import { Module } from '@nestjs/common';
import { UnitOfWork } from '../common/unit-of-work';
import { ProjectsController } from './projects.controller';
import { ProjectsRepository } from './projects.repository';
import { ProjectsService } from './projects.service';

@Module({
  controllers: [ProjectsController],
  providers: [ProjectsService, ProjectsRepository, UnitOfWork],
  exports: [ProjectsService],
})
export class ProjectsModule {}
