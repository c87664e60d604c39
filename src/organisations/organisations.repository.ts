import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Organisation, OrganisationMembership, OrganisationRole } from './organisation.entity';

export type OrganisationFields = Pick<
  Organisation,
  | 'name'
  | 'webhookNotificationEmail'
  | 'restrictProjectCreateToAdmin'
  | 'persistTraitData'
  | 'stopServingFlags'
  | 'blockAccessToAdmin'
  | 'force2fa'
  | 'targetingKey'
>;

/** SQL of organisations themselves. `db` is the unit of work's manager when the call is part of a write. */
@Injectable()
export class OrganisationsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  get(id: number, db: EntityManager = this.dataSource.manager): Promise<Organisation> {
    return db.getRepository(Organisation).findOneByOrFail({ id });
  }

  /** The row as it is now, locked until the write commits (FOR NO KEY UPDATE). */
  lock(id: number, db: EntityManager): Promise<Organisation> {
    return db
      .getRepository(Organisation)
      .createQueryBuilder('o')
      .where('o.id = :id', { id })
      .setLock('for_no_key_update')
      .getOneOrFail();
  }

  async ofUser(userId: number): Promise<{ org: Organisation; role: OrganisationRole }[]> {
    const memberships = await this.dataSource.getRepository(OrganisationMembership).find({
      where: { userId },
      relations: { organisation: true },
      order: { organisationId: 'ASC' },
    });
    return memberships.map((m) => ({ org: m.organisation, role: m.role }));
  }

  async seatCounts(organisationIds: number[]): Promise<Map<number, number>> {
    if (organisationIds.length === 0) return new Map();
    const rows = await this.dataSource.query<{ organisation_id: number; n: number }[]>(
      `SELECT organisation_id, count(*)::int AS n FROM organisation_memberships
        WHERE organisation_id = ANY($1) GROUP BY organisation_id`,
      [organisationIds],
    );
    return new Map(rows.map((r) => [r.organisation_id, r.n]));
  }

  insert(fields: Partial<OrganisationFields> & { name: string }, db: EntityManager): Promise<Organisation> {
    const repo = db.getRepository(Organisation);
    return repo.save(repo.create(fields));
  }

  /** Writes exactly the columns given; returns the row as saved. */
  async update(id: number, columns: Partial<OrganisationFields>, db: EntityManager): Promise<Organisation> {
    if (Object.keys(columns).length) await db.getRepository(Organisation).update({ id }, columns);
    return this.get(id, db);
  }

  /** Ids of every environment of the organisation's projects. */
  async environmentIds(organisationId: number, db: EntityManager): Promise<number[]> {
    return (await this.environmentKeys(organisationId, db)).map((e) => e.id);
  }

  async environmentKeys(
    organisationId: number,
    db: EntityManager,
  ): Promise<{ id: number; apiKey: string }[]> {
    const rows = await db.query<{ id: number; api_key: string }[]>(
      `SELECT e.id, e.api_key FROM environments e JOIN projects p ON p.id = e.project_id
        WHERE p.organisation_id = $1 ORDER BY e.id`,
      [organisationId],
    );
    return rows.map((e) => ({ id: e.id, apiKey: e.api_key }));
  }

  async delete(id: number, db: EntityManager): Promise<void> {
    await db.getRepository(Organisation).delete({ id });
  }
}
