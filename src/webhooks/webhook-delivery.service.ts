import { Injectable, OnModuleInit } from '@nestjs/common';
import { UnitOfWork, type JobPayload } from '../common/unit-of-work';
import { FEATURE_STATE_CHANGED } from '../features/feature-state-webhook';
import { JobHandlers } from '../jobs/job-worker.service';
import { AddressGuard } from '../outbound/address-guard';
import { postSignedJson, sortedJson } from './signed-post';
import { WebhooksRepository } from './webhooks.repository';

/** One POST of one body to one webhook; retried on its own, so a failing receiver never holds back the others. */
export const DELIVER_WEBHOOK = 'webhook.deliver';

/** Flagsmith's WEBHOOK_BACKOFF_RETRIES default: three attempts in all. */
const DELIVERY_ATTEMPTS = 3;

/**
 * Flag changes to the environment's webhooks, through the job queue. A feature-state write enqueues
 * FEATURE_STATE_CHANGED in its transaction; its handler builds Flagsmith's body ({event_type, data}, keys sorted)
 * once and enqueues one delivery per enabled webhook; each delivery signs the body with that webhook's secret.
 * A delivery of a webhook deleted or disabled in the meantime is dropped.
 */
@Injectable()
export class WebhookDeliveryService implements OnModuleInit {
  constructor(
    private readonly jobs: JobHandlers,
    private readonly webhooks: WebhooksRepository,
    private readonly uow: UnitOfWork,
    private readonly guard: AddressGuard,
  ) {}

  onModuleInit(): void {
    this.jobs.register(FEATURE_STATE_CHANGED, (payload) => this.fanOut(payload));
    this.jobs.register(DELIVER_WEBHOOK, (payload) => this.deliver(payload), {
      maxAttempts: DELIVERY_ATTEMPTS,
    });
  }

  private async fanOut(payload: JobPayload): Promise<void> {
    const targets = await this.webhooks.enabledOf(payload.environment_id as number);
    if (!targets.length) return;
    const body = sortedJson({ event_type: payload.event_type, data: payload.data });
    await this.uow.run(
      async (tx) => targets.forEach((w) => tx.enqueue(DELIVER_WEBHOOK, { webhook_id: w.id, body })),
      {
        unaudited: 'enqueues deliveries of a change audited when it was made',
      },
    );
  }

  private async deliver(payload: JobPayload): Promise<void> {
    const webhook = await this.webhooks.find(payload.webhook_id as number);
    if (!webhook?.enabled) return;
    await postSignedJson(this.guard, webhook.url, payload.body as string, webhook.secret);
  }
}
