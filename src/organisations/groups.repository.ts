import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { UserGroup, UserGroupMember } from './organisation.entity';

export type GroupFields = Pick<UserGroup, 'name' | 'isDefault' | 'externalId'>;

/** SQL of user groups and their members. `db` is the unit of work's manager when the call is part of a write. */
@Injectable()
export class GroupsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The organisation's groups by id, or only those `memberId` belongs to. */
  list(organisationId: number, memberId?: number): Promise<UserGroup[]> {
    const qb = this.dataSource
      .getRepository(UserGroup)
      .createQueryBuilder('g')
      .where('g.organisation_id = :organisationId', { organisationId })
      .orderBy('g.id');
    if (memberId !== undefined)
      qb.andWhere(
        'EXISTS (SELECT 1 FROM user_group_members m WHERE m.group_id = g.id AND m.user_id = :userId)',
        { userId: memberId },
      );
    return qb.getMany();
  }

  find(organisationId: number, id: number): Promise<UserGroup | null> {
    return this.dataSource.getRepository(UserGroup).findOneBy({ id, organisationId });
  }

  /** The groups among `ids` that belong to the organisation. */
  findMany(
    organisationId: number,
    ids: number[],
    db: EntityManager = this.dataSource.manager,
  ): Promise<UserGroup[]> {
    return db.getRepository(UserGroup).findBy({ id: In(ids), organisationId });
  }

  defaults(organisationId: number, db: EntityManager = this.dataSource.manager): Promise<UserGroup[]> {
    return db.getRepository(UserGroup).findBy({ organisationId, isDefault: true });
  }

  /** The members of the groups, with their users, by user id. */
  members(groupIds: number[]): Promise<UserGroupMember[]> {
    if (groupIds.length === 0) return Promise.resolve([]);
    return this.dataSource.getRepository(UserGroupMember).find({
      where: { groupId: In(groupIds) },
      relations: { user: true },
      order: { userId: 'ASC' },
    });
  }

  /** Inserts (organisationId set, no id) or updates the group. */
  save(group: UserGroup, db: EntityManager): Promise<UserGroup> {
    return db.getRepository(UserGroup).save(group);
  }

  /** A new, unsaved group of the organisation. */
  build(organisationId: number): UserGroup {
    return this.dataSource.getRepository(UserGroup).create({ organisationId });
  }

  async delete(id: number, db: EntityManager): Promise<void> {
    await db.getRepository(UserGroup).delete({ id });
  }

  /** Adds the member unless present already. */
  async addMember(
    groupId: number,
    userId: number,
    db: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    await db
      .createQueryBuilder()
      .insert()
      .into(UserGroupMember)
      .values({ groupId, userId })
      .orIgnore()
      .execute();
  }

  async removeMembers(groupId: number, userIds: number[], db: EntityManager): Promise<void> {
    await db.getRepository(UserGroupMember).delete({ groupId, userId: In(userIds) });
  }

  /** Sets the member's group-admin flag; false when the user is no member of the group. */
  async setAdmin(groupId: number, userId: number, admin: boolean, db: EntityManager): Promise<boolean> {
    const result = await db.getRepository(UserGroupMember).update({ groupId, userId }, { groupAdmin: admin });
    return !!result.affected;
  }

  isAdmin(groupId: number, userId: number): Promise<boolean> {
    return this.dataSource.getRepository(UserGroupMember).existsBy({ groupId, userId, groupAdmin: true });
  }
}
