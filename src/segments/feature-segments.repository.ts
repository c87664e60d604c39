import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { parseUuid } from '../common/drf-values';
import { pageOfQuery, type PageRequest } from '../common/pagination';
import { Feature, FeatureSegment, FeatureState } from '../features/feature.entity';
import { Segment } from './segment.entity';

export interface SlotKey {
  readonly featureId: number;
  readonly segmentId: number;
  readonly environmentId: number;
}

/**
 * Every SQL statement about segment override slots (feature × segment × environment) and their priorities.
 * A feature × environment group is serialised by an advisory lock (`lockGroup`) before its order is read.
 */
@Injectable()
export class FeatureSegmentsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** One page of the slots of a feature in an environment, by priority (segment loaded). */
  page(environmentId: number, featureId: number, page: PageRequest) {
    const query = this.dataSource
      .getRepository(FeatureSegment)
      .createQueryBuilder('fsg')
      .innerJoinAndSelect('fsg.segment', 's')
      .innerJoin('fsg.feature', 'f')
      .where('fsg.environment_id = :env', { env: environmentId })
      .andWhere('fsg.feature_id = :feature', { feature: featureId })
      .andWhere('f.deleted_at IS NULL')
      .orderBy('fsg.priority')
      .addOrderBy('fsg.id');
    return pageOfQuery(query, page);
  }

  /** Serialises writes to one feature × environment group until the transaction ends. */
  async lockGroup(manager: EntityManager, featureId: number, environmentId: number): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock($1, $2)', [featureId, environmentId]);
  }

  /** The slot ids of a group, strongest first. */
  async orderedIds(manager: EntityManager, featureId: number, environmentId: number): Promise<number[]> {
    const rows = await manager.query<{ id: number }[]>(
      'SELECT id FROM feature_segments WHERE feature_id = $1 AND environment_id = $2 ORDER BY priority, id',
      [featureId, environmentId],
    );
    return rows.map((r) => r.id);
  }

  /** Gives each slot its index in `ids` as priority (rows already there untouched). */
  async setOrder(manager: EntityManager, ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await manager.query(
      `UPDATE feature_segments f SET priority = v.p FROM unnest($1::int[], $2::int[]) AS v(id, p)
        WHERE f.id = v.id AND f.priority <> v.p`,
      [ids, ids.map((_, index) => index)],
    );
  }

  /** Makes the priorities of these slots' feature × environment groups dense again (after deletions). */
  async renumber(
    manager: EntityManager,
    slots: readonly { featureId: number; environmentId: number }[],
  ): Promise<void> {
    if (slots.length === 0) return;
    await manager.query(
      `UPDATE feature_segments f SET priority = r.rn - 1
         FROM (SELECT id, row_number() OVER (PARTITION BY feature_id, environment_id ORDER BY priority, id) AS rn
                 FROM feature_segments
                WHERE (feature_id, environment_id) IN (SELECT * FROM unnest($1::int[], $2::int[]))) r
        WHERE f.id = r.id AND f.priority <> r.rn - 1`,
      [slots.map((s) => s.featureId), slots.map((s) => s.environmentId)],
    );
  }

  exists(manager: EntityManager, key: SlotKey): Promise<boolean> {
    return manager.getRepository(FeatureSegment).existsBy({ ...key });
  }

  insert(manager: EntityManager, key: SlotKey, priority: number): Promise<FeatureSegment> {
    const repo = manager.getRepository(FeatureSegment);
    return repo.save(repo.create({ ...key, priority }));
  }

  async delete(manager: EntityManager, id: number): Promise<void> {
    await manager.getRepository(FeatureSegment).delete({ id });
  }

  /** The slot with its segment and feature. */
  find(id: number): Promise<FeatureSegment | null> {
    return this.dataSource
      .getRepository(FeatureSegment)
      .findOne({ where: { id }, relations: { segment: true, feature: true } });
  }

  /** The slot of this uuid (anything not a uuid: none), with its segment and feature. */
  findByUuid(raw: string): Promise<FeatureSegment | null> {
    const uuid = parseUuid(raw, 'field');
    if (!uuid) return Promise.resolve(null);
    return this.dataSource
      .getRepository(FeatureSegment)
      .findOne({ where: { uuid }, relations: { segment: true, feature: true } });
  }

  /** These slots with their features. */
  findMany(ids: readonly number[]): Promise<FeatureSegment[]> {
    return this.dataSource
      .getRepository(FeatureSegment)
      .find({ where: { id: In([...ids]) }, relations: { feature: true } });
  }

  /** These slots as stored now, by priority, with their segments. */
  listed(manager: EntityManager, ids: readonly number[]): Promise<FeatureSegment[]> {
    return manager.getRepository(FeatureSegment).find({
      where: { id: In([...ids]) },
      relations: { segment: true },
      order: { priority: 'ASC', id: 'ASC' },
    });
  }

  feature(projectId: number, id: number): Promise<Feature | null> {
    return this.dataSource.getRepository(Feature).findOneBy({ id, projectId });
  }

  segment(projectId: number, id: number): Promise<Segment | null> {
    return this.dataSource.getRepository(Segment).findOneBy({ id, projectId });
  }

  /** A new override state of the slot (not saved: FeatureStateValuesService.apply saves it with its values). */
  newOverrideState(manager: EntityManager, fields: Partial<FeatureState>): FeatureState {
    return manager.getRepository(FeatureState).create(fields);
  }
}
