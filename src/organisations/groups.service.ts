import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import type { GroupInput } from './group.input';
import { GroupsRepository } from './groups.repository';
import { MembersRepository } from './members.repository';
import { OrgForbiddenError, OrgInvalidError, OrgNotFoundError, PublicOf } from './organisation-errors';
import type { UserGroup, UserGroupMember } from './organisation.entity';
import { OrganisationTransactions } from './organisation-transactions';

export interface GroupWithMembers {
  group: UserGroup;
  members: UserGroupMember[];
}

/** User groups of an organisation and their members. Permission checks are the caller's (see assertMayManage). */
@Injectable()
export class GroupsService {
  constructor(
    @Inject(GroupsRepository) private readonly groups: PublicOf<GroupsRepository>,
    @Inject(MembersRepository) private readonly members: PublicOf<MembersRepository>,
    @Inject(OrganisationTransactions) private readonly transactions: PublicOf<OrganisationTransactions>,
  ) {}

  /** The organisation's groups, or only those `memberId` belongs to, each with its members. */
  async list(organisationId: number, memberId?: number): Promise<GroupWithMembers[]> {
    return this.withMembers(await this.groups.list(organisationId, memberId));
  }

  async withMembers(groups: UserGroup[]): Promise<GroupWithMembers[]> {
    const members = await this.groups.members(groups.map((g) => g.id));
    return groups.map((group) => ({ group, members: members.filter((m) => m.groupId === group.id) }));
  }

  async get(organisationId: number, id: number): Promise<UserGroup> {
    const group = await this.groups.find(organisationId, id);
    if (!group) throw new OrgNotFoundError();
    return group;
  }

  /** Creates (`existing` null) or updates a group with the fields given; `userIds` are added, never removed. */
  async save(organisationId: number, existing: UserGroup | null, input: GroupInput): Promise<UserGroup> {
    return this.transactions.run(async (db) => {
      const group = existing ?? this.groups.build(organisationId);
      if (input.name !== undefined) group.name = input.name;
      if (input.isDefault !== undefined) group.isDefault = input.isDefault;
      if (input.externalId !== undefined) group.externalId = input.externalId;
      const saved = await this.groups.save(group, db);
      if (input.userIds !== undefined) await this.addUsers(saved, input.userIds, db);
      return saved;
    });
  }

  /** Only members of the group's organisation can join it. */
  async addUsers(group: UserGroup, userIds: number[], db?: EntityManager): Promise<void> {
    if (userIds.length === 0) return;
    const count = await this.members.countMembers(group.organisationId, userIds, db);
    if (count !== new Set(userIds).size)
      throw OrgInvalidError.field('user_ids', 'Users must be members of the organisation.');
    for (const userId of userIds) await this.groups.addMember(group.id, userId, db);
  }

  async removeUsers(group: UserGroup, userIds: number[]): Promise<void> {
    if (userIds.length) await this.groups.removeMembers(group.id, userIds);
  }

  /** Sets or clears a member's group-admin flag; NotFound when the user is no member of the group. */
  async setAdmin(group: UserGroup, userId: number, admin: boolean): Promise<void> {
    if (!(await this.groups.setAdmin(group.id, userId, admin))) throw new OrgNotFoundError();
  }

  async isGroupAdmin(group: UserGroup, principal: Principal): Promise<boolean> {
    if (principal.kind !== 'user') return false;
    return this.groups.isAdmin(group.id, principal.user.id);
  }

  /**
   * Adding or removing a group's users needs MANAGE_USER_GROUPS on the organisation (`mayManageGroups`, org admins
   * included) or being an admin of this very group.
   */
  async assertMayManage(group: UserGroup, principal: Principal, mayManageGroups: boolean): Promise<void> {
    if (!mayManageGroups && !(await this.isGroupAdmin(group, principal))) throw new OrgForbiddenError();
  }

  async delete(group: UserGroup): Promise<void> {
    await this.groups.delete(group.id);
  }
}
