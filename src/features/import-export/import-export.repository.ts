import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, IsNull, Not } from 'typeorm';
import { type PageRequest, pageOfQuery } from '../../common/pagination';
import type { Environment } from '../../environments/environment.entity';
import {
  Feature,
  FeatureSegment,
  FeatureState,
  MultivariateFeatureOption,
  MultivariateFeatureStateValue,
} from '../feature.entity';
import {
  FeatureExport,
  FeatureImport,
  FlagsmithOnFlagsmithFeatureExport,
  type ImportStrategy,
  type TransferStatus,
} from './feature-transfer.entity';

/** An environment default state with its feature and its MV shares (options loaded), for an export. */
export interface ExportedState {
  state: FeatureState;
  shares: MultivariateFeatureStateValue[];
}

/** Every SQL statement of feature exports and imports (reads of flags, and the writes an import makes). */
@Injectable()
export class ImportExportRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  // ---- export and import records

  async insertExport(
    manager: EntityManager,
    fields: { environmentId: number; status: TransferStatus; data: string | null },
  ): Promise<FeatureExport> {
    const repo = manager.getRepository(FeatureExport);
    return repo.save(repo.create(fields));
  }

  async insertImport(
    manager: EntityManager,
    fields: { environmentId: number; strategy: ImportStrategy; status: TransferStatus; data: string },
  ): Promise<FeatureImport> {
    const repo = manager.getRepository(FeatureImport);
    return repo.save(repo.create(fields));
  }

  async insertFlagsmithOnFlagsmith(manager: EntityManager, featureExportId: number): Promise<void> {
    const repo = manager.getRepository(FlagsmithOnFlagsmithFeatureExport);
    await repo.save(repo.create({ featureExportId }));
  }

  /** An export with its environment (and the environment's project). */
  findExport(id: number): Promise<FeatureExport | null> {
    return this.dataSource
      .getRepository(FeatureExport)
      .findOne({ where: { id }, relations: { environment: { project: true } } });
  }

  /** The newest Flagsmith-on-Flagsmith export, with its export. */
  latestFlagsmithOnFlagsmith(): Promise<FlagsmithOnFlagsmithFeatureExport | null> {
    return this.dataSource.getRepository(FlagsmithOnFlagsmithFeatureExport).findOne({
      where: {},
      relations: { featureExport: true },
      order: { createdAt: 'DESC', id: 'DESC' },
    });
  }

  /** A page of these environments' exports, newest first, without their files; environments loaded for names. */
  pageExports(environmentIds: readonly number[], page: PageRequest) {
    const query = this.dataSource
      .getRepository(FeatureExport)
      .createQueryBuilder('e')
      .select(['e.id', 'e.environmentId', 'e.status', 'e.createdAt', 'env.id', 'env.name'])
      .innerJoin('e.environment', 'env')
      .where('e.environment_id IN (:...ids)', { ids: environmentIds.length ? [...environmentIds] : [0] })
      .orderBy('e.createdAt', 'DESC')
      .addOrderBy('e.id', 'DESC');
    return pageOfQuery(query, page);
  }

  /** A page of these environments' imports, newest first, without their files. */
  pageImports(environmentIds: readonly number[], page: PageRequest) {
    const query = this.dataSource
      .getRepository(FeatureImport)
      .createQueryBuilder('i')
      .select(['i.id', 'i.environmentId', 'i.strategy', 'i.status', 'i.createdAt'])
      .where('i.environment_id IN (:...ids)', { ids: environmentIds.length ? [...environmentIds] : [0] })
      .orderBy('i.createdAt', 'DESC')
      .addOrderBy('i.id', 'DESC');
    return pageOfQuery(query, page);
  }

  /** An environment with its project. */
  environment(id: number): Promise<Environment | null> {
    return this.dataSource
      .getRepository<Environment>('Environment')
      .findOne({ where: { id }, relations: { project: true } });
  }

  // ---- what an export reads

  /**
   * The environment default states of the live, unarchived features (with one of `tagIds` when given), by feature
   * id, with their MV shares: Flagsmith's filter (identity and feature_segment null, not archived).
   */
  async exportedStates(
    manager: EntityManager,
    environmentId: number,
    tagIds: readonly number[],
  ): Promise<ExportedState[]> {
    const query = manager
      .getRepository(FeatureState)
      .createQueryBuilder('fs')
      .innerJoinAndSelect('fs.feature', 'f')
      .where('fs.environment_id = :environmentId', { environmentId })
      .andWhere('fs.identity_id IS NULL')
      .andWhere('fs.feature_segment_id IS NULL')
      .andWhere('f.deleted_at IS NULL')
      .andWhere('f.is_archived = false')
      .orderBy('f.id', 'ASC');
    if (tagIds.length)
      query.andWhere(
        'EXISTS (SELECT 1 FROM feature_tags ft WHERE ft.feature_id = f.id AND ft.tag_id IN (:...tagIds))',
        { tagIds: [...tagIds] },
      );
    const states = await query.getMany();
    const shares = states.length
      ? await manager.getRepository(MultivariateFeatureStateValue).find({
          where: { featureStateId: In(states.map((s) => s.id)) },
          relations: { multivariateFeatureOption: true },
          order: { multivariateFeatureOptionId: 'ASC' },
        })
      : [];
    return states.map((state) => ({ state, shares: shares.filter((s) => s.featureStateId === state.id) }));
  }

  // ---- what an import reads and writes (always in the caller's transaction)

  /** The environment, locked: one import (or export) of an environment at a time. */
  lockEnvironment(manager: EntityManager, id: number): Promise<Environment | null> {
    return manager
      .getRepository<Environment>('Environment')
      .findOne({ where: { id }, lock: { mode: 'for_no_key_update' } });
  }

  /** The project's live feature of this name (names are unique ignoring case), locked. */
  async lockFeatureNamed(manager: EntityManager, projectId: number, name: string): Promise<Feature | null> {
    return manager
      .getRepository(Feature)
      .createQueryBuilder('f')
      .where('f.project_id = :projectId', { projectId })
      .andWhere('lower(f.name) = lower(:name)', { name })
      .andWhere('f.deleted_at IS NULL')
      .setLock('for_no_key_update')
      .getOne();
  }

  /** A new feature row (its states are created by FeatureStateValuesService). */
  insertFeature(
    manager: EntityManager,
    fields: Pick<Feature, 'name' | 'projectId' | 'initialValue' | 'isServerKeyOnly' | 'defaultEnabled'>,
  ): Promise<Feature> {
    const repo = manager.getRepository(Feature);
    return repo.save(repo.create({ ...fields, type: 'STANDARD', description: null, isArchived: false }));
  }

  /** Removes the feature's segment overrides in the environment (their states go with them); how many. */
  async deleteSegmentOverrides(manager: EntityManager, featureId: number, environmentId: number) {
    const result = await manager.getRepository(FeatureSegment).delete({ featureId, environmentId });
    return result.affected ?? 0;
  }

  /** Removes the feature's identity overrides in the environment; how many. */
  async deleteIdentityOverrides(manager: EntityManager, featureId: number, environmentId: number) {
    const result = await manager
      .getRepository(FeatureState)
      .delete({ featureId, environmentId, identityId: Not(IsNull()) });
    return result.affected ?? 0;
  }

  /** The feature's environment default state, locked. */
  lockDefaultState(manager: EntityManager, featureId: number, environmentId: number) {
    return manager.getRepository(FeatureState).findOne({
      where: { featureId, environmentId, identityId: IsNull(), featureSegmentId: IsNull() },
      lock: { mode: 'for_no_key_update' },
    });
  }

  options(manager: EntityManager, featureId: number): Promise<MultivariateFeatureOption[]> {
    return manager
      .getRepository(MultivariateFeatureOption)
      .find({ where: { featureId }, order: { id: 'ASC' } });
  }

  mvShares(manager: EntityManager, stateId: number): Promise<MultivariateFeatureStateValue[]> {
    return manager.getRepository(MultivariateFeatureStateValue).find({ where: { featureStateId: stateId } });
  }
}
