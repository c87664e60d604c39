import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { pageOfQuery, type PageRequest } from '../common/pagination';
import type { Environment } from '../environments/environment.entity';
import { FeatureStateValuesService } from '../features/feature-state-values.service';
import { valueColumns } from '../features/feature-values';
import { Feature, FeatureState, MultivariateFeatureStateValue } from '../features/feature.entity';
import { IdentityFlag, identityFlags } from './identity-evaluation';
import { Identity } from './identity.entity';

/**
 * Every SQL statement about identity overrides (feature states with `identity` set). Writes take the unit of
 * work's manager; reads outside a write use the primary. The value and multivariate writes are the shared
 * feature-state logic's (FeatureStateValuesService), called with the same manager.
 */
@Injectable()
export class IdentityOverridesRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly values: FeatureStateValuesService,
  ) {}

  /** One page of the identity's overrides of live features in id order (`featureId`: of that feature only). */
  async page(
    identityId: number,
    featureId: number | undefined,
    page: PageRequest,
  ): Promise<{ count: number; rows: FeatureState[] }> {
    const query = this.dataSource
      .getRepository(FeatureState)
      .createQueryBuilder('fs')
      .innerJoin('fs.feature', 'f')
      .where('fs.identity_id = :identity', { identity: identityId })
      .andWhere('f.deleted_at IS NULL')
      .orderBy('fs.id');
    if (featureId !== undefined) query.andWhere('fs.feature_id = :feature', { feature: featureId });
    return pageOfQuery(query, page);
  }

  /** The override with its feature (null: none, or its feature is gone). */
  async find(identityId: number, id: number): Promise<FeatureState | null> {
    const state = await this.dataSource
      .getRepository(FeatureState)
      .findOne({ where: { id, identityId }, relations: { feature: true } });
    return state?.feature ? state : null;
  }

  /** The override locked FOR NO KEY UPDATE until the transaction ends, with its feature (null: gone). */
  async lock(manager: EntityManager, identityId: number, id: number): Promise<FeatureState | null> {
    const state = await manager
      .getRepository(FeatureState)
      .findOne({ where: { id, identityId }, lock: { mode: 'for_no_key_update' } });
    if (!state) return null;
    const feature = await manager.getRepository(Feature).findOneBy({ id: state.featureId });
    return feature ? Object.assign(state, { feature }) : null;
  }

  featureOfProject(projectId: number, featureId: number): Promise<Feature | null> {
    return this.dataSource.getRepository(Feature).findOneBy({ id: featureId, projectId });
  }

  /**
   * Serialises creates of the (feature, identity) pair until the transaction ends, and says whether the identity
   * already overrides the feature.
   */
  async lockPairAndCheck(manager: EntityManager, featureId: number, identityId: number): Promise<boolean> {
    await manager.query('SELECT pg_advisory_xact_lock($1, $2)', [featureId, identityId]);
    return manager.getRepository(FeatureState).existsBy({ featureId, identityId });
  }

  /** A new override (not saved: FeatureStateValuesService.apply writes it with its value). */
  newOverride(
    manager: EntityManager,
    fields: Pick<FeatureState, 'featureId' | 'environmentId' | 'identityId' | 'enabled'> &
      Partial<FeatureState>,
  ): FeatureState {
    return manager.getRepository(FeatureState).create({ featureSegmentId: null, ...fields });
  }

  async delete(manager: EntityManager, id: number): Promise<void> {
    await manager.getRepository(FeatureState).delete({ id });
  }

  /** Replaces the target identity's overrides with copies of the source's (values and MV values included). */
  async replaceWithCopies(
    manager: EntityManager,
    environmentId: number,
    sourceId: number,
    targetId: number,
  ): Promise<void> {
    const repo = manager.getRepository(FeatureState);
    await repo.delete({ identityId: targetId });
    const states = await repo.find({ where: { identityId: sourceId }, order: { id: 'ASC' } });
    const copies = await repo.save(
      states.map((state) =>
        repo.create({
          featureId: state.featureId,
          environmentId,
          identityId: targetId,
          featureSegmentId: null,
          enabled: state.enabled,
          ...valueColumns(state),
        }),
      ),
    );
    await this.values.copyMvValues(manager, new Map(states.map((state, i) => [state.id, copies[i].id])));
  }

  /** MV values of these states by state id (`manager`: inside a write; else the primary). */
  mvValues(
    stateIds: readonly number[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<Map<number, MultivariateFeatureStateValue[]>> {
    return this.values.mvValuesByState(manager, stateIds);
  }

  /** Every feature's effective flag for the identity (identity-evaluation.ts; `manager` as for mvValues). */
  flags(
    environment: Environment,
    identity: Identity,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<IdentityFlag[]> {
    return identityFlags(manager, environment, environment.project, identity);
  }
}
