import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Relation,
  UpdateDateColumn,
} from 'typeorm';
import { Environment } from '../environments/environment.entity';
import { Organisation } from '../organisations/organisation.entity';
import { newUuid, TIMESTAMP } from '../common/entity-helpers';

/**
 * What every webhook has (Flagsmith's AbstractBaseWebhookModel): the columns of both tables below, which differ
 * only in what the webhook hangs on.
 */
abstract class WebhookColumns {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'uuid', unique: true })
  uuid: string = newUuid();

  @Column({ type: 'varchar', length: 200 })
  url!: string;

  /** HMAC key of X-Flagsmith-Signature; '' = unsigned. */
  @Column({ type: 'varchar', length: 255, default: '' })
  secret!: string;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  @CreateDateColumn({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: TIMESTAMP })
  updatedAt!: Date;
}

/** Flagsmith's environments.Webhook: a URL told about every flag change of one environment. */
@Entity({ name: 'environment_webhooks' })
export class EnvironmentWebhook extends WebhookColumns {
  @Column({ name: 'environment_id', type: 'integer' })
  @Index('IDX_environment_webhooks_environment')
  environmentId!: number;

  @ManyToOne(() => Environment, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'environment_id' })
  environment!: Relation<Environment>;
}

/** Flagsmith's organisations.OrganisationWebhook: a URL told about every audit-log record and flag change. */
@Entity({ name: 'organisation_webhooks' })
export class OrganisationWebhook extends WebhookColumns {
  @Column({ name: 'organisation_id', type: 'integer' })
  @Index('IDX_organisation_webhooks_organisation')
  organisationId!: number;

  @ManyToOne(() => Organisation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organisation_id' })
  organisation!: Relation<Organisation>;
}

/** Where a webhook hangs: an environment's or an organisation's. */
export type WebhookScope = 'environment' | 'organisation';

/**
 * One delivery of one event to one webhook (flagport's own; Flagsmith keeps none): its attempts so far and the
 * last one's outcome. Keyed by the delivery's job, so a retry updates its row; the newest 100 per webhook are kept.
 */
@Entity({ name: 'webhook_deliveries' })
@Index('IDX_webhook_deliveries_environment_webhook', ['environmentWebhookId', 'id'])
@Index('IDX_webhook_deliveries_organisation_webhook', ['organisationWebhookId', 'id'])
@Check(
  'CHK_webhook_deliveries_one_webhook',
  '("environment_webhook_id" IS NULL) <> ("organisation_webhook_id" IS NULL)',
)
export class WebhookDelivery {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'job_id', type: 'bigint', unique: true })
  jobId!: string;

  @Column({ name: 'environment_webhook_id', type: 'integer', nullable: true })
  environmentWebhookId!: number | null;

  @ManyToOne(() => EnvironmentWebhook, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'environment_webhook_id' })
  environmentWebhook?: Relation<EnvironmentWebhook>;

  @Column({ name: 'organisation_webhook_id', type: 'integer', nullable: true })
  organisationWebhookId!: number | null;

  @ManyToOne(() => OrganisationWebhook, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organisation_webhook_id' })
  organisationWebhook?: Relation<OrganisationWebhook>;

  @Column({ name: 'event_type', type: 'varchar', length: 50 })
  eventType!: string;

  /** retrying (an attempt failed, another is due), succeeded, or failed (for good). */
  @Column({ type: 'varchar', length: 16 })
  state!: 'retrying' | 'succeeded' | 'failed';

  @Column({ type: 'integer' })
  attempts!: number;

  /** The last attempt's HTTP status; null when the receiver did not answer. */
  @Column({ name: 'status_code', type: 'integer', nullable: true })
  statusCode!: number | null;

  /** Why the last attempt failed; null when it succeeded. */
  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @CreateDateColumn({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;

  /** When the last attempt ended. */
  @Column({ name: 'last_attempt_at', type: TIMESTAMP })
  lastAttemptAt!: Date;
}
