import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Relation,
} from 'typeorm';
import { newUuid, TIMESTAMP } from '../common/entity-helpers';
import type { Environment } from '../environments/environment.entity';
import { Feature } from './feature.entity';
import type { Project } from '../projects/project.entity';
import type { User } from '../users/user.entity';

/** Flagsmith's provider names (FeatureHealthProviderName; "Sample" was renamed "Webhook"). */
export const FEATURE_HEALTH_PROVIDER_NAMES = ['Webhook', 'Grafana'] as const;
export type FeatureHealthProviderName = (typeof FEATURE_HEALTH_PROVIDER_NAMES)[number];

export const FEATURE_HEALTH_EVENT_TYPES = ['UNHEALTHY', 'HEALTHY'] as const;
export type FeatureHealthEventType = (typeof FEATURE_HEALTH_EVENT_TYPES)[number];

/**
 * A feature health provider of a project: at most one per name. Its webhook URL carries `webhook_token`, a random
 * secret (Flagsmith signs the provider's uuid instead; a stored token does not depend on SECRET_KEY).
 */
@Entity({ name: 'feature_health_providers' })
@Index('UQ_feature_health_providers_project_name', ['projectId', 'name'], { unique: true })
export class FeatureHealthProvider {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'uuid', unique: true })
  uuid: string = newUuid();

  @Column({ type: 'varchar', length: 50 })
  name!: FeatureHealthProviderName;

  @Column({ name: 'project_id', type: 'integer' })
  projectId!: number;

  @ManyToOne('Project', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'project_id' })
  project!: Relation<Project>;

  @Column({ name: 'created_by_id', type: 'integer', nullable: true })
  createdById!: number | null;

  @ManyToOne('User', { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'created_by_id' })
  createdBy!: Relation<User> | null;

  @Column({ name: 'webhook_token', type: 'varchar', length: 64, unique: true })
  webhookToken!: string;

  @CreateDateColumn({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;
}

/** A change of a feature's health reported by a provider (optionally for one environment), or a dismissal. */
@Entity({ name: 'feature_health_events' })
@Index('IDX_feature_health_events_feature_created', ['featureId', 'createdAt'])
export class FeatureHealthEvent {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'uuid', unique: true })
  uuid: string = newUuid();

  @Column({ name: 'feature_id', type: 'integer' })
  featureId!: number;

  @ManyToOne(() => Feature, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'feature_id' })
  feature!: Relation<Feature>;

  @Column({ name: 'environment_id', type: 'integer', nullable: true })
  @Index('IDX_feature_health_events_environment')
  environmentId!: number | null;

  @ManyToOne('Environment', { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'environment_id' })
  environment!: Relation<Environment> | null;

  @Column({ name: 'created_at', type: TIMESTAMP, default: () => 'now()' })
  createdAt!: Date;

  @Column({ type: 'varchar', length: 50 })
  type!: FeatureHealthEventType;

  @Column({ name: 'provider_name', type: 'varchar', length: 255, nullable: true })
  providerName!: string | null;

  /** Flagsmith's reason JSON (`{text_blocks, url_blocks}`), stored as text as Flagsmith does. */
  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ name: 'external_id', type: 'varchar', length: 255, nullable: true })
  externalId!: string | null;
}
