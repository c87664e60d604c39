import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, FindOptionsWhere, In } from 'typeorm';
import type { AuditFollowers } from '../common/unit-of-work';
import { EnvironmentWebhook, OrganisationWebhook, WebhookDelivery, WebhookScope } from './webhook.entity';

/** An environment's or an organisation's webhook: the same columns under another owner. */
export type AnyWebhook = EnvironmentWebhook | OrganisationWebhook;
export type WebhookColumns = Partial<Pick<AnyWebhook, 'url' | 'secret' | 'enabled'>>;

/** How many deliveries are kept per webhook (the newest). */
export const DELIVERIES_KEPT = 100;

/** Each scope's entity, owner column and delivery column. */
const SCOPES = {
  environment: {
    entity: EnvironmentWebhook,
    owner: 'environmentId',
    deliveryColumn: 'environment_webhook_id',
  },
  organisation: {
    entity: OrganisationWebhook,
    owner: 'organisationId',
    deliveryColumn: 'organisation_webhook_id',
  },
} as const;

function ownedBy(scope: WebhookScope, ownerId: number, more: { id?: number; enabled?: boolean } = {}) {
  return { [SCOPES[scope].owner]: ownerId, ...more } as FindOptionsWhere<AnyWebhook>;
}

/** What one delivery attempt ended with. */
export interface AttemptOutcome {
  readonly jobId: string;
  readonly eventType: string;
  readonly attempts: number;
  readonly state: WebhookDelivery['state'];
  readonly statusCode: number | null;
  readonly error: string | null;
}

/** Who is told of a webhook's failed delivery, and what about (environment and project: environment webhooks). */
export interface FailureNotice {
  readonly email: string;
  readonly url: string;
  readonly organisationName: string;
  readonly projectName: string | null;
  readonly environmentName: string | null;
}

/** Every SQL statement of webhooks (environment and organisation) and their delivery history. */
@Injectable()
export class WebhooksRepository implements AuditFollowers {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private repo(scope: WebhookScope, manager: EntityManager = this.dataSource.manager) {
    return manager.getRepository<AnyWebhook>(SCOPES[scope].entity);
  }

  list(scope: WebhookScope, ownerId: number): Promise<AnyWebhook[]> {
    return this.repo(scope).find({ where: ownedBy(scope, ownerId), order: { id: 'ASC' } });
  }

  enabledOf(scope: WebhookScope, ownerId: number): Promise<AnyWebhook[]> {
    return this.repo(scope).find({ where: ownedBy(scope, ownerId, { enabled: true }), order: { id: 'ASC' } });
  }

  /** The organisations among `organisationIds` with an enabled webhook (AuditFollowers, for the unit of work). */
  async organisationsFollowing(
    manager: EntityManager,
    organisationIds: readonly number[],
  ): Promise<Set<number>> {
    if (!organisationIds.length) return new Set();
    const rows = await manager
      .getRepository(OrganisationWebhook)
      .createQueryBuilder('w')
      .select('DISTINCT w.organisation_id', 'organisation_id')
      .where({ organisationId: In([...organisationIds]), enabled: true })
      .getRawMany<{ organisation_id: number }>();
    return new Set(rows.map((r) => r.organisation_id));
  }

  find(scope: WebhookScope, id: number): Promise<AnyWebhook | null> {
    return this.repo(scope).findOneBy({ id });
  }

  /** A webhook of this owner (null for another owner's: never leak it). */
  findOwned(scope: WebhookScope, ownerId: number, id: number): Promise<AnyWebhook | null> {
    return this.repo(scope).findOneBy(ownedBy(scope, ownerId, { id }));
  }

  insert(
    manager: EntityManager,
    scope: WebhookScope,
    ownerId: number,
    columns: Required<WebhookColumns>,
  ): Promise<AnyWebhook> {
    const repo = this.repo(scope, manager);
    return repo.save(repo.create({ ...ownedBy(scope, ownerId), ...columns } as Partial<AnyWebhook>));
  }

