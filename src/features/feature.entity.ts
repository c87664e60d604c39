import {
  Check,
  Column,
  CreateDateColumn,
  DeleteDateColumn,
  Entity,
  Index,
  JoinColumn,
  JoinTable,
  ManyToMany,
  ManyToOne,
  PrimaryGeneratedColumn,
  Relation,
  UpdateDateColumn,
} from 'typeorm';
import { newUuid, TIMESTAMP } from '../common/entity-helpers';
import type { Environment } from '../environments/environment.entity';
import type { Identity } from '../identities/identity.entity';
import type { UserGroup } from '../organisations/organisation.entity';
import type { Project, Tag } from '../projects/project.entity';
import type { Segment } from '../segments/segment.entity';
import type { User } from '../users/user.entity';

export type FeatureType = 'STANDARD' | 'MULTIVARIATE';
/** Value types of feature states and multivariate options (Flagsmith's names). */
export type FeatureValueType = 'unicode' | 'int' | 'bool';

/**
 * A feature (flag) of a project. Soft-deleted: `deleted_at` set, states removed. The name is unique per project
 * ignoring case among non-deleted features (partial expression index in the migration).
 */
@Entity({ name: 'features' })
@Index('UQ_features_project_name_live', { synchronize: false })
export class Feature {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'uuid', unique: true })
  uuid: string = newUuid();

  @Column({ type: 'varchar', length: 2000 })
  name!: string;

  @Column({ name: 'project_id', type: 'integer' })
  @Index('IDX_features_project')
  projectId!: number;

  @ManyToOne('Project', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'project_id' })
  project!: Relation<Project>;

  @Column({ type: 'varchar', length: 50, default: 'STANDARD' })
  type!: FeatureType;

  @Column({ name: 'default_enabled', type: 'boolean', default: false })
  defaultEnabled!: boolean;

  @Column({ name: 'initial_value', type: 'varchar', length: 20000, nullable: true })
  initialValue!: string | null;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @CreateDateColumn({ name: 'created_date', type: TIMESTAMP })
  createdDate!: Date;

  @Column({ name: 'is_archived', type: 'boolean', default: false })
  isArchived!: boolean;

  @Column({ name: 'is_server_key_only', type: 'boolean', default: false })
  isServerKeyOnly!: boolean;

  @DeleteDateColumn({ name: 'deleted_at', type: TIMESTAMP, nullable: true })
  deletedAt!: Date | null;

  @ManyToMany('Tag')
  @JoinTable({
    name: 'feature_tags',
    joinColumn: { name: 'feature_id', referencedColumnName: 'id' },
    inverseJoinColumn: { name: 'tag_id', referencedColumnName: 'id' },
  })
  tags!: Relation<Tag[]>;

  @ManyToMany('User')
  @JoinTable({
    name: 'feature_owners',
    joinColumn: { name: 'feature_id', referencedColumnName: 'id' },
    inverseJoinColumn: { name: 'user_id', referencedColumnName: 'id' },
  })
  owners!: Relation<User[]>;

  @ManyToMany('UserGroup')
  @JoinTable({
    name: 'feature_group_owners',
    joinColumn: { name: 'feature_id', referencedColumnName: 'id' },
    inverseJoinColumn: { name: 'group_id', referencedColumnName: 'id' },
  })
  groupOwners!: Relation<UserGroup[]>;
}

/** One variant of a multivariate feature. */
@Entity({ name: 'multivariate_feature_options' })
export class MultivariateFeatureOption {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'uuid', unique: true })
  uuid: string = newUuid();

  @Column({ name: 'feature_id', type: 'integer' })
  @Index('IDX_mv_options_feature')
  featureId!: number;

  @ManyToOne(() => Feature, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'feature_id' })
  feature!: Relation<Feature>;

  @Column({ type: 'varchar', length: 50, default: 'unicode' })
  type!: FeatureValueType;

  @Column({ name: 'string_value', type: 'varchar', length: 20000, nullable: true })
  stringValue!: string | null;

  @Column({ name: 'integer_value', type: 'integer', nullable: true })
  integerValue!: number | null;

  @Column({ name: 'boolean_value', type: 'boolean', nullable: true })
  booleanValue!: boolean | null;

  @Column({ name: 'default_percentage_allocation', type: 'double precision', default: 100 })
  defaultPercentageAllocation!: number;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  key!: string | null;
}

