import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { WebhookDeliveryService } from './webhook-delivery.service';
import {
  OrganisationWebhooksController,
  TestWebhookController,
  WebhooksController,
} from './webhooks.controller';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

/**
 * Environment and organisation webhooks: configuration routes, delivery history, the test call, and delivery of
 * flag changes and audit records through the job queue.
 */
@Module({
  imports: [AuditModule],
  controllers: [WebhooksController, OrganisationWebhooksController, TestWebhookController],
  providers: [WebhooksRepository, WebhooksService, WebhookDeliveryService],
})
export class WebhooksModule {}
