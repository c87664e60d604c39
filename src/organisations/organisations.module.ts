import { Module } from '@nestjs/common';
import { GroupsController } from './groups.controller';
import { GroupsRepository } from './groups.repository';
import { GroupsService } from './groups.service';
import { InvitesController } from './invites.controller';
import { InvitesRepository } from './invites.repository';
import { InvitesService } from './invites.service';
import { MasterApiKeysController } from './master-api-keys.controller';
import { MasterApiKeysRepository } from './master-api-keys.repository';
import { MasterApiKeysService } from './master-api-keys.service';
import { MembersController } from './members.controller';
import { MembersRepository } from './members.repository';
import { MembersService } from './members.service';
import { MayCreateOrganisation, OrganisationsController } from './organisations.controller';
import { OrganisationsRepository } from './organisations.repository';
import { OrganisationsService } from './organisations.service';
import { SubscriptionController } from './subscription.controller';
import { SubscriptionService } from './subscription.service';

/** One service and one repository per sub-domain: organisations, members, invites, groups, master API keys. */
@Module({
  controllers: [
    OrganisationsController,
    MembersController,
    InvitesController,
    GroupsController,
    MasterApiKeysController,
    SubscriptionController,
  ],
  providers: [
    MayCreateOrganisation,
    OrganisationsRepository,
    MembersRepository,
    InvitesRepository,
    GroupsRepository,
    MasterApiKeysRepository,
    OrganisationsService,
    MembersService,
    InvitesService,
    GroupsService,
    MasterApiKeysService,
    SubscriptionService,
  ],
  exports: [OrganisationsService, InvitesService, MembersService],
})
export class OrganisationsModule {}