/** A segment override slot: feature × segment × environment, ordered by `priority` (0 = strongest). */
@Entity({ name: 'feature_segments' })
@Index('UQ_feature_segments_feature_segment_env', ['featureId', 'segmentId', 'environmentId'], {
  unique: true,
})
export class FeatureSegment {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'uuid', unique: true })
  uuid: string = newUuid();

  @Column({ name: 'feature_id', type: 'integer' })
  featureId!: number;

  @ManyToOne(() => Feature, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'feature_id' })
  feature!: Relation<Feature>;

  @Column({ name: 'segment_id', type: 'integer' })
  @Index('IDX_feature_segments_segment')
  segmentId!: number;

  @ManyToOne('Segment', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'segment_id' })
  segment!: Relation<Segment>;

  @Column({ name: 'environment_id', type: 'integer' })
  @Index('IDX_feature_segments_env')
  environmentId!: number;

  @ManyToOne('Environment', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'environment_id' })
  environment!: Relation<Environment>;

  @Column({ type: 'integer', default: 0 })
  priority!: number;
}

/**
 * A feature's state in an environment: the environment default (identity and feature_segment null), a segment
 * override (feature_segment set) or an identity override (identity set). At most one default per
 * feature × environment (partial unique index in the migration).
 */
@Entity({ name: 'feature_states' })
@Check('CHK_feature_states_one_kind', '"identity_id" IS NULL OR "feature_segment_id" IS NULL')
@Index('UQ_feature_states_env_default', { synchronize: false })
@Index('UQ_feature_states_feature_identity', ['featureId', 'identityId'], { unique: true })
export class FeatureState {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'uuid', unique: true })
  uuid: string = newUuid();

  @Column({ name: 'feature_id', type: 'integer' })
  @Index('IDX_feature_states_feature')
  featureId!: number;

  @ManyToOne(() => Feature, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'feature_id' })
  feature!: Relation<Feature>;

  @Column({ name: 'environment_id', type: 'integer' })
  @Index('IDX_feature_states_env')
  environmentId!: number;

  @ManyToOne('Environment', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'environment_id' })
  environment!: Relation<Environment>;

  @Column({ name: 'identity_id', type: 'integer', nullable: true })
  @Index('IDX_feature_states_identity')
  identityId!: number | null;

  @ManyToOne('Identity', { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'identity_id' })
  identity!: Relation<Identity> | null;

  @Column({ name: 'feature_segment_id', type: 'integer', nullable: true, unique: true })
  featureSegmentId!: number | null;

  @ManyToOne(() => FeatureSegment, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'feature_segment_id' })
  featureSegment!: Relation<FeatureSegment> | null;

  @Column({ type: 'boolean', default: false })
  enabled!: boolean;

  @Column({ name: 'value_type', type: 'varchar', length: 10, default: 'unicode' })
  valueType!: FeatureValueType;

  @Column({ name: 'string_value', type: 'varchar', length: 20000, nullable: true })
  stringValue!: string | null;

  @Column({ name: 'integer_value', type: 'integer', nullable: true })
  integerValue!: number | null;

  @Column({ name: 'boolean_value', type: 'boolean', nullable: true })
  booleanValue!: boolean | null;

  @CreateDateColumn({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: TIMESTAMP })
  updatedAt!: Date;

  @Column({ name: 'live_from', type: TIMESTAMP, nullable: true })
  liveFrom!: Date | null;

  @Column({ type: 'integer', nullable: true, default: 1 })
  version!: number | null;
}

/** A multivariate option's share of a feature state (percentage 0…100; the states' sum ≤ 100). */
@Entity({ name: 'multivariate_feature_state_values' })
@Index('UQ_mv_fs_values_state_option', ['featureStateId', 'multivariateFeatureOptionId'], { unique: true })
export class MultivariateFeatureStateValue {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'uuid', unique: true })
  uuid: string = newUuid();

  @Column({ name: 'feature_state_id', type: 'integer' })
  featureStateId!: number;

  @ManyToOne(() => FeatureState, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'feature_state_id' })
  featureState!: Relation<FeatureState>;

  @Column({ name: 'multivariate_feature_option_id', type: 'integer' })
  @Index('IDX_mv_fs_values_option')
  multivariateFeatureOptionId!: number;

  @ManyToOne(() => MultivariateFeatureOption, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'multivariate_feature_option_id' })
  multivariateFeatureOption!: Relation<MultivariateFeatureOption>;

  @Column({ name: 'percentage_allocation', type: 'double precision', default: 100 })
  percentageAllocation!: number;
}
