import { Module } from '@nestjs/common';
import { OrganisationsModule } from '../organisations/organisations.module';
import { UsersModule } from '../users/users.module';
import { OAuthAccountsService } from './oauth-accounts.service';
import { OAuthFlowGuard } from './oauth-flow.guard';
import { OAuthOneTimeKeysRepository } from './oauth-one-time-keys.repository';
import { OAuthStrategies } from './oauth-strategies';
import { GithubConfigured, OAuthController } from './oauth.controller';

/** GitHub and Google sign-in: Flagsmith's token-exchange endpoints and Passport redirect flows. */
@Module({
  imports: [UsersModule, OrganisationsModule],
  controllers: [OAuthController],
  providers: [
    OAuthAccountsService,
    OAuthOneTimeKeysRepository,
    OAuthStrategies,
    OAuthFlowGuard,
    GithubConfigured,
  ],
})
export class OAuthModule {}
