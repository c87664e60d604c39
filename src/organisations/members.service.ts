import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { BadRequest, NotFound } from '../common/domain-errors';
import { UnitOfWork } from '../common/unit-of-work';
import { GroupsRepository } from './groups.repository';
import { MembersRepository } from './members.repository';
import type { OrganisationMembership, OrganisationRole } from './organisation.entity';

/** Flagsmith keeps no audit log of who belongs to an organisation. */
export const MEMBERSHIP_UNAUDITED = 'Flagsmith records no audit log for organisation memberships';

/** The users of an organisation and their roles. Permission checks are the caller's. */
@Injectable()
export class MembersService {
  constructor(
    private readonly members: MembersRepository,
    private readonly groups: GroupsRepository,
    private readonly uow: UnitOfWork,
  ) {}

  /**
   * A step of the caller's write (`db`: its manager): makes the user a member (a no-op when they are one) and adds
   * them to the organisation's default groups.
   */
  async addMember(
    organisationId: number,
    userId: number,
    role: OrganisationRole,
    db: EntityManager,
  ): Promise<void> {
    await this.members.insert(organisationId, userId, role, db);
    for (const group of await this.groups.defaults(organisationId, db))
      await this.groups.addMember(group.id, userId, db);
  }

  /** Joining twice is refused (Flagsmith's 400 "User already in organisation."). */
  async assertNotMember(organisationId: number, userId: number, db: EntityManager): Promise<void> {
    if (await this.members.exists(organisationId, userId, db))
      throw new BadRequest('User already in organisation.');
  }

  /**
   * A new member, as one write (the admin panel's "new membership"): refused when the user is one already, and
   * added to the organisation's default groups, as every other way of joining does.
   */
  add(organisationId: number, userId: number, role: OrganisationRole): Promise<OrganisationMembership> {
    return this.uow.run(
      async (tx) => {
        await this.assertNotMember(organisationId, userId, tx.manager);
        await this.addMember(organisationId, userId, role, tx.manager);
        const membership = await this.members.find(organisationId, userId, tx.manager);
        if (!membership) throw new NotFound();
        return membership;
      },
      { unaudited: MEMBERSHIP_UNAUDITED },
    );
  }

  list(organisationId: number): Promise<OrganisationMembership[]> {
    return this.members.list(organisationId);
  }

  async updateRole(
    organisationId: number,
    userId: number,
    role: OrganisationRole,
  ): Promise<OrganisationMembership> {
    return this.uow.run(
      async (tx) => {
        if (!(await this.members.updateRole(organisationId, userId, role, tx.manager))) throw new NotFound();
        return (await this.members.find(organisationId, userId, tx.manager))!;
      },
      { unaudited: MEMBERSHIP_UNAUDITED },
    );
  }

  /** Removes the users from the organisation with their group memberships and permission grants in it. */
  async removeUsers(organisationId: number, userIds: number[]): Promise<void> {
    await this.uow.run((tx) => this.members.removeFromOrganisation(organisationId, userIds, tx.manager), {
      unaudited: MEMBERSHIP_UNAUDITED,
    });
  }
}
