import { Module } from '@nestjs/common';
import { OrganisationsModule } from '../organisations/organisations.module';
import { AccountsController } from './accounts.controller';
import { ActivationEnabled, LoginThrottle, MfaCodeThrottle, SignUpGate } from './accounts.guards';
import { MfaController } from './mfa/mfa.controller';
import { MfaModule } from './mfa/mfa.module';
import { AccountsService } from './accounts.service';
import { UserProfileController } from './user-profile.controller';
import { UserProfileService } from './user-profile.service';
import { UsersRepository } from './users.repository';

@Module({
  imports: [OrganisationsModule, MfaModule],
  controllers: [AccountsController, MfaController, UserProfileController],
  providers: [
    AccountsService,
    UserProfileService,
    UsersRepository,
    SignUpGate,
    LoginThrottle,
    MfaCodeThrottle,
    ActivationEnabled,
  ],
  exports: [AccountsService, UsersRepository],
})
export class UsersModule {}
