import { Module } from '@nestjs/common';
import { GrantsService } from './grants.service';
import { PermissionsController } from './permissions.controller';

@Module({ controllers: [PermissionsController], providers: [GrantsService], exports: [GrantsService] })
export class PermissionsModule {}
