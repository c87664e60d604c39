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
import { newUuid, TIMESTAMP } from '../common/entity-helpers';
import { Feature } from '../features/feature.entity';
import type { Project } from '../projects/project.entity';
import { CONDITION_VALUE_COLUMN } from './condition-value-limit';

export type SegmentRuleType = 'ALL' | 'ANY' | 'NONE';
export const SEGMENT_RULE_TYPES: readonly SegmentRuleType[] = ['ALL', 'ANY', 'NONE'];

/** Condition operators (docs/contracts/engine.md §8, docs/contracts/admin-api.md §8). */
export const SEGMENT_CONDITION_OPERATORS = [
  'EQUAL',
  'GREATER_THAN',
  'LESS_THAN',
  'LESS_THAN_INCLUSIVE',
  'CONTAINS',
  'GREATER_THAN_INCLUSIVE',
  'NOT_CONTAINS',
  'NOT_EQUAL',
  'REGEX',
  'PERCENTAGE_SPLIT',
  'MODULO',
  'IS_SET',
  'IS_NOT_SET',
  'IN',
] as const;
export type SegmentConditionOperator = (typeof SEGMENT_CONDITION_OPERATORS)[number];

/** A project segment; `feature` set = a feature-specific segment. */
@Entity({ name: 'segments' })
export class Segment {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'uuid', unique: true })
  uuid: string = newUuid();

  @Column({ type: 'varchar', length: 2000 })
  name!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ name: 'project_id', type: 'integer' })
  @Index('IDX_segments_project')
  projectId!: number;

  @ManyToOne('Project', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'project_id' })
  project!: Relation<Project>;

  @Column({ name: 'feature_id', type: 'integer', nullable: true })
  @Index('IDX_segments_feature')
  featureId!: number | null;

  @ManyToOne(() => Feature, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'feature_id' })
  feature!: Relation<Feature> | null;

  @CreateDateColumn({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: TIMESTAMP })
  updatedAt!: Date;
}

/** A rule: belongs to a segment (top level) or to a parent rule (nested); exactly one of the two is set. */
@Entity({ name: 'segment_rules' })
@Check('CHK_segment_rules_one_parent', '("segment_id" IS NULL) <> ("rule_id" IS NULL)')
export class SegmentRule {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'segment_id', type: 'integer', nullable: true })
  @Index('IDX_segment_rules_segment')
  segmentId!: number | null;

  @ManyToOne(() => Segment, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'segment_id' })
  segment!: Relation<Segment> | null;

  @Column({ name: 'rule_id', type: 'integer', nullable: true })
  @Index('IDX_segment_rules_parent')
  ruleId!: number | null;

  @ManyToOne(() => SegmentRule, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'rule_id' })
  rule!: Relation<SegmentRule> | null;

  @Column({ type: 'varchar', length: 50 })
  type!: SegmentRuleType;
}

@Entity({ name: 'segment_conditions' })
export class SegmentCondition {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'rule_id', type: 'integer' })
  @Index('IDX_segment_conditions_rule')
  ruleId!: number;

  @ManyToOne(() => SegmentRule, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'rule_id' })
  rule!: Relation<SegmentRule>;

  @Column({ type: 'varchar', length: 500 })
  operator!: SegmentConditionOperator;

  /** Trait key or `$.` context path; null for PERCENTAGE_SPLIT. */
  @Column({ type: 'varchar', length: 1000, nullable: true })
  property!: string | null;

  /** varchar(SEGMENT_CONDITION_VALUE_LIMIT): see condition-value-limit.ts. */
  @Column(CONDITION_VALUE_COLUMN)
  value!: string | null;

  @Column({ type: 'text', nullable: true })
  description!: string | null;
}
