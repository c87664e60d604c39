import { Module } from '@nestjs/common';
import { GrantsRepository } from './grants.repository';
import { GrantsService } from './grants.service';
import { PermissionsController } from './permissions.controller';

@Module({
  controllers: [PermissionsController],
  providers: [GrantsService, GrantsRepository],
  exports: [GrantsService],
})
export class PermissionsModule {}
