import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { User } from '../users/user.entity';
import { Invite, InviteLink, OrganisationRole, UserGroup } from './organisation.entity';

export interface NewInvite {
  email: string;
  role: OrganisationRole;
  organisationId: number;
  hash: string;
  invitedById: number | null;
  permissionGroups: UserGroup[];
}

export interface NewInviteLink {
  organisationId: number;
  role: OrganisationRole;
  expiresAt: Date | null;
  hash: string;
}

/** SQL of email invites and invite links. `db` is the unit of work's manager when the call is part of a write. */
@Injectable()
export class InvitesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  // ---- email invites (loaded with invitedBy and permissionGroups)

  list(organisationId: number): Promise<Invite[]> {
    return this.dataSource.getRepository(Invite).find({
      where: { organisationId },
      relations: { invitedBy: true, permissionGroups: true },
      order: { id: 'ASC' },
    });
  }

  find(organisationId: number, id: number): Promise<Invite | null> {
    return this.dataSource.getRepository(Invite).findOne({
      where: { id, organisationId },
      relations: { invitedBy: true, permissionGroups: true },
    });
  }

  findByHash(hash: string, db: EntityManager = this.dataSource.manager): Promise<Invite | null> {
    return db.getRepository(Invite).findOne({ where: { hash }, relations: { permissionGroups: true } });
  }

  /** Whether the organisation has an invite for the address, compared case-insensitively. */
  existsForEmail(organisationId: number, email: string, db: EntityManager): Promise<boolean> {
    return db
      .getRepository(Invite)
      .createQueryBuilder('i')
      .where('i.organisation_id = :organisationId AND lower(i.email) = lower(:email)', {
        organisationId,
        email,
      })
      .getExists();
  }

  async insert(invite: NewInvite, db: EntityManager): Promise<Invite> {
    const repo = db.getRepository(Invite);
    const saved = await repo.save(repo.create(invite));
    return repo.findOneOrFail({
      where: { id: saved.id },
      relations: { invitedBy: true, permissionGroups: true },
    });
  }

  async delete(id: number, db: EntityManager): Promise<void> {
    await db.getRepository(Invite).delete({ id });
  }

  /** The inviting user, for the invite email. */
  inviter(userId: number): Promise<User | null> {
    return this.dataSource.getRepository<User>('User').findOneBy({ id: userId });
  }

  // ---- invite links

  links(organisationId: number): Promise<InviteLink[]> {
    return this.dataSource
      .getRepository(InviteLink)
      .find({ where: { organisationId }, order: { id: 'ASC' } });
  }

  linkByHash(hash: string, db: EntityManager = this.dataSource.manager): Promise<InviteLink | null> {
    return db.getRepository(InviteLink).findOneBy({ hash });
  }

  insertLink(link: NewInviteLink, db: EntityManager): Promise<InviteLink> {
    const repo = db.getRepository(InviteLink);
    return repo.save(repo.create(link));
  }

  /** False when the organisation has no such link. */
  async deleteLink(organisationId: number, id: number, db: EntityManager): Promise<boolean> {
    const result = await db.getRepository(InviteLink).delete({ id, organisationId });
    return !!result.affected;
  }
}
