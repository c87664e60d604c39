import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { escapeLike, pageOfQuery, type PageRequest } from '../common/pagination';
import { Identity, Trait } from './identity.entity';

/** The columns a trait write may set (entity property names). */
export type TraitColumns = Partial<
  Pick<Trait, 'traitKey' | 'valueType' | 'stringValue' | 'integerValue' | 'booleanValue' | 'floatValue'>
>;

/** How `?q=` filters the identity list: an exact identifier, or a substring (case-insensitive). */
export type IdentifierFilter = { readonly exact: string } | { readonly contains: string } | null;

/**
 * Every SQL statement about identities and their traits. Writes take the unit of work's manager (`tx.manager`);
 * reads outside a write use the primary. IdentitiesService holds the rules; an in-memory twin is in
 * identities.service.spec.ts.
 */
@Injectable()
export class IdentitiesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  // ---- identities

  /** One page of the environment's identities, oldest first. */
  page(environmentId: number, filter: IdentifierFilter, page: PageRequest) {
    const query = this.dataSource
      .getRepository(Identity)
      .createQueryBuilder('i')
      .where('i.environment_id = :env', { env: environmentId })
      .orderBy('i.created_date')
      .addOrderBy('i.id');
    if (filter && 'exact' in filter) query.andWhere('i.identifier = :exact', { exact: filter.exact });
    else if (filter)
      query.andWhere(`i.identifier ILIKE :q ESCAPE '\\'`, { q: `%${escapeLike(filter.contains)}%` });
    return pageOfQuery(query, page);
  }

  find(environmentId: number, id: number): Promise<Identity | null> {
    return this.dataSource.getRepository(Identity).findOneBy({ id, environmentId });
  }

  findByIdentifier(
    manager: EntityManager,
    environmentId: number,
    identifier: string,
  ): Promise<Identity | null> {
    return manager.getRepository(Identity).findOneBy({ environmentId, identifier });
  }

  /**
   * The identity's row as stored now, locked until the transaction ends (null: gone). `update` (rename, delete)
   * also keeps identity overrides from being added meanwhile (their foreign key check needs a share lock on the
   * row), so that `hasOverrides` stays true until commit; `share` (trait writes) only waits for a rename or
   * delete in progress.
   */
  lock(manager: EntityManager, id: number, mode: 'update' | 'share'): Promise<Identity | null> {
    return manager.getRepository(Identity).findOne({
      where: { id },
      lock: { mode: mode === 'update' ? 'for_no_key_update' : 'pessimistic_read' },
    });
  }

  /** Whether the identity has identity overrides (then the environment document lists it by identifier). */
  async hasOverrides(manager: EntityManager, id: number): Promise<boolean> {
    const rows = await manager.query<{ found: boolean }[]>(
      'SELECT EXISTS (SELECT 1 FROM feature_states WHERE identity_id = $1) AS found',
      [id],
    );
    return rows[0].found;
  }

  insert(manager: EntityManager, fields: { identifier: string; environmentId: number }): Promise<Identity> {
    const repo = manager.getRepository(Identity);
    return repo.save(repo.create(fields));
  }

  async rename(manager: EntityManager, id: number, identifier: string): Promise<Identity> {
    await manager.getRepository(Identity).update({ id }, { identifier });
    return manager.getRepository(Identity).findOneByOrFail({ id });
  }

  /** Its traits and identity overrides go with it (ON DELETE CASCADE). */
  async delete(manager: EntityManager, id: number): Promise<void> {
    await manager.getRepository(Identity).delete({ id });
  }

  // ---- traits

  /** One page of the identity's traits in id order. */
  traitPage(identityId: number, page: PageRequest) {
    const query = this.dataSource
      .getRepository(Trait)
      .createQueryBuilder('t')
      .where('t.identity_id = :identity', { identity: identityId })
      .orderBy('t.id');
    return pageOfQuery(query, page);
  }

  findTrait(identityId: number, id: number): Promise<Trait | null> {
    return this.dataSource.getRepository(Trait).findOneBy({ id, identityId });
  }

  /** The trait, locked FOR NO KEY UPDATE until the transaction ends (null: gone). */
  lockTrait(manager: EntityManager, identityId: number, id: number): Promise<Trait | null> {
    return manager
      .getRepository(Trait)
      .findOne({ where: { id, identityId }, lock: { mode: 'for_no_key_update' } });
  }

  traitByKey(manager: EntityManager, identityId: number, traitKey: string): Promise<Trait | null> {
    return manager.getRepository(Trait).findOneBy({ identityId, traitKey });
  }

  insertTrait(manager: EntityManager, fields: TraitColumns & { identityId: number }): Promise<Trait> {
    const repo = manager.getRepository(Trait);
    return repo.save(repo.create(fields));
  }

  /** Writes exactly these columns and returns the row as stored. */
  async updateTrait(manager: EntityManager, id: number, columns: TraitColumns): Promise<Trait> {
    if (Object.keys(columns).length) await manager.getRepository(Trait).update({ id }, columns);
    return manager.getRepository(Trait).findOneByOrFail({ id });
  }

  async deleteTrait(manager: EntityManager, id: number): Promise<void> {
    await manager.getRepository(Trait).delete({ id });
  }

  /** Deletes the key from every identity of the environment. */
  async deleteTraitKey(manager: EntityManager, environmentId: number, traitKey: string): Promise<void> {
    await manager.query(
      `DELETE FROM traits t USING identities i WHERE t.identity_id = i.id AND i.environment_id = $1 AND t.trait_key = $2`,
      [environmentId, traitKey],
    );
  }

  /** The trait keys any identity of the environment has, sorted. */
  async traitKeys(environmentId: number): Promise<string[]> {
    const rows = await this.dataSource.query<{ trait_key: string }[]>(
      `SELECT DISTINCT t.trait_key FROM traits t JOIN identities i ON i.id = t.identity_id
        WHERE i.environment_id = $1 ORDER BY t.trait_key`,
      [environmentId],
    );
    return rows.map((r) => r.trait_key);
  }
}
