import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { NotFound, PermissionDenied, ValidationFailed } from '../common/domain-errors';
import { UnitOfWork } from '../common/unit-of-work';
import type { GroupBodyInput } from './group.schemas';
import { GroupsRepository } from './groups.repository';
import { MembersRepository } from './members.repository';
import type { UserGroup, UserGroupMember } from './organisation.entity';

/** Flagsmith keeps no audit log of user groups. */
const GROUPS_UNAUDITED = 'Flagsmith records no audit log for user groups';

export interface GroupWithMembers {
  group: UserGroup;
  members: UserGroupMember[];
}

/** User groups of an organisation and their members. Permission checks are the caller's (see assertMayManage). */
@Injectable()
export class GroupsService {
  constructor(
    private readonly groups: GroupsRepository,
    private readonly members: MembersRepository,
    private readonly uow: UnitOfWork,
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
    if (!group) throw new NotFound();
    return group;
  }

  /** Creates (`existing` null) or updates a group with the fields sent; `users` are added, never removed. */
  async save(
    organisationId: number,
    existing: UserGroup | null,
    input: Partial<GroupBodyInput>,
  ): Promise<UserGroup> {
    return this.uow.run(
      async (tx) => {
        const group = existing ?? this.groups.build(organisationId);
        if (input.name !== undefined) group.name = input.name;
        if (input.is_default !== undefined) group.isDefault = input.is_default;
        if (input.external_id !== undefined) group.externalId = input.external_id;
        const saved = await this.groups.save(group, tx.manager);
        if (input.users !== undefined) await this.add(saved, input.users, tx.manager);
        return saved;
      },
      { unaudited: GROUPS_UNAUDITED },
    );
  }

  /** Only members of the group's organisation can join it. */
  async addUsers(group: UserGroup, userIds: number[]): Promise<void> {
    if (userIds.length === 0) return;
    await this.uow.run((tx) => this.add(group, userIds, tx.manager), { unaudited: GROUPS_UNAUDITED });
  }

  private async add(group: UserGroup, userIds: number[], db: EntityManager): Promise<void> {
    if (userIds.length === 0) return;
    const count = await this.members.countMembers(group.organisationId, userIds, db);
    if (count !== new Set(userIds).size)
      throw ValidationFailed.field('user_ids', 'Users must be members of the organisation.');
    for (const userId of userIds) await this.groups.addMember(group.id, userId, db);
  }

  async removeUsers(group: UserGroup, userIds: number[]): Promise<void> {
    if (userIds.length === 0) return;
    await this.uow.run((tx) => this.groups.removeMembers(group.id, userIds, tx.manager), {
      unaudited: GROUPS_UNAUDITED,
    });
  }

  /** Sets or clears a member's group-admin flag; NotFound when the user is no member of the group. */
  async setAdmin(group: UserGroup, userId: number, admin: boolean): Promise<void> {
    await this.uow.run(
      async (tx) => {
        if (!(await this.groups.setAdmin(group.id, userId, admin, tx.manager))) throw new NotFound();
      },
      { unaudited: GROUPS_UNAUDITED },
    );
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
    if (!mayManageGroups && !(await this.isGroupAdmin(group, principal))) throw new PermissionDenied();
  }

  async delete(group: UserGroup): Promise<void> {
    await this.uow.run((tx) => this.groups.delete(group.id, tx.manager), { unaudited: GROUPS_UNAUDITED });
  }
}
