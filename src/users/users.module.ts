import { Module } from '@nestjs/common';
import { OrganisationsModule } from '../organisations/organisations.module';
import { AccountsController } from './accounts.controller';
import { ActivationEnabled, LoginThrottle, SignUpGate } from './accounts.guards';
import { AccountsService } from './accounts.service';
import { UserProfileController } from './user-profile.controller';
import { UserProfileService } from './user-profile.service';
import { UsersRepository } from './users.repository';

@Module({
  imports: [OrganisationsModule],
  controllers: [AccountsController, UserProfileController],
  providers: [
    AccountsService,
    UserProfileService,
    UsersRepository,
    SignUpGate,
    LoginThrottle,
    ActivationEnabled,
  ],
  exports: [AccountsService, UsersRepository],
})
export class UsersModule {}
