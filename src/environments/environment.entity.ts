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
import type { Project } from '../projects/project.entity';

@Entity({ name: 'environments' })
export class Environment {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'uuid', unique: true })
  uuid: string = newUuid();

  @Column({ type: 'varchar', length: 2000 })
  name!: string;

  /** The client-side ("public") key: 22-char shortuuid-style. Unique index = SDK hot-path lookup. */
  @Column({ name: 'api_key', type: 'varchar', length: 100, unique: true })
  apiKey!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ name: 'project_id', type: 'integer' })
  @Index('IDX_environments_project')
  projectId!: number;

  @ManyToOne('Project', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'project_id' })
  project!: Relation<Project>;

  @CreateDateColumn({ name: 'created_date', type: TIMESTAMP })
  createdDate!: Date;

  /** Bumped by EnvironmentChangesService on every change that can alter evaluation. */
  @Column({ name: 'updated_at', type: TIMESTAMP, default: () => 'now()' })
  updatedAt!: Date;

  /** When an SDK first evaluated this environment's flags, and which (Flagsmith's onboarding status). */
  @Column({ name: 'first_evaluated_at', type: TIMESTAMP, nullable: true })
  firstEvaluatedAt!: Date | null;

  @Column({ name: 'first_evaluated_sdk_label', type: 'varchar', length: 100, nullable: true })
  firstEvaluatedSdkLabel!: string | null;

  @Column({ name: 'minimum_change_request_approvals', type: 'integer', nullable: true })
  minimumChangeRequestApprovals!: number | null;

  @Column({ name: 'allow_client_traits', type: 'boolean', default: true })
  allowClientTraits!: boolean;

  @Column({ name: 'banner_text', type: 'varchar', length: 255, nullable: true })
  bannerText!: string | null;

  @Column({ name: 'banner_colour', type: 'varchar', length: 7, nullable: true })
  bannerColour!: string | null;

  /** null = inherit the project's setting. */
  @Column({ name: 'hide_disabled_flags', type: 'boolean', nullable: true })
  hideDisabledFlags!: boolean | null;

  @Column({ name: 'use_mv_v2_evaluation', type: 'boolean', default: true })
  useMvV2Evaluation!: boolean;

  @Column({ name: 'use_identity_composite_key_for_hashing', type: 'boolean', default: true })
  useIdentityCompositeKeyForHashing!: boolean;

  @Column({ name: 'hide_sensitive_data', type: 'boolean', default: false })
  hideSensitiveData!: boolean;

  @Column({ name: 'use_v2_feature_versioning', type: 'boolean', default: false })
  useV2FeatureVersioning!: boolean;

  @Column({ name: 'use_identity_overrides_in_local_eval', type: 'boolean', default: true })
  useIdentityOverridesInLocalEval!: boolean;

  @Column({ name: 'is_creating', type: 'boolean', default: false })
  isCreating!: boolean;
}

/** A server-side SDK key: "ser." + 22 chars. Unique index on `key` = SDK hot-path lookup. */
@Entity({ name: 'environment_api_keys' })
export class EnvironmentApiKey {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 100, unique: true })
  key!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ name: 'environment_id', type: 'integer' })
  @Index('IDX_environment_api_keys_env')
  environmentId!: number;

  @ManyToOne(() => Environment, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'environment_id' })
  environment!: Relation<Environment>;

  @CreateDateColumn({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: TIMESTAMP, nullable: true })
  expiresAt!: Date | null;

  @Column({ type: 'boolean', default: true })
  active!: boolean;
}
