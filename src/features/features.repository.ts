import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, IsNull } from 'typeorm';
import { escapeLike, pageOfQuery, type PageRequest } from '../common/pagination';
import type { Environment } from '../environments/environment.entity';
import type { UserGroup } from '../organisations/organisation.entity';
import type { Tag } from '../projects/project.entity';
import type { User } from '../users/user.entity';
import { Feature, FeatureSegment, FeatureState, MultivariateFeatureOption } from './feature.entity';
import type { GroupOwnerJson, OwnerJson } from './feature.schemas';
import type { EnvironmentContext, FeatureRelations } from './feature.serializers';

/** The columns a feature write may set (entity property names). */
export type FeatureColumns = Partial<
  Pick<
    Feature,
    'name' | 'type' | 'defaultEnabled' | 'initialValue' | 'description' | 'isServerKeyOnly' | 'isArchived'
  >
>;

/** What the features list selects and how it orders (validated by the service). */
export interface FeatureFilter {
  search?: string;
  /** [] : features without tags. */
  tags?: { ids: number[]; strategy: 'INTERSECTION' | 'UNION' };
  isArchived?: boolean;
  type?: 'STANDARD' | 'MULTIVARIATE';
  owners?: number[];
  groupOwners?: number[];
  /** With a permanent tag (true) or without (false); null: no feature (a lifecycle stage none can be in here). */
  permanent?: boolean | null;
  sortField: 'created_date' | 'name';
  sortDirection: 'ASC' | 'DESC';
}

export type OwnerRelation = 'owners' | 'groupOwners';

/** The list query's feature `f` has a permanent tag. */
const PERMANENT_TAG_OF_F =
  'EXISTS (SELECT 1 FROM feature_tags ft JOIN tags t ON t.id = ft.tag_id WHERE ft.feature_id = f.id AND t.is_permanent)';

function push<T>(map: Map<number, T[]>, key: number, value: T): void {
  const list = map.get(key) ?? [];
  list.push(value);
  map.set(key, list);
}

/**
 * Every SQL statement about features, their tags and owners. Writes take the unit of work's manager; reads
 * outside a write use the primary. FeaturesService holds the rules.
 */
