import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { escapeLike, pageOfQuery, type PageRequest } from '../common/pagination';
import type { Environment } from '../environments/environment.entity';
import { Feature, FeatureSegment, FeatureState } from '../features/feature.entity';
import type { Identity } from '../identities/identity.entity';
import type { RuleInput } from './segment.schemas';
import { loadRuleTrees, RuleNode } from './segment-tree';
import { Segment, SegmentCondition, SegmentRule } from './segment.entity';

export type SegmentColumns = Partial<Pick<Segment, 'name' | 'description' | 'featureId' | 'updatedAt'>>;

export interface SegmentFilter {
  /** Part of the name, case-insensitive. */
  readonly q?: string;
  /** false: only segments not specific to a feature. */
  readonly includeFeatureSpecific: boolean;
  /** Only these segments. */
  readonly ids?: readonly number[];
}

/**
 * Every SQL statement about segments, their rule trees and what they are used by. Writes take the unit of
 * work's manager; reads outside a write use the primary. SegmentsService holds the rules.
 */
/**
 * Which of its project's segments an identity is in. Evaluating an identity is the work of the identities folder
 * (identity-evaluation.ts), which builds on segments; so segments asks through this token (bound in CoreModule).
 */
export interface IdentitySegmentMatcher {
  /** Ids of the project's segments the identity belongs to (ascending); `identity.environment` is loaded. */
  segmentIdsOf(identity: Identity): Promise<number[]>;
}

export const IDENTITY_SEGMENT_MATCHER = Symbol('IdentitySegmentMatcher');

@Injectable()
export class SegmentsRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(IDENTITY_SEGMENT_MATCHER) private readonly identitySegments: IdentitySegmentMatcher,
  ) {}

  /** One page of the project's segments in id order, and how many match. */
  page(
    projectId: number,
    filter: SegmentFilter,
    page: PageRequest,
  ): Promise<{ count: number; rows: Segment[] }> {
    const query = this.dataSource
      .getRepository(Segment)
      .createQueryBuilder('s')
      .where('s.project_id = :project', { project: projectId })
      .orderBy('s.id');
    if (filter.q) query.andWhere(`s.name ILIKE :q ESCAPE '\\'`, { q: `%${escapeLike(filter.q)}%` });
    if (!filter.includeFeatureSpecific) query.andWhere('s.feature_id IS NULL');
    if (filter.ids) query.andWhere('s.id = ANY(:ids)', { ids: [...filter.ids] });
    return pageOfQuery(query, page);
  }

  find(projectId: number, id: number): Promise<Segment | null> {
    return this.dataSource.getRepository(Segment).findOneBy({ id, projectId });
  }

  /** A segment of any project (the caller checks that project). */
  findByUuid(uuid: string): Promise<Segment | null> {
    return this.dataSource.getRepository(Segment).findOneBy({ uuid });
  }

  /** The row, locked FOR NO KEY UPDATE until the transaction ends (an update syncs the rules of the current tree). */
  lock(manager: EntityManager, id: number): Promise<Segment | null> {
    return manager.getRepository(Segment).findOne({ where: { id }, lock: { mode: 'for_no_key_update' } });
  }

  insert(
    manager: EntityManager,
    fields: Pick<Segment, 'name' | 'description' | 'projectId' | 'featureId'>,
  ): Promise<Segment> {
    const repo = manager.getRepository(Segment);
    return repo.save(repo.create(fields));
  }

  /** Writes exactly these columns and returns the row as stored. */
  async update(manager: EntityManager, id: number, columns: SegmentColumns): Promise<Segment> {
    if (Object.keys(columns).length) await manager.getRepository(Segment).update({ id }, columns);
    return manager.getRepository(Segment).findOneByOrFail({ id });
  }

  async delete(manager: EntityManager, id: number): Promise<void> {
    await manager.getRepository(Segment).delete({ id });
  }

  /** The rule trees of these segments (two queries, whatever their number and depth). */
  ruleTrees(segmentIds: readonly number[], manager?: EntityManager): Promise<Map<number, RuleNode[]>> {
    return loadRuleTrees(manager ?? this.dataSource.manager, segmentIds);
  }

  /**
   * Stores `rules` under the segment: items with an `id` (a rule/condition of this segment, checked by the
   * service) are updated in place and may move, the others are inserted.
   */
  async saveRules(manager: EntityManager, segmentId: number, rules: readonly RuleInput[]): Promise<void> {
    const save = async (rule: RuleInput, parent: { segmentId: number | null; ruleId: number | null }) => {
      let id: number;
      if (rule.id !== undefined) {
        await manager.update(SegmentRule, { id: rule.id }, { type: rule.type, ...parent });
        id = rule.id;
      } else {
        const inserted = await manager.insert(SegmentRule, { type: rule.type, ...parent });
        id = (inserted.identifiers[0] as { id: number }).id;
      }
      for (const c of rule.conditions) {
        const values = {
          ruleId: id,
          operator: c.operator,
          property: c.property,
          value: c.value,
          description: c.description,
        };
        if (c.id !== undefined) await manager.update(SegmentCondition, { id: c.id }, values);
        else await manager.insert(SegmentCondition, values);
      }
      for (const sub of rule.rules) await save(sub, { segmentId: null, ruleId: id });
    };
    for (const rule of rules) await save(rule, { segmentId, ruleId: null });
  }

  async deleteRules(
    manager: EntityManager,
    ruleIds: readonly number[],
    conditionIds: readonly number[],
  ): Promise<void> {
    if (conditionIds.length > 0) await manager.delete(SegmentCondition, { id: In([...conditionIds]) });
    if (ruleIds.length > 0) await manager.delete(SegmentRule, { id: In([...ruleIds]) });
  }

  /** The override slots using the segment (their groups are renumbered when it is deleted). */
  overrideSlots(
    manager: EntityManager,
    segmentId: number,
  ): Promise<{ id: number; featureId: number; environmentId: number }[]> {
    return manager.getRepository(FeatureSegment).find({
      where: { segmentId },
      select: { id: true, featureId: true, environmentId: true },
    });
  }

  feature(projectId: number, id: number): Promise<Feature | null> {
    return this.dataSource.getRepository(Feature).findOneBy({ id, projectId });
  }

  environment(projectId: number, id: number): Promise<Environment | null> {
    return this.dataSource.getRepository<Environment>('Environment').findOneBy({ id, projectId });
  }

  /** An identity of one of the project's environments, with its environment. */
  identity(projectId: number, id: number): Promise<Identity | null> {
    return this.dataSource.getRepository<Identity>('Identity').findOne({
      where: { id, environment: { projectId } },
      relations: { environment: true },
    });
  }

  /** The ids of the project's segments the identity is in (its traits evaluated by the engine). */
  segmentsOfIdentity(identity: Identity): Promise<number[]> {
    return this.identitySegments.segmentIdsOf(identity);
  }

  /** One page of the override states using the segment (features not deleted), optionally in one environment. */
  associatedStates(
    segmentId: number,
    environmentId: number | undefined,
    page: PageRequest,
  ): Promise<{ count: number; rows: FeatureState[] }> {
    const query = this.dataSource
      .getRepository(FeatureState)
      .createQueryBuilder('fs')
      .innerJoin('fs.featureSegment', 'fsg')
      .innerJoin('fs.feature', 'f')
      .where('fsg.segment_id = :segment', { segment: segmentId })
      .andWhere('f.deleted_at IS NULL')
      .orderBy('fs.id');
    if (environmentId !== undefined) query.andWhere('fs.environment_id = :env', { env: environmentId });
    return pageOfQuery(query, page);
  }
}
