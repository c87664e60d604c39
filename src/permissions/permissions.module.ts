import { Module } from '@nestjs/common';
import { GrantsRepository } from './grants.repository';
import { GrantsService } from './grants.service';
import { GRANT_CONTROLLERS, PermissionsController } from './permissions.controller';

@Module({
  controllers: [PermissionsController, ...GRANT_CONTROLLERS],
  providers: [GrantsService, GrantsRepository],
  exports: [GrantsService],
})
export class PermissionsModule {}
