import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, IsNull, SelectQueryBuilder } from 'typeorm';
import { pageOfQuery, type PageRequest } from '../common/pagination';
import type { Environment } from '../environments/environment.entity';
import type { Identity } from '../identities/identity.entity';
import type { Segment } from '../segments/segment.entity';
import {
  Feature,
  FeatureSegment,
  FeatureState,
  MultivariateFeatureOption,
  MultivariateFeatureStateValue,
} from './feature.entity';
import type { MvValueInput, TypedValue } from './feature-values';

/** The columns a state write may set (only those given are written). */
export type FeatureStateColumns = Partial<TypedValue & Pick<FeatureState, 'enabled'>>;

/** A new state's columns. */
export type NewFeatureState = TypedValue &
  Pick<FeatureState, 'featureId' | 'environmentId' | 'featureSegmentId' | 'identityId' | 'enabled'>;

/** Filters of /features/featurestates/ (column = id). */
export interface StateFilters {
  readonly featureId?: number;
  readonly featureSegmentId?: number;
  readonly identityId?: number;
}

/**
 * Every SQL statement about feature states and their multivariate values. Writes take the unit of work's manager
 * (`tx.manager`); reads outside a write use the primary. FeatureStatesService and FeatureStateValuesService hold
 * the rules; an in-memory twin is in feature-states.service.spec.ts.
 */
