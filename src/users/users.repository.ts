import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Invite, InviteLink, OrganisationMembership } from '../organisations/organisation.entity';
import { User } from './user.entity';

/** The columns a write may set on a user (entity property names). */
export type UserColumns = Partial<
  Pick<
    User,
    | 'email'
    | 'password'
    | 'firstName'
    | 'lastName'
    | 'isSuperuser'
    | 'isStaff'
    | 'isActive'
    | 'authType'
    | 'signUpType'
    | 'marketingConsentGiven'
    | 'githubUserId'
    | 'googleUserId'
    | 'lastLogin'
    | 'onboardingData'
  >
>;

/**
 * Every SQL statement about user accounts. Writes take the unit of work's manager (`tx.manager`); reads outside a
 * write use the primary. AccountsService and OAuthAccountsService hold the rules; an in-memory twin is in
 * accounts.service.spec.ts.
 */
@Injectable()
export class UsersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The account of this email, compared case-insensitively (as the unique index is). */
  byEmail(email: string, manager: EntityManager = this.dataSource.manager): Promise<User | null> {
    return manager
      .getRepository(User)
      .createQueryBuilder('u')
      .where('lower(u.email) = lower(:email)', { email })
      .getOne();
  }

  /**
   * The account a provider login of this email signs in to: when several differ only in case, the one already
   * linked to the provider.
   */
  byEmailForProvider(
    manager: EntityManager,
    email: string,
    provider: 'github' | 'google',
  ): Promise<User | null> {
    const idColumn = provider === 'github' ? 'github_user_id' : 'google_user_id';
    return manager
      .getRepository(User)
      .createQueryBuilder('u')
      .where('lower(u.email) = lower(:email)', { email })
      .orderBy(`u.${idColumn}`, 'DESC', 'NULLS LAST')
      .getOne();
  }

  byId(id: number, manager: EntityManager = this.dataSource.manager): Promise<User | null> {
    return manager.getRepository(User).findOneBy({ id });
  }

  /** The row, locked FOR NO KEY UPDATE until the transaction ends (a change validates against current values). */
  lock(manager: EntityManager, id: number): Promise<User | null> {
    return manager.getRepository(User).findOne({ where: { id }, lock: { mode: 'for_no_key_update' } });
  }

  count(manager: EntityManager): Promise<number> {
    return manager.getRepository(User).count();
  }

  async insert(
    manager: EntityManager,
    fields: UserColumns & { email: string; password: string },
  ): Promise<User> {
    const repo = manager.getRepository(User);
    return repo.save(repo.create(fields));
  }

  /** Writes exactly these columns. */
  async update(manager: EntityManager, id: number, columns: UserColumns): Promise<void> {
    if (Object.keys(columns).length) await manager.getRepository(User).update({ id }, columns);
  }

  /** Deletes the user; with `orphans`, also those of the user's organisations that are left without members. */
  async delete(manager: EntityManager, id: number, orphans: boolean): Promise<void> {
    const organisationIds = orphans
      ? (await manager.getRepository(OrganisationMembership).findBy({ userId: id })).map(
          (m) => m.organisationId,
        )
      : [];
    await manager.getRepository(User).delete({ id });
    if (organisationIds.length)
      await manager.query(
        `DELETE FROM organisations o WHERE o.id = ANY($1)
           AND NOT EXISTS (SELECT 1 FROM organisation_memberships m WHERE m.organisation_id = o.id)`,
        [organisationIds],
      );
  }

  /** Whether a sign-up for this email counts as invited: an email invite, or a valid invite link hash. */
  async hasInvite(manager: EntityManager, email: string, hash?: string): Promise<boolean> {
    const byEmail = await manager
      .getRepository(Invite)
      .createQueryBuilder('i')
      .where('lower(i.email) = lower(:email)', { email })
      .getExists();
    if (byEmail) return true;
    if (!hash) return false;
    const link = await manager.getRepository(InviteLink).findOneBy({ hash });
    return !!link && (link.expiresAt === null || link.expiresAt.getTime() > Date.now());
  }
}
