import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { FeatureHealthEvent, FeatureHealthProvider } from '../features/feature-health.entity';

export type NewProvider = Pick<FeatureHealthProvider, 'projectId' | 'name' | 'createdById' | 'webhookToken'>;
export type NewEvent = Pick<
  FeatureHealthEvent,
  'featureId' | 'environmentId' | 'type' | 'providerName' | 'reason' | 'externalId'
> & { createdAt?: Date };

/** A provider with its creator's email, as the provider serializer shows it. */
export type ProviderRow = FeatureHealthProvider & { createdByEmail: string | null };

/** Every SQL statement about feature health providers and events; writes take the unit of work's manager. */
@Injectable()
export class FeatureHealthRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private withCreator(manager: EntityManager) {
    return manager
      .getRepository(FeatureHealthProvider)
      .createQueryBuilder('p')
      .leftJoin('users', 'u', 'u.id = p.created_by_id')
      .addSelect('u.email', 'creator_email');
  }

  private async providerRows(
    query: ReturnType<FeatureHealthRepository['withCreator']>,
  ): Promise<ProviderRow[]> {
    const { entities, raw } = await query.getRawAndEntities<{ creator_email: string | null }>();
    return entities.map((p, i) => Object.assign(p, { createdByEmail: raw[i].creator_email ?? null }));
  }

  /** The project's providers, in id order. */
  providers(projectId: number): Promise<ProviderRow[]> {
    return this.providerRows(
      this.withCreator(this.dataSource.manager)
        .where('p.project_id = :projectId', { projectId })
        .orderBy('p.id'),
    );
  }

  async provider(manager: EntityManager, id: number): Promise<ProviderRow> {
    const [row] = await this.providerRows(this.withCreator(manager).where('p.id = :id', { id }));
    return row;
  }

  /** The provider whose webhook URL carries `token`. */
  byToken(token: string): Promise<FeatureHealthProvider | null> {
    return this.dataSource.getRepository(FeatureHealthProvider).findOneBy({ webhookToken: token });
  }

  /** The project's provider of this name (any case, as Flagsmith's `name__iexact`), locked FOR NO KEY UPDATE. */
  lockByName(manager: EntityManager, projectId: number, name: string): Promise<FeatureHealthProvider | null> {
    return manager
      .getRepository(FeatureHealthProvider)
      .createQueryBuilder('p')
      .where('p.project_id = :projectId AND lower(p.name) = lower(:name)', { projectId, name })
      .setLock('for_no_key_update')
      .getOne();
  }

  /** Inserts unless the project already has a provider of that name; null then (the unique index decides). */
  async insertProvider(manager: EntityManager, fields: NewProvider): Promise<FeatureHealthProvider | null> {
    const result = await manager
      .createQueryBuilder()
      .insert()
      .into(FeatureHealthProvider)
      .values(manager.getRepository(FeatureHealthProvider).create(fields))
      .orIgnore()
      .returning('id')
      .execute();
    const id = (result.raw as { id: number }[])[0]?.id;
    return id === undefined ? null : manager.getRepository(FeatureHealthProvider).findOneByOrFail({ id });
  }

  async deleteProvider(manager: EntityManager, id: number): Promise<void> {
    await manager.getRepository(FeatureHealthProvider).delete({ id });
  }

  /** Live features of the project by exact name. */
  async featureIdsByName(
    manager: EntityManager,
    projectId: number,
    names: readonly string[],
  ): Promise<Map<string, number>> {
    if (names.length === 0) return new Map();
    const rows: { id: number; name: string }[] = await manager.query(
      `SELECT id, name FROM features WHERE project_id = $1 AND deleted_at IS NULL AND name = ANY($2::varchar[])
        ORDER BY id`,
      [projectId, [...new Set(names)]],
    );
    const byName = new Map<string, number>();
    for (const row of rows) if (!byName.has(row.name)) byName.set(row.name, row.id);
    return byName;
  }

  /** Environments of the project by exact name (the first created wins a duplicated name). */
  async environmentIdsByName(
    manager: EntityManager,
    projectId: number,
    names: readonly string[],
  ): Promise<Map<string, number>> {
    if (names.length === 0) return new Map();
    const rows: { id: number; name: string }[] = await manager.query(
      `SELECT id, name FROM environments WHERE project_id = $1 AND name = ANY($2::varchar[]) ORDER BY id`,
      [projectId, [...new Set(names)]],
    );
    const byName = new Map<string, number>();
    for (const row of rows) if (!byName.has(row.name)) byName.set(row.name, row.id);
    return byName;
  }

  /** The names of a feature and (when given) an environment, for audit lines. */
  async names(
    manager: EntityManager,
    featureId: number,
    environmentId: number | null,
  ): Promise<{ feature: string; environment: string | null }> {
    const [row]: { feature: string; environment: string | null }[] = await manager.query(
      `SELECT f.name AS feature, e.name AS environment
         FROM features f LEFT JOIN environments e ON e.id = $2
        WHERE f.id = $1`,
      [featureId, environmentId],
    );
    return { feature: row?.feature ?? `#${featureId}`, environment: row?.environment ?? null };
  }

  async insertEvents(manager: EntityManager, events: readonly NewEvent[]): Promise<FeatureHealthEvent[]> {
    const repo = manager.getRepository(FeatureHealthEvent);
    return repo.save(events.map((e) => repo.create(e)));
  }

  /**
   * The latest event per provider, environment, external id and feature of the project's live features
   * (Flagsmith's get_latest_by_project), in that key order.
   */
  latestEvents(
    projectId: number,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<FeatureHealthEvent[]> {
    return manager
      .getRepository(FeatureHealthEvent)
      .createQueryBuilder('e')
      .innerJoin('features', 'f', 'f.id = e.feature_id')
      .where('f.project_id = :projectId AND f.deleted_at IS NULL', { projectId })
      .distinctOn(['e.provider_name', 'e.environment_id', 'e.external_id', 'e.feature_id'])
      .orderBy('e.provider_name')
      .addOrderBy('e.environment_id')
      .addOrderBy('e.external_id')
      .addOrderBy('e.feature_id')
      .addOrderBy('e.created_at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .getMany();
  }
}
