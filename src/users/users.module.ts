import { Module } from '@nestjs/common';
import { OrganisationsModule } from '../organisations/organisations.module';
import { AccountsController } from './accounts.controller';
import { ActivationEnabled, LoginThrottle, SignUpGate } from './accounts.guards';
import { AccountsService } from './accounts.service';
import { UsersRepository } from './users.repository';

@Module({
  imports: [OrganisationsModule],
  controllers: [AccountsController],
  providers: [AccountsService, UsersRepository, SignUpGate, LoginThrottle, ActivationEnabled],
  exports: [AccountsService, UsersRepository],
})
export class UsersModule {}
