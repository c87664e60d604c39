import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { TIMESTAMP } from '../common/entity-helpers';

/** One startup report received from another install on POST /api/v1/analytics/telemetry/. */
@Entity({ name: 'telemetry_reports' })
export class TelemetryReport {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'integer' })
  organisations!: number;

  @Column({ type: 'integer' })
  projects!: number;

  @Column({ type: 'integer' })
  environments!: number;

  @Column({ type: 'integer' })
  features!: number;

  @Column({ type: 'integer' })
  segments!: number;

  @Column({ type: 'integer' })
  users!: number;

  @Column({ name: 'debug_enabled', type: 'boolean' })
  debugEnabled!: boolean;

  /** The reporting deployment's ENVIRONMENT name. */
  @Column({ type: 'varchar', length: 255 })
  env!: string;

  /** The address the install found on its own network interfaces, if it reported one. */
  @Column({ name: 'external_ip', type: 'varchar', length: 45, nullable: true })
  externalIp!: string | null;

  /** The address the report came from, as this server saw it. */
  @Column({ name: 'remote_address', type: 'varchar', length: 45, nullable: true })
  remoteAddress!: string | null;

  @CreateDateColumn({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;
}