@Injectable()
export class FeaturesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** A live feature of the project. */
  find(projectId: number, id: number): Promise<Feature | null> {
    return this.dataSource.getRepository(Feature).findOneBy({ id, projectId });
  }

  /** A live feature of any project (the caller checks that project). */
  findAnywhere(where: { id: number } | { uuid: string }): Promise<Feature | null> {
    return this.dataSource.getRepository(Feature).findOneBy(where);
  }

  /** The live feature, locked FOR NO KEY UPDATE until the transaction ends. */
  lock(manager: EntityManager, id: number): Promise<Feature | null> {
    return manager.getRepository(Feature).findOne({ where: { id }, lock: { mode: 'for_no_key_update' } });
  }

  /** One page of the project's features under the filter, and how many match (two queries). */
  async page(
    projectId: number,
    filter: FeatureFilter,
    page: PageRequest,
  ): Promise<{ count: number; rows: Feature[] }> {
    const qb = this.dataSource
      .getRepository(Feature)
      .createQueryBuilder('f')
      .where('f.project_id = :projectId', { projectId });
    if (filter.search)
      qb.andWhere(`f.name ILIKE :search ESCAPE '\\'`, { search: `%${escapeLike(filter.search)}%` });
    if (filter.tags && !filter.tags.ids.length)
      qb.andWhere('NOT EXISTS (SELECT 1 FROM feature_tags ft WHERE ft.feature_id = f.id)');
    else if (filter.tags?.strategy === 'UNION')
      qb.andWhere(
        'EXISTS (SELECT 1 FROM feature_tags ft WHERE ft.feature_id = f.id AND ft.tag_id = ANY(:tagIds))',
        { tagIds: filter.tags.ids },
      );
    else if (filter.tags)
      qb.andWhere(
        `(SELECT COUNT(DISTINCT ft.tag_id) FROM feature_tags ft WHERE ft.feature_id = f.id AND ft.tag_id = ANY(:tagIds)) = :tagCount`,
        { tagIds: filter.tags.ids, tagCount: new Set(filter.tags.ids).size },
      );
    if (filter.isArchived !== undefined)
      qb.andWhere('f.is_archived = :archived', { archived: filter.isArchived });
    if (filter.type) qb.andWhere('f.type = :type', { type: filter.type });
    if (filter.permanent === null) qb.andWhere('FALSE');
    else if (filter.permanent !== undefined)
      qb.andWhere(`${filter.permanent ? '' : 'NOT '}${PERMANENT_TAG_OF_F}`);
    if (filter.owners)
      qb.andWhere(
        'EXISTS (SELECT 1 FROM feature_owners o WHERE o.feature_id = f.id AND o.user_id = ANY(:owners))',
        { owners: filter.owners },
      );
    if (filter.groupOwners)
      qb.andWhere(
        'EXISTS (SELECT 1 FROM feature_group_owners o WHERE o.feature_id = f.id AND o.group_id = ANY(:groupOwners))',
        { groupOwners: filter.groupOwners },
      );
    return pageOfQuery(
      qb
        .orderBy(filter.sortField === 'name' ? 'f.name' : 'f.created_date', filter.sortDirection)
        .addOrderBy('f.id', filter.sortDirection),
      page,
    );
  }

  /** Those of these features with a permanent tag (one query). */
  async permanentFeatureIds(ids: readonly number[]): Promise<Set<number>> {
    if (!ids.length) return new Set();
    const rows = await this.dataSource.query<{ feature_id: number }[]>(
      `SELECT DISTINCT ft.feature_id FROM feature_tags ft JOIN tags t ON t.id = ft.tag_id
        WHERE ft.feature_id = ANY($1::int[]) AND t.is_permanent`,
      [ids],
    );
    return new Set(rows.map((r) => r.feature_id));
  }

  /** Tags, MV options, owners and group owners of many features: four queries whatever their number. */
  async relations(
    featureIds: readonly number[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<FeatureRelations> {
    const rel: FeatureRelations = {
      tags: new Map(),
      options: new Map(),
      owners: new Map(),
      groupOwners: new Map(),
    };
    if (!featureIds.length) return rel;
    const ids = [...featureIds];
    // One after another: `manager` may be a transaction's single connection, which runs one query at a time.
    const tags = await manager.query<{ feature_id: number; tag_id: number }[]>(
      'SELECT feature_id, tag_id FROM feature_tags WHERE feature_id = ANY($1) ORDER BY tag_id',
      [ids],
    );
    const options = await manager
      .getRepository(MultivariateFeatureOption)
      .find({ where: { featureId: In(ids) }, order: { id: 'ASC' } });
    const owners = await manager.query<(OwnerJson & { feature_id: number; last_login: Date | null })[]>(
      `SELECT o.feature_id, u.id, u.email, u.first_name, u.last_name, u.last_login, u.uuid
         FROM feature_owners o JOIN users u ON u.id = o.user_id WHERE o.feature_id = ANY($1) ORDER BY u.id`,
      [ids],
    );
    const groups = await manager.query<(GroupOwnerJson & { feature_id: number })[]>(
      `SELECT o.feature_id, g.id, g.name FROM feature_group_owners o JOIN user_groups g ON g.id = o.group_id
        WHERE o.feature_id = ANY($1) ORDER BY g.id`,
      [ids],
    );
    for (const t of tags) push(rel.tags, t.feature_id, t.tag_id);
    for (const o of options) push(rel.options, o.featureId, o);
    for (const { feature_id, last_login, ...u } of owners)
      push(rel.owners, feature_id, {
        ...u,
        last_login: last_login ? new Date(last_login).toISOString() : null,
      });
    for (const { feature_id, ...g } of groups) push(rel.groupOwners, feature_id, g);
    return rel;
  }

  environment(projectId: number, environmentId: number): Promise<Environment | null> {
    return this.dataSource
      .getRepository<Environment>('Environment')
      .findOneBy({ id: environmentId, projectId });
  }

  /** Environment default states and override counts of the given features (two queries). */
  async environmentContext(
    environmentId: number,
    featureIds: readonly number[],
  ): Promise<EnvironmentContext> {
    const ctx: EnvironmentContext = {
      states: new Map(),
      segmentOverrides: new Map(),
      identityOverrides: new Map(),
    };
    if (!featureIds.length) return ctx;
    const ids = [...featureIds];
    const [states, counts] = await Promise.all([
      this.dataSource.getRepository(FeatureState).find({
        where: { environmentId, featureId: In(ids), identityId: IsNull(), featureSegmentId: IsNull() },
      }),
      this.dataSource.query<{ feature_id: number; segments: string; identities: string }[]>(
        `SELECT feature_id,
                COUNT(*) FILTER (WHERE feature_segment_id IS NOT NULL) AS segments,
                COUNT(*) FILTER (WHERE identity_id IS NOT NULL) AS identities
           FROM feature_states WHERE environment_id = $1 AND feature_id = ANY($2) GROUP BY feature_id`,
        [environmentId, ids],
      ),
    ]);
    for (const s of states) ctx.states.set(s.featureId, s);
    for (const c of counts) {
      ctx.segmentOverrides.set(c.feature_id, Number(c.segments));
      ctx.identityOverrides.set(c.feature_id, Number(c.identities));
    }
    return ctx;
  }

  /** Whether another live feature of the project has this name, in any case. */
  async nameTaken(
    manager: EntityManager,
    projectId: number,
    name: string,
    exceptId?: number,
  ): Promise<boolean> {
    const clash = await manager.query<unknown[]>(
      `SELECT 1 FROM features WHERE project_id = $1 AND lower(name) = lower($2) AND deleted_at IS NULL AND id <> $3`,
      [projectId, name, exceptId ?? 0],
    );
    return clash.length > 0;
  }

  /** The tags of these ids that exist, with their project. */
  tags(manager: EntityManager, ids: readonly number[]): Promise<Pick<Tag, 'id' | 'projectId'>[]> {
    return manager
      .getRepository<Tag>('Tag')
      .find({ where: { id: In([...ids]) }, select: { id: true, projectId: true } });
  }

  users(ids: readonly number[]): Promise<User[]> {
    return this.dataSource.getRepository<User>('User').findBy({ id: In([...ids]) });
  }

  groups(ids: readonly number[]): Promise<UserGroup[]> {
    return this.dataSource.getRepository<UserGroup>('UserGroup').findBy({ id: In([...ids]) });
  }

  async insert(
    manager: EntityManager,
    fields: FeatureColumns & { name: string; projectId: number },
  ): Promise<Feature> {
    const repo = manager.getRepository(Feature);
    return repo.save(repo.create(fields));
  }

  /** Writes exactly these columns and returns the row as stored. */
  async update(manager: EntityManager, id: number, columns: FeatureColumns): Promise<Feature> {
    if (Object.keys(columns).length) await manager.getRepository(Feature).update({ id }, columns);
    return manager.getRepository(Feature).findOneByOrFail({ id });
  }

  /** The feature's tags become exactly these. */
  async setTags(
    manager: EntityManager,
    id: number,
    tagIds: readonly number[],
    replace: boolean,
  ): Promise<void> {
    if (replace) await manager.query('DELETE FROM feature_tags WHERE feature_id = $1', [id]);
    if (tagIds.length)
      await manager
        .createQueryBuilder()
        .relation(Feature, 'tags')
        .of(id)
        .add([...new Set(tagIds)]);
  }

  async addOwners(manager: EntityManager, id: number, relation: OwnerRelation, ids: readonly number[]) {
    if (ids.length)
      await manager
        .createQueryBuilder()
        .relation(Feature, relation)
        .of(id)
        .add([...new Set(ids)]);
  }

  async removeOwners(manager: EntityManager, id: number, relation: OwnerRelation, ids: readonly number[]) {
    if (ids.length)
      await manager
        .createQueryBuilder()
        .relation(Feature, relation)
        .of(id)
        .remove([...ids]);
  }

  /** Soft delete: the feature is marked deleted; its states (all kinds) and feature segments are removed. */
  async softDelete(manager: EntityManager, id: number): Promise<void> {
    await manager.getRepository(FeatureState).delete({ featureId: id });
    await manager.getRepository(FeatureSegment).delete({ featureId: id });
    await manager.getRepository(Feature).softDelete({ id });
  }
}
