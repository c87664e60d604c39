import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { Feature, FeatureSegment, FeatureState } from '../features/feature.entity';
import { valueColumns } from '../features/feature-values';
import { EnvironmentUserPermission } from '../permissions/permission.entity';
import { Environment, EnvironmentApiKey } from './environment.entity';

/** The columns a write may set on an environment (entity property names). */
export type EnvironmentColumns = Partial<
  Pick<
    Environment,
    | 'name'
    | 'description'
    | 'allowClientTraits'
    | 'bannerText'
    | 'bannerColour'
    | 'hideDisabledFlags'
    | 'useIdentityCompositeKeyForHashing'
    | 'hideSensitiveData'
    | 'useIdentityOverridesInLocalEval'
    | 'useMvV2Evaluation'
    | 'minimumChangeRequestApprovals'
  >
>;

/** Every column of an environment a clone copies: all but its identity (id, uuid, key, dates). */
export type EnvironmentCopy = Omit<
  Environment,
  'id' | 'uuid' | 'apiKey' | 'project' | 'createdDate' | 'updatedAt'
>;

/** The columns a write may set on a server-side key. */
export type ServerKeyColumns = Partial<Pick<EnvironmentApiKey, 'name' | 'active' | 'expiresAt'>>;

/**
 * Every SQL statement about environments and their server-side keys. Writes take the unit of work's manager
 * (`tx.manager`); reads outside a write use the primary. EnvironmentsService holds the rules; an in-memory twin is
 * in environments.service.spec.ts.
 */
@Injectable()
export class EnvironmentsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(
    manager: EntityManager,
    fields: (EnvironmentColumns | EnvironmentCopy) & { name: string; projectId: number; apiKey: string },
  ): Promise<Environment> {
    const repo = manager.getRepository(Environment);
    const saved = await repo.save(repo.create(fields));
    return repo.findOneByOrFail({ id: saved.id });
  }

  /** The row, locked FOR NO KEY UPDATE until the transaction ends (a PUT starts from current values). */
  lock(manager: EntityManager, id: number): Promise<Environment | null> {
    return manager.getRepository(Environment).findOne({ where: { id }, lock: { mode: 'for_no_key_update' } });
  }

  /** Writes exactly these columns and returns the row as stored. */
  async update(manager: EntityManager, id: number, columns: EnvironmentColumns): Promise<Environment> {
    if (Object.keys(columns).length) await manager.getRepository(Environment).update({ id }, columns);
    return manager.getRepository(Environment).findOneByOrFail({ id });
  }

  async delete(manager: EntityManager, id: number): Promise<void> {
    await manager.getRepository(Environment).delete({ id });
  }

  /** Makes the creator admin of the environment they created (Flagsmith does so for non-admin creators). */
  async grantEnvironmentAdmin(manager: EntityManager, environmentId: number, userId: number): Promise<void> {
    await manager
      .getRepository(EnvironmentUserPermission)
      .save({ environmentId, userId, admin: true, permissions: [] });
  }

  /** The project's live features that have no default state in the environment yet (by id). */
  featuresWithoutDefaultState(
    manager: EntityManager,
    projectId: number,
    environmentId: number,
  ): Promise<Feature[]> {
    return manager
      .getRepository(Feature)
      .createQueryBuilder('f')
      .where('f.project_id = :project AND f.deleted_at IS NULL', { project: projectId })
      .andWhere(
        `NOT EXISTS (SELECT 1 FROM feature_states s WHERE s.feature_id = f.id AND s.environment_id = :env
           AND s.identity_id IS NULL AND s.feature_segment_id IS NULL)`,
        { env: environmentId },
      )
      .orderBy('f.id')
      .getMany();
  }

  /**
   * Copies the source's feature segments and its default and segment override states (not identity overrides)
   * into `targetId`, as they are (Flagsmith's FeatureState.clone). Returns source state id → copy id, for the MV
   * values.
   */
  async copyStates(manager: EntityManager, sourceId: number, targetId: number): Promise<Map<number, number>> {
    const segmentRepo = manager.getRepository(FeatureSegment);
    const featureSegments = await segmentRepo.find({
      where: { environmentId: sourceId },
      order: { id: 'ASC' },
    });
    const segmentCopies = await segmentRepo.save(
      featureSegments.map((fs) =>
        segmentRepo.create({
          featureId: fs.featureId,
          segmentId: fs.segmentId,
          environmentId: targetId,
          priority: fs.priority,
        }),
      ),
    );
    const segmentMap = new Map(featureSegments.map((fs, i) => [fs.id, segmentCopies[i].id]));
    const stateRepo = manager.getRepository(FeatureState);
    const states = await stateRepo.find({
      where: { environmentId: sourceId, identityId: IsNull() },
      order: { id: 'ASC' },
    });
    const stateCopies = await stateRepo.save(
      states.map((s) =>
        stateRepo.create({
          featureId: s.featureId,
          environmentId: targetId,
          identityId: null,
          featureSegmentId: s.featureSegmentId === null ? null : (segmentMap.get(s.featureSegmentId) ?? null),
          enabled: s.enabled,
          ...valueColumns(s),
          liveFrom: s.liveFrom,
          version: s.version,
        }),
      ),
    );
    return new Map(states.map((s, i) => [s.id, stateCopies[i].id]));
  }

  // ---- server-side keys

  serverKeys(environmentId: number): Promise<EnvironmentApiKey[]> {
    return this.dataSource
      .getRepository(EnvironmentApiKey)
      .find({ where: { environmentId }, order: { id: 'ASC' } });
  }

  serverKey(environmentId: number, id: number): Promise<EnvironmentApiKey | null> {
    return this.dataSource.getRepository(EnvironmentApiKey).findOneBy({ id, environmentId });
  }

  async insertServerKey(
    manager: EntityManager,
    fields: Required<ServerKeyColumns> & { environmentId: number; key: string },
  ): Promise<EnvironmentApiKey> {
    const repo = manager.getRepository(EnvironmentApiKey);
    return repo.save(repo.create(fields));
  }

  /** Writes exactly these columns of the environment's key; null when it is gone. */
  async updateServerKey(
    manager: EntityManager,
    environmentId: number,
    id: number,
    columns: ServerKeyColumns,
  ): Promise<EnvironmentApiKey | null> {
    const repo = manager.getRepository(EnvironmentApiKey);
    if (Object.keys(columns).length) await repo.update({ id, environmentId }, columns);
    return repo.findOneBy({ id, environmentId });
  }

  /** False when the environment has no such key. */
  async deleteServerKey(manager: EntityManager, environmentId: number, id: number): Promise<boolean> {
    const result = await manager.getRepository(EnvironmentApiKey).delete({ id, environmentId });
    return (result.affected ?? 0) > 0;
  }
}
