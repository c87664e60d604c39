import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config';
import { AuditRepository } from '../audit/audit.repository';
import { auditJson } from '../audit/audit.serializers';
import { AUDIT_LOG_RECORDED, UnitOfWork, type JobPayload } from '../common/unit-of-work';
import { FEATURE_STATE_CHANGED } from '../features/feature-state-webhook';
import type { ClaimedJob } from '../jobs/job-queue.repository';
import { JobHandlers, PermanentJobError } from '../jobs/job-worker.service';
import { EmailService } from '../email/email.service';
import { webhookFailureEmail } from '../email/templates';
import { AddressGuard } from '../outbound/address-guard';
import {
  DELIVERY_ID_HEADER,
  postSignedJson,
  RefusedDeliveryError,
  RetryableDeliveryError,
  sortedJson,
} from './signed-post';
import { OrganisationWebhook, type WebhookScope } from './webhook.entity';
import { AnyWebhook, WebhooksRepository } from './webhooks.repository';

/** One POST of one body to one webhook; retried on its own, so a failing receiver never holds back the others. */
export const DELIVER_WEBHOOK = 'webhook.deliver';

/** Flagsmith's WEBHOOK_BACKOFF_RETRIES default: three attempts in all. */
export const DELIVERY_ATTEMPTS = 3;

const MAX_ERROR_LENGTH = 500;

/**
 * Events to webhooks, through the job queue. A feature-state write enqueues FEATURE_STATE_CHANGED, and a unit of
 * work enqueues AUDIT_LOG_RECORDED for an audit record of an organisation with an enabled webhook, each in its
 * transaction. Their handlers build Flagsmith's body ({event_type, data}, keys sorted) once and enqueue one
 * delivery per enabled webhook: a flag change goes to the environment's webhooks and to its organisation's (as
 * Flagsmith's features/tasks.py), an audit record to the organisation's. Each delivery signs the body with its
 * webhook's secret, carries the delivery job's id in X-Flagport-Delivery-Id (the same on every attempt: delivery is
 * at least once, the receiver may dedupe by it) and records each attempt in the webhook's delivery history. A delivery of a webhook deleted or
 * disabled in the meantime is dropped.
 */
@Injectable()
export class WebhookDeliveryService implements OnModuleInit {
  constructor(
    private readonly jobs: JobHandlers,
    private readonly webhooks: WebhooksRepository,
    private readonly audit: AuditRepository,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly guard: AddressGuard,
    private readonly email: EmailService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.jobs.register(FEATURE_STATE_CHANGED, (payload) => this.flagChanged(payload));
    this.jobs.register(AUDIT_LOG_RECORDED, (payload) => this.auditRecorded(payload));
    this.jobs.register(DELIVER_WEBHOOK, (payload, job) => this.deliver(payload, job), {
      maxAttempts: DELIVERY_ATTEMPTS,
    });
  }

  private async flagChanged(payload: JobPayload): Promise<void> {
    const targets = [
      ...(await this.webhooks.enabledOf('environment', payload.environment_id as number)),
      ...(typeof payload.organisation_id === 'number'
        ? await this.webhooks.enabledOf('organisation', payload.organisation_id)
        : []),
    ];
    await this.fanOut(targets, payload.event_type as string, payload.data);
  }

  /** Flagsmith's AUDIT_LOG_CREATED: the record as the audit log list serialises it. */
  private async auditRecorded(payload: JobPayload): Promise<void> {
    const organisationId = payload.organisation_id as number;
    // On the primary: the record was committed a moment ago and may not be on a replica yet.
    const record = await this.audit.one(
      this.dataSource.manager,
      { kind: 'organisation', organisationId },
      payload.audit_log_id as number,
    );
    if (!record) return;
    const targets = await this.webhooks.enabledOf('organisation', organisationId);
    await this.fanOut(targets, 'AUDIT_LOG_CREATED', auditJson(record));
  }

  private async fanOut(targets: readonly AnyWebhook[], eventType: string, data: unknown): Promise<void> {
    if (!targets.length) return;
    const body = sortedJson({ event_type: eventType, data });
    await this.uow.run(
      async (tx) =>
        targets.forEach((w) =>
          tx.enqueue(DELIVER_WEBHOOK, {
            scope: w instanceof OrganisationWebhook ? 'organisation' : 'environment',
            webhook_id: w.id,
            event_type: eventType,
            body,
          }),
        ),
      { unaudited: 'enqueues deliveries of a change audited when it was made' },
    );
  }

  private async deliver(payload: JobPayload, job: ClaimedJob): Promise<void> {
    const scope = (payload.scope as WebhookScope | undefined) ?? 'environment';
    const webhook = await this.webhooks.find(scope, payload.webhook_id as number);
    if (!webhook?.enabled) return;
    const attempt = {
      jobId: job.id,
      eventType: typeof payload.event_type === 'string' ? payload.event_type : 'FLAG_UPDATED',
      attempts: job.attempts,
    };
    try {
      const { status } = await postSignedJson(
        this.guard,
        webhook.url,
        payload.body as string,
        webhook.secret,
        {
          timeoutMs: this.config.WEBHOOK_DELIVERY_TIMEOUT_MS,
          headers: { [DELIVERY_ID_HEADER]: job.id },
        },
      );
      await this.record(scope, webhook.id, {
        ...attempt,
        state: 'succeeded',
        statusCode: status,
        error: null,
      });
    } catch (err) {
      const final = err instanceof PermanentJobError || job.attempts >= DELIVERY_ATTEMPTS;
      const status =
        err instanceof RetryableDeliveryError || err instanceof RefusedDeliveryError ? err.status : null;
      const error = (err instanceof Error ? err.message : String(err)).slice(0, MAX_ERROR_LENGTH);
      await this.record(scope, webhook.id, {
        ...attempt,
        state: final ? 'failed' : 'retrying',
        statusCode: status,
        error,
      });
      if (final)
        await this.tellOrganisation(scope, webhook.id, {
          statusCode: status,
          error,
          attempts: job.attempts,
          body: payload.body as string,
        });
      throw err;
    }
  }

  /** As Flagsmith: a delivery that failed for good is emailed to the organisation's webhook_notification_email. */
  private async tellOrganisation(
    scope: WebhookScope,
    webhookId: number,
    outcome: { statusCode: number | null; error: string; attempts: number; body: string },
  ): Promise<void> {
    const notice = await this.webhooks.failureNotice(scope, webhookId);
    if (!notice) return;
    await this.email.send({ to: notice.email, ...webhookFailureEmail({ ...notice, ...outcome }) });
  }

  private record(
    scope: WebhookScope,
    webhookId: number,
    outcome: Parameters<WebhooksRepository['recordAttempt']>[3],
  ): Promise<void> {
    return this.uow.run((tx) => this.webhooks.recordAttempt(tx.manager, scope, webhookId, outcome), {
      unaudited: 'the delivery history is a log of its own',
    });
  }
}
