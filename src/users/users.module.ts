import { Module } from '@nestjs/common';
import { LoginLockoutService } from '../auth/login-lockout.service';
import { OrganisationsModule } from '../organisations/organisations.module';
import { AccountsController } from './accounts.controller';
import { AccountsService } from './accounts.service';

@Module({
  imports: [OrganisationsModule],
  controllers: [AccountsController],
  providers: [AccountsService, LoginLockoutService],
  exports: [AccountsService],
})
export class UsersModule {}
