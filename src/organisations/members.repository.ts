import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { OrganisationMembership, OrganisationRole } from './organisation.entity';

/** SQL of organisation memberships. `db` is the unit of work's manager when the call is part of a write. */
@Injectable()
export class MembersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Adds the membership unless the user is a member already (then nothing changes). */
  async insert(
    organisationId: number,
    userId: number,
    role: OrganisationRole,
    db: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    await db
      .createQueryBuilder()
      .insert()
      .into(OrganisationMembership)
      .values({ organisationId, userId, role })
      .orIgnore()
      .execute();
  }

  exists(
    organisationId: number,
    userId: number,
    db: EntityManager = this.dataSource.manager,
  ): Promise<boolean> {
    return db.getRepository(OrganisationMembership).existsBy({ organisationId, userId });
  }

  /** How many of `userIds` are members of the organisation. */
  countMembers(
    organisationId: number,
    userIds: number[],
    db: EntityManager = this.dataSource.manager,
  ): Promise<number> {
    return db.getRepository(OrganisationMembership).countBy({ organisationId, userId: In(userIds) });
  }

  list(organisationId: number): Promise<OrganisationMembership[]> {
    return this.dataSource.getRepository(OrganisationMembership).find({
      where: { organisationId },
      relations: { user: true },
      order: { userId: 'ASC' },
    });
  }

  find(
    organisationId: number,
    userId: number,
    db: EntityManager = this.dataSource.manager,
  ): Promise<OrganisationMembership | null> {
    return db
      .getRepository(OrganisationMembership)
      .findOne({ where: { organisationId, userId }, relations: { user: true } });
  }

  /** Sets the member's role; false when the user is no member. */
  async updateRole(
    organisationId: number,
    userId: number,
    role: OrganisationRole,
    db: EntityManager,
  ): Promise<boolean> {
    const result = await db
      .getRepository(OrganisationMembership)
      .update({ organisationId, userId }, { role });
    return !!result.affected;
  }

  /** Removes the users from the organisation, its groups and every permission grant inside it. */
  async removeFromOrganisation(organisationId: number, userIds: number[], db: EntityManager): Promise<void> {
    await db.query(`DELETE FROM organisation_memberships WHERE organisation_id = $1 AND user_id = ANY($2)`, [
      organisationId,
      userIds,
    ]);
    await db.query(
      `DELETE FROM user_group_members m USING user_groups g
        WHERE m.group_id = g.id AND g.organisation_id = $1 AND m.user_id = ANY($2)`,
      [organisationId, userIds],
    );
    for (const [table, scope] of [
      ['project_user_permissions', `project_id IN (SELECT id FROM projects WHERE organisation_id = $1)`],
      [
        'environment_user_permissions',
        `environment_id IN (SELECT e.id FROM environments e JOIN projects p ON p.id = e.project_id WHERE p.organisation_id = $1)`,
      ],
      ['organisation_user_permissions', `organisation_id = $1`],
    ]) {
      await db.query(`DELETE FROM ${table} WHERE ${scope} AND user_id = ANY($2)`, [organisationId, userIds]);
    }
  }
}
