import {
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
import { newUuid, TIMESTAMP } from '../common/entity-helpers';

/** Flagsmith's environments.Webhook: a URL told about every flag change of one environment. */
@Entity({ name: 'environment_webhooks' })
export class EnvironmentWebhook {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'uuid', unique: true })
  uuid: string = newUuid();

  @Column({ name: 'environment_id', type: 'integer' })
  @Index('IDX_environment_webhooks_environment')
  environmentId!: number;

  @ManyToOne(() => Environment, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'environment_id' })
  environment!: Relation<Environment>;

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
