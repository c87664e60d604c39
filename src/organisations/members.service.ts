import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { GroupsRepository } from './groups.repository';
import { MembersRepository } from './members.repository';
import { OrgConflictError, OrgNotFoundError, PublicOf } from './organisation-errors';
import type { OrganisationMembership, OrganisationRole } from './organisation.entity';
import { OrganisationTransactions } from './organisation-transactions';

/** The users of an organisation and their roles. Permission checks are the caller's. */
@Injectable()
export class MembersService {
  constructor(
    @Inject(MembersRepository) private readonly members: PublicOf<MembersRepository>,
    @Inject(GroupsRepository) private readonly groups: PublicOf<GroupsRepository>,
    @Inject(OrganisationTransactions) private readonly transactions: PublicOf<OrganisationTransactions>,
  ) {}

  /** Makes the user a member (a no-op when they are one) and adds them to the organisation's default groups. */
  async addMember(
    organisationId: number,
    userId: number,
    role: OrganisationRole,
    db?: EntityManager,
  ): Promise<void> {
    await this.members.insert(organisationId, userId, role, db);
    for (const group of await this.groups.defaults(organisationId, db))
      await this.groups.addMember(group.id, userId, db);
  }

  /** Joining twice is refused (Flagsmith's 400 "User already in organisation."). */
  async assertNotMember(organisationId: number, userId: number, db?: EntityManager): Promise<void> {
    if (await this.members.exists(organisationId, userId, db))
      throw new OrgConflictError({ detail: 'User already in organisation.' });
  }

  list(organisationId: number): Promise<OrganisationMembership[]> {
    return this.members.list(organisationId);
  }

  async updateRole(
    organisationId: number,
    userId: number,
    role: OrganisationRole,
  ): Promise<OrganisationMembership> {
    const membership = await this.members.find(organisationId, userId);
    if (!membership) throw new OrgNotFoundError();
    membership.role = role;
    return this.members.save(membership);
  }

  /** Removes the users from the organisation with their group memberships and permission grants in it. */
  async removeUsers(organisationId: number, userIds: number[]): Promise<void> {
    await this.transactions.run((db) => this.members.removeFromOrganisation(organisationId, userIds, db));
  }
}
