import { Controller, Get } from '@nestjs/common';
import { Responds } from '../http/schema';
import { Permitted, RequirePermission } from '../permissions/permissions.decorators';
import { Organisation } from './organisation.entity';
import { SubscriptionMetadataJson } from './subscription.schemas';
import { SubscriptionService } from './subscription.service';

/** Flagsmith's get_subscription_metadata action (organisation admins only, as its object permission). */
@Controller('api/v1/organisations/:id')
export class SubscriptionController {
  constructor(private readonly subscription: SubscriptionService) {}

  @Get('get-subscription-metadata')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(200, SubscriptionMetadataJson, 'No plan: no limits')
  metadata(@Permitted('organisation') org: Organisation): Promise<SubscriptionMetadataJson> {
    return this.subscription.metadata(org);
  }
}
