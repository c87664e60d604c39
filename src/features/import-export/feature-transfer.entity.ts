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
import { TIMESTAMP } from '../../common/entity-helpers';
import type { Environment } from '../../environments/environment.entity';

/** Flagsmith's import/export statuses (features/import_export/constants.py). */
export const TRANSFER_STATUSES = ['SUCCESS', 'PROCESSING', 'FAILED'] as const;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];
/** SKIP leaves features that already exist alone; OVERWRITE_DESTRUCTIVE replaces their state in the environment. */
export const IMPORT_STRATEGIES = ['SKIP', 'OVERWRITE_DESTRUCTIVE'] as const;
export type ImportStrategy = (typeof IMPORT_STRATEGIES)[number];

/** An export of an environment's feature values (Flagsmith's FeatureExport): `data` is the file, set on SUCCESS. */
@Entity({ name: 'feature_exports' })
export class FeatureExport {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'environment_id', type: 'integer' })
  @Index('IDX_feature_exports_environment')
  environmentId!: number;

  @ManyToOne('Environment', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'environment_id' })
  environment!: Relation<Environment>;

  @Column({ type: 'varchar', length: 50, default: 'PROCESSING' })
  status!: TransferStatus;

  @Column({ type: 'text', nullable: true })
  data!: string | null;

  @CreateDateColumn({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;
}

/** An uploaded file imported into an environment (Flagsmith's FeatureImport): `data` is the file as sent. */
@Entity({ name: 'feature_imports' })
export class FeatureImport {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'environment_id', type: 'integer' })
  @Index('IDX_feature_imports_environment')
  environmentId!: number;

  @ManyToOne('Environment', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'environment_id' })
  environment!: Relation<Environment>;

  @Column({ type: 'varchar', length: 50 })
  strategy!: ImportStrategy;

  @Column({ type: 'varchar', length: 50, default: 'PROCESSING' })
  status!: TransferStatus;

  @Column({ type: 'text' })
  data!: string;

  @CreateDateColumn({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;
}

/** The export served by /features/download-flagsmith-on-flagsmith/ (Flagsmith's FlagsmithOnFlagsmithFeatureExport). */
@Entity({ name: 'flagsmith_on_flagsmith_feature_exports' })
export class FlagsmithOnFlagsmithFeatureExport {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'feature_export_id', type: 'integer' })
  @Index('IDX_fof_feature_exports_export')
  featureExportId!: number;

  @ManyToOne(() => FeatureExport, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'feature_export_id' })
  featureExport!: Relation<FeatureExport>;

  @CreateDateColumn({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;
}
