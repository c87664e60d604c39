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
import type { Organisation } from '../organisations/organisation.entity';

@Entity({ name: 'projects' })
export class Project {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'uuid', unique: true })
  uuid: string = newUuid();

  @Column({ type: 'varchar', length: 2000 })
  name!: string;

  @Column({ name: 'organisation_id', type: 'integer' })
  @Index('IDX_projects_org')
  organisationId!: number;

  @ManyToOne('Organisation', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organisation_id' })
  organisation!: Relation<Organisation>;

  @CreateDateColumn({ name: 'created_date', type: TIMESTAMP })
  createdDate!: Date;

  @Column({ name: 'hide_disabled_flags', type: 'boolean', default: false })
  hideDisabledFlags!: boolean;

  /** Flagsmith's default: a new feature's states take its default_enabled and initial value. */
  @Column({ name: 'prevent_flag_defaults', type: 'boolean', default: false })
  preventFlagDefaults!: boolean;

  @Column({ name: 'enable_realtime_updates', type: 'boolean', default: false })
  enableRealtimeUpdates!: boolean;

  @Column({ name: 'only_allow_lower_case_feature_names', type: 'boolean', default: true })
  onlyAllowLowerCaseFeatureNames!: boolean;

  @Column({ name: 'feature_name_regex', type: 'varchar', length: 255, nullable: true })
  featureNameRegex!: string | null;

  @Column({ name: 'stale_flags_limit_days', type: 'integer', default: 30 })
  staleFlagsLimitDays!: number;

  @Column({ name: 'minimum_change_request_approvals', type: 'integer', nullable: true })
  minimumChangeRequestApprovals!: number | null;

  @Column({ name: 'enforce_feature_owners', type: 'boolean', default: false })
  enforceFeatureOwners!: boolean;

  @Column({ name: 'show_edge_identity_overrides_for_feature', type: 'boolean', default: false })
  showEdgeIdentityOverridesForFeature!: boolean;

  @Column({ name: 'max_segments_allowed', type: 'integer', default: 500 })
  maxSegmentsAllowed!: number;

  @Column({ name: 'max_features_allowed', type: 'integer', default: 1000 })
  maxFeaturesAllowed!: number;

  @Column({ name: 'max_segment_overrides_allowed', type: 'integer', default: 2000 })
  maxSegmentOverridesAllowed!: number;
}

/** A feature tag (project scoped). */
@Entity({ name: 'tags' })
export class Tag {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'uuid', unique: true })
  uuid: string = newUuid();

  @Column({ type: 'varchar', length: 100 })
  label!: string;

  @Column({ type: 'varchar', length: 10, default: '#6837FC' })
  color!: string;

  @Column({ type: 'varchar', length: 512, nullable: true })
  description!: string | null;

  @Column({ name: 'project_id', type: 'integer' })
  @Index('IDX_tags_project')
  projectId!: number;

  @ManyToOne(() => Project, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'project_id' })
  project!: Relation<Project>;

  @Column({ name: 'is_permanent', type: 'boolean', default: false })
  isPermanent!: boolean;
}