@Injectable()
export class FeatureStatesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The primary's manager, for reads outside a write (FeatureStateValuesService takes a manager). */
  reader(): EntityManager {
    return this.dataSource.manager;
  }

  /** States of live (not deleted) features in the environment. */
  private states(environmentId: number): SelectQueryBuilder<FeatureState> {
    return this.dataSource
      .getRepository(FeatureState)
      .createQueryBuilder('s')
      .innerJoin(Feature, 'f', 'f.id = s.feature_id AND f.deleted_at IS NULL')
      .where('s.environment_id = :environmentId', { environmentId });
  }

  private async page(
    query: SelectQueryBuilder<FeatureState>,
    page: PageRequest,
  ): Promise<{ count: number; rows: FeatureState[] }> {
    return pageOfQuery(query.orderBy('s.id', 'ASC'), page);
  }

  /** A page of the environment's default states (or, `anyIdentity`, its identity overrides), in id order. */
  pageEnvironmentStates(
    environmentId: number,
    filter: { featureId?: number; featureName?: string; anyIdentity: boolean },
    page: PageRequest,
  ): Promise<{ count: number; rows: FeatureState[] }> {
    const query = this.states(environmentId)
      .andWhere('s.feature_segment_id IS NULL')
      .andWhere(filter.anyIdentity ? 's.identity_id IS NOT NULL' : 's.identity_id IS NULL');
    if (filter.featureId !== undefined) query.andWhere('s.feature_id = :featureId', filter);
    if (filter.featureName) query.andWhere('lower(f.name) = lower(:featureName)', filter);
    return this.page(query, page);
  }

  /** A page of every kind of state of the environment, in id order. */
  pageStates(
    environmentId: number,
    filters: StateFilters,
    page: PageRequest,
  ): Promise<{ count: number; rows: FeatureState[] }> {
    const query = this.states(environmentId);
    if (filters.featureId !== undefined) query.andWhere('s.feature_id = :featureId', filters);
    if (filters.featureSegmentId !== undefined)
      query.andWhere('s.feature_segment_id = :featureSegmentId', filters);
    if (filters.identityId !== undefined) query.andWhere('s.identity_id = :identityId', filters);
    return this.page(query, page);
  }

  /** An environment default state of a live feature of the environment. */
  environmentState(environmentId: number, id: number): Promise<FeatureState | null> {
    return this.states(environmentId)
      .andWhere('s.id = :id', { id })
      .andWhere('s.identity_id IS NULL AND s.feature_segment_id IS NULL')
      .getOne();
  }

  find(id: number): Promise<FeatureState | null> {
    return this.dataSource.getRepository(FeatureState).findOneBy({ id });
  }

  findByUuid(uuid: string): Promise<FeatureState | null> {
    return this.dataSource.getRepository(FeatureState).findOneBy({ uuid });
  }

  feature(id: number, manager: EntityManager = this.dataSource.manager): Promise<Feature | null> {
    return manager.getRepository(Feature).findOneBy({ id });
  }

  featureSegment(id: number): Promise<FeatureSegment | null> {
    return this.dataSource.getRepository(FeatureSegment).findOneBy({ id });
  }

  identity(id: number, manager: EntityManager = this.dataSource.manager): Promise<Identity | null> {
    return manager.getRepository<Identity>('Identity').findOneBy({ id });
  }

  /** The identity of the environment with this identifier (Flagsmith's `identifier` alternative to `identity`). */
  identityByIdentifier(environmentId: number, identifier: string): Promise<Identity | null> {
    return this.dataSource.getRepository<Identity>('Identity').findOneBy({ environmentId, identifier });
  }

  /** `{id, identifier}` of these identities (list views nest them). */
  identities(ids: readonly number[]): Promise<{ id: number; identifier: string }[]> {
    if (!ids.length) return Promise.resolve([]);
    return this.dataSource
      .getRepository<Identity>('Identity')
      .find({ where: { id: In([...ids]) }, select: { id: true, identifier: true } });
  }

  /** Whether an enabled environment or organisation webhook follows this environment's flag changes. */
  async webhooksFollow(
    manager: EntityManager,
    environmentId: number,
    organisationId: number,
  ): Promise<boolean> {
    const [row]: { follows: boolean }[] = await manager.query(
      `SELECT EXISTS (SELECT 1 FROM "environment_webhooks" WHERE "environment_id" = $1 AND "enabled")
           OR EXISTS (SELECT 1 FROM "organisation_webhooks" WHERE "organisation_id" = $2 AND "enabled") AS follows`,
      [environmentId, organisationId],
    );
    return row?.follows === true;
  }

  /** What Flagsmith's webhook payload of a state names besides the state: its segment override and identity. */
  async webhookContext(
    manager: EntityManager,
    state: Pick<FeatureState, 'featureSegmentId' | 'identityId'>,
  ): Promise<{
    identifier: string | null;
    segment: { id: number; name: string; description: string | null; priority: number } | null;
  }> {
    const identity = state.identityId === null ? null : await this.identity(state.identityId, manager);
    let segment = null;
    if (state.featureSegmentId !== null) {
      const [row] = await manager
        .getRepository<Segment>('Segment')
        .createQueryBuilder('sg')
        .innerJoin(FeatureSegment, 'fs', 'fs.segment_id = sg.id')
        .where('fs.id = :id', { id: state.featureSegmentId })
        .select([
          'sg.id AS id',
          'sg.name AS name',
          'sg.description AS description',
          'fs.priority AS priority',
        ])
        .getRawMany<{ id: number; name: string; description: string | null; priority: number }>();
      segment = row ?? null;
    }
    return { identifier: identity?.identifier ?? null, segment };
  }

  /** The feature's multivariate options by id. */
  async optionsById(
    manager: EntityManager,
    featureId: number,
  ): Promise<Map<number, MultivariateFeatureOption>> {
    const rows = await manager.getRepository(MultivariateFeatureOption).findBy({ featureId });
    return new Map(rows.map((o) => [o.id, o]));
  }

  /** The name of the segment of a feature segment ('' when gone). */
  async segmentName(manager: EntityManager, featureSegmentId: number): Promise<string> {
    const [row] = await manager
      .getRepository<Segment>('Segment')
      .createQueryBuilder('sg')
      .innerJoin(FeatureSegment, 'fs', 'fs.segment_id = sg.id')
      .where('fs.id = :id', { id: featureSegmentId })
      .select('sg.name', 'name')
      .getRawMany<{ name: string }>();
    return row?.name ?? '';
  }

  /** The row, locked FOR NO KEY UPDATE until the transaction ends (a write validates against current values). */
  lock(manager: EntityManager, id: number): Promise<FeatureState | null> {
    return manager
      .getRepository(FeatureState)
      .findOne({ where: { id }, lock: { mode: 'for_no_key_update' } });
  }

  /** The override state of a segment-override slot (none while the slot has no state yet). */
  overrideOfSlot(manager: EntityManager, featureSegmentId: number): Promise<FeatureState | null> {
    return manager.getRepository(FeatureState).findOneBy({ featureSegmentId });
  }

  /** A feature's environment default states, each with its environment (a feature delete's FLAG_DELETED). */
  environmentDefaultsOf(manager: EntityManager, featureId: number): Promise<FeatureState[]> {
    return manager.getRepository(FeatureState).find({
      where: { featureId, featureSegmentId: IsNull(), identityId: IsNull() },
      relations: { environment: true },
      order: { environmentId: 'ASC' },
    });
  }

  insert(manager: EntityManager, fields: NewFeatureState): Promise<FeatureState> {
    const repo = manager.getRepository(FeatureState);
    return repo.save(repo.create(fields));
  }

  /** Saves new states (one INSERT). */
  insertMany(manager: EntityManager, states: NewFeatureState[]): Promise<FeatureState[]> {
    const repo = manager.getRepository(FeatureState);
    return repo.save(states.map((s) => repo.create(s)));
  }

  /** Writes exactly these columns (no lost update of a concurrent change to another) and returns the stored row. */
  async update(manager: EntityManager, id: number, columns: FeatureStateColumns): Promise<FeatureState> {
    const repo = manager.getRepository(FeatureState);
    if (Object.keys(columns).length) await repo.update({ id }, columns);
    return repo.findOneByOrFail({ id });
  }

  /** Ids of the environments of a project, in id order. */
  async environmentIds(manager: EntityManager, projectId: number): Promise<number[]> {
    const rows = await manager
      .getRepository<Environment>('Environment')
      .find({ where: { projectId }, select: { id: true }, order: { id: 'ASC' } });
    return rows.map((e) => e.id);
  }

  /** The options of these features, in id order. */
  options(manager: EntityManager, featureIds: readonly number[]): Promise<MultivariateFeatureOption[]> {
    return manager
      .getRepository(MultivariateFeatureOption)
      .find({ where: { featureId: In([...featureIds]) }, order: { id: 'ASC' } });
  }

  /** Which of these option ids belong to the feature. */
  async optionIdsOf(manager: EntityManager, featureId: number, ids: readonly number[]): Promise<Set<number>> {
    const rows = await manager.getRepository(MultivariateFeatureOption).find({
      where: { featureId, id: In([...ids]) },
      select: { id: true },
    });
    return new Set(rows.map((o) => o.id));
  }

  /** MV values of many states in one query, ordered by id. */
  mvValues(
    stateIds: readonly number[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<MultivariateFeatureStateValue[]> {
    if (!stateIds.length) return Promise.resolve([]);
    return manager
      .getRepository(MultivariateFeatureStateValue)
      .find({ where: { featureStateId: In([...new Set(stateIds)]) }, order: { id: 'ASC' } });
  }

  /** New MV value rows (one INSERT). */
  async insertMvValues(
    manager: EntityManager,
    rows: Pick<
      MultivariateFeatureStateValue,
      'featureStateId' | 'multivariateFeatureOptionId' | 'percentageAllocation'
    >[],
  ): Promise<void> {
    if (!rows.length) return;
    const repo = manager.getRepository(MultivariateFeatureStateValue);
    await repo.save(rows.map((r) => repo.create(r)));
  }

  /** Makes the state's MV values exactly `values`: stale options deleted, changed ones updated, new ones added. */
  async replaceMvValues(manager: EntityManager, stateId: number, values: readonly MvValueInput[]) {
    const repo = manager.getRepository(MultivariateFeatureStateValue);
    const existing = await repo.findBy({ featureStateId: stateId });
    const wanted = new Map(values.map((mv) => [mv.optionId, mv.percentageAllocation]));
    const stale = existing.filter((e) => !wanted.has(e.multivariateFeatureOptionId)).map((e) => e.id);
    if (stale.length) await repo.delete({ id: In(stale) });
    const byOption = new Map(existing.map((e) => [e.multivariateFeatureOptionId, e]));
    const upserts: MultivariateFeatureStateValue[] = [];
    for (const [optionId, pct] of wanted) {
      const row = byOption.get(optionId);
      if (row && row.percentageAllocation === pct) continue;
      upserts.push(
        row
          ? Object.assign(row, { percentageAllocation: pct })
          : repo.create({
              featureStateId: stateId,
              multivariateFeatureOptionId: optionId,
              percentageAllocation: pct,
            }),
      );
    }
    if (upserts.length) await repo.save(upserts);
  }
}
