import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, IsNull } from 'typeorm';
import { pageOfQuery, type PageRequest } from '../common/pagination';
import {
  Feature,
  FeatureState,
  FeatureType,
  MultivariateFeatureOption,
  MultivariateFeatureStateValue,
} from './feature.entity';

export type MvOptionColumns = Partial<
  Pick<
    MultivariateFeatureOption,
    'type' | 'stringValue' | 'integerValue' | 'booleanValue' | 'defaultPercentageAllocation' | 'key'
  >
>;

/** Every SQL statement about multivariate options and the MV values they give environment default states. */
@Injectable()
export class MvOptionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async page(
    featureId: number,
    page: PageRequest,
  ): Promise<{ count: number; rows: MultivariateFeatureOption[] }> {
    const query = this.dataSource
      .getRepository(MultivariateFeatureOption)
      .createQueryBuilder('o')
      .where('o.feature_id = :featureId', { featureId });
    return pageOfQuery(query.orderBy('o.id', 'ASC'), page);
  }

  find(featureId: number, id: number, manager: EntityManager = this.dataSource.manager) {
    return manager.getRepository(MultivariateFeatureOption).findOneBy({ id, featureId });
  }

  findByUuid(uuid: string): Promise<MultivariateFeatureOption | null> {
    return this.dataSource.getRepository(MultivariateFeatureOption).findOneBy({ uuid });
  }

  /** The feature's options in id order. */
  list(manager: EntityManager, featureId: number): Promise<MultivariateFeatureOption[]> {
    return manager
      .getRepository(MultivariateFeatureOption)
      .find({ where: { featureId }, order: { id: 'ASC' } });
  }

  /** Sum of the default allocations of the feature's options (but `exceptId`). */
  async allocated(manager: EntityManager, featureId: number, exceptId: number | null): Promise<number> {
    const [row] = await manager.query<{ total: number | null }[]>(
      `SELECT SUM(default_percentage_allocation) AS total FROM multivariate_feature_options
        WHERE feature_id = $1 AND ($2::int IS NULL OR id <> $2)`,
      [featureId, exceptId],
    );
    return Number(row?.total ?? 0);
  }

  /** Whether an environment default state of the feature already gives its MV values more than `limit` %. */
  async stateOver(manager: EntityManager, featureId: number, limit: number): Promise<boolean> {
    const rows = await manager.query<unknown[]>(
      `SELECT 1 FROM multivariate_feature_state_values v JOIN feature_states s ON s.id = v.feature_state_id
        WHERE s.feature_id = $1 AND s.identity_id IS NULL AND s.feature_segment_id IS NULL
        GROUP BY v.feature_state_id HAVING SUM(v.percentage_allocation) > $2 LIMIT 1`,
      [featureId, limit],
    );
    return rows.length > 0;
  }

  async keyTaken(
    manager: EntityManager,
    featureId: number,
    key: string,
    exceptId: number | null,
  ): Promise<boolean> {
    const clash = await manager.query<unknown[]>(
      `SELECT 1 FROM multivariate_feature_options WHERE feature_id = $1 AND key = $2 AND ($3::int IS NULL OR id <> $3)`,
      [featureId, key, exceptId],
    );
    return clash.length > 0;
  }

  /** Inserts the option and gives every environment default state of the feature its MV value at `pct`. */
  async insert(
    manager: EntityManager,
    fields: Required<MvOptionColumns> & { featureId: number },
  ): Promise<MultivariateFeatureOption> {
    const repo = manager.getRepository(MultivariateFeatureOption);
    const option = await repo.save(repo.create(fields));
    const states = await manager.getRepository(FeatureState).find({
      where: { featureId: fields.featureId, identityId: IsNull(), featureSegmentId: IsNull() },
      select: { id: true },
    });
    if (states.length) {
      const values = manager.getRepository(MultivariateFeatureStateValue);
      await values.save(
        states.map((s) =>
          values.create({
            featureStateId: s.id,
            multivariateFeatureOptionId: option.id,
            percentageAllocation: fields.defaultPercentageAllocation,
          }),
        ),
      );
    }
    return option;
  }

  /** Writes exactly these columns and returns the row as stored. */
  async update(
    manager: EntityManager,
    id: number,
    columns: MvOptionColumns,
  ): Promise<MultivariateFeatureOption> {
    const repo = manager.getRepository(MultivariateFeatureOption);
    if (Object.keys(columns).length) await repo.update({ id }, columns);
    return repo.findOneByOrFail({ id });
  }

  /** Deletes options (their MV values go with them); returns how many the feature has left. */
  async delete(manager: EntityManager, featureId: number, ids: readonly number[]): Promise<number> {
    const repo = manager.getRepository(MultivariateFeatureOption);
    await repo.delete({ featureId, id: In([...ids]) });
    return repo.countBy({ featureId });
  }

  async setFeatureType(manager: EntityManager, featureId: number, type: FeatureType): Promise<void> {
    await manager.getRepository(Feature).update({ id: featureId }, { type });
  }
}