  /** Writes exactly the columns given; null when the owner has no such webhook. */
  async update(
    manager: EntityManager,
    scope: WebhookScope,
    ownerId: number,
    id: number,
    columns: WebhookColumns,
  ): Promise<AnyWebhook | null> {
    const repo = this.repo(scope, manager);
    const current = await repo.findOne({
      where: ownedBy(scope, ownerId, { id }),
      lock: { mode: 'for_no_key_update' },
    });
    if (!current) return null;
    await repo.update({ id }, { ...columns, updatedAt: new Date() });
    return repo.findOneByOrFail({ id });
  }

  async delete(manager: EntityManager, scope: WebhookScope, ownerId: number, id: number): Promise<boolean> {
    const result = await this.repo(scope, manager).delete(ownedBy(scope, ownerId, { id }));
    return (result.affected ?? 0) > 0;
  }

  /**
   * Records an attempt of one delivery (a job): its row is created by the first attempt and updated by each
   * retry; a first attempt also drops the webhook's deliveries beyond the newest DELIVERIES_KEPT.
   */
  async recordAttempt(
    manager: EntityManager,
    scope: WebhookScope,
    webhookId: number,
    outcome: AttemptOutcome,
  ): Promise<void> {
    const column = SCOPES[scope].deliveryColumn;
    await manager.query(
      `INSERT INTO "webhook_deliveries"
         ("job_id", "${column}", "event_type", "state", "attempts", "status_code", "error", "last_attempt_at")
       VALUES ($1, $2, $3, $4, $5, $6, $7, now())
       ON CONFLICT ("job_id") DO UPDATE SET "state" = EXCLUDED."state", "attempts" = EXCLUDED."attempts",
         "status_code" = EXCLUDED."status_code", "error" = EXCLUDED."error", "last_attempt_at" = now()`,
      [
        outcome.jobId,
        webhookId,
        outcome.eventType,
        outcome.state,
        outcome.attempts,
        outcome.statusCode,
        outcome.error,
      ],
    );
    if (outcome.attempts === 1)
      await manager.query(
        `DELETE FROM "webhook_deliveries" WHERE "${column}" = $1 AND "id" <= (
           SELECT "id" FROM "webhook_deliveries" WHERE "${column}" = $1 ORDER BY "id" DESC OFFSET $2 LIMIT 1)`,
        [webhookId, DELIVERIES_KEPT],
      );
  }

  /** A webhook's kept deliveries, newest first. */
  deliveries(scope: WebhookScope, webhookId: number): Promise<WebhookDelivery[]> {
    const where =
      scope === 'environment' ? { environmentWebhookId: webhookId } : { organisationWebhookId: webhookId };
    return this.dataSource.getRepository(WebhookDelivery).find({ where, order: { id: 'DESC' } });
  }

  /** The organisation's webhook_notification_email and the webhook's context; null when no one is to be told. */
  async failureNotice(scope: WebhookScope, webhookId: number): Promise<FailureNotice | null> {
    const rows = await this.dataSource.query<FailureNotice[]>(
      scope === 'environment'
        ? `SELECT o.webhook_notification_email AS email, w.url, o.name AS "organisationName",
                  p.name AS "projectName", e.name AS "environmentName"
             FROM environment_webhooks w JOIN environments e ON e.id = w.environment_id
             JOIN projects p ON p.id = e.project_id JOIN organisations o ON o.id = p.organisation_id
            WHERE w.id = $1 AND o.webhook_notification_email <> ''`
        : `SELECT o.webhook_notification_email AS email, w.url, o.name AS "organisationName",
                  NULL AS "projectName", NULL AS "environmentName"
             FROM organisation_webhooks w JOIN organisations o ON o.id = w.organisation_id
            WHERE w.id = $1 AND o.webhook_notification_email <> ''`,
      [webhookId],
    );
    return rows[0] ?? null;
  }
}
