import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { EmailService } from '../email/email.service';
import { SiteLinks } from '../email/site-links';
import { inviteEmail } from '../email/templates';
import type { User } from '../users/user.entity';
import { GroupsRepository } from './groups.repository';
import type { InviteRequest, NewInviteInput, NewInviteLinkInput, NewInvitesInput } from './invite.input';
import { InvitesRepository } from './invites.repository';
import { MembersService } from './members.service';
import { OrgConflictError, OrgInvalidError, OrgNotFoundError, PublicOf } from './organisation-errors';
import type { Invite, InviteLink, Organisation } from './organisation.entity';
import { OrganisationTransactions } from './organisation-transactions';
import { OrganisationsRepository } from './organisations.repository';

const randomHash = () => randomBytes(24).toString('base64url');

/** Flagsmith's InvalidInviteError text, answered 400 `{"detail": …}` when the joining user is not the invitee. */
export const INVITE_EMAIL_MISMATCH_DETAIL = 'Registered email does not match invited email';
/** Flagsmith's InviteExpiredError text (no full stop). */
export const INVITE_EXPIRED_DETAIL = 'Invite has expired';

/** Email invites, invite links and joining an organisation by either. Permission checks are the caller's. */
@Injectable()
export class InvitesService {
  constructor(
    @Inject(InvitesRepository) private readonly invites: PublicOf<InvitesRepository>,
    @Inject(GroupsRepository) private readonly groups: PublicOf<GroupsRepository>,
    @Inject(OrganisationsRepository) private readonly organisations: PublicOf<OrganisationsRepository>,
    @Inject(MembersService) private readonly members: PublicOf<MembersService>,
    @Inject(OrganisationTransactions) private readonly transactions: PublicOf<OrganisationTransactions>,
    @Inject(EmailService) private readonly email: Pick<EmailService, 'send'>,
    @Inject(SiteLinks) private readonly siteLinks: Pick<SiteLinks, 'link'>,
  ) {}

  // ---- email invites

  async create(principal: Principal, organisationId: number, input: NewInviteInput): Promise<Invite> {
    const invite = await this.transactions.run((db) =>
      this.insert(db, principal, organisationId, input, input.permissionGroupIds),
    );
    await this.send(invite);
    return invite;
  }

  /** All or none: one address that cannot be invited stores no invite. */
  async createMany(principal: Principal, organisationId: number, input: NewInvitesInput): Promise<Invite[]> {
    const invites = await this.transactions.run(async (db) => {
      const out: Invite[] = [];
      for (const wanted of input.invites)
        out.push(await this.insert(db, principal, organisationId, wanted, input.permissionGroupIds));
      return out;
    });
    // Emails only for invites that exist: after the commit.
    for (const invite of invites) await this.send(invite);
    return invites;
  }

  private async insert(
    db: EntityManager,
    principal: Principal,
    organisationId: number,
    wanted: InviteRequest,
    groupIds: number[],
  ): Promise<Invite> {
    const groups = groupIds.length ? await this.groups.findMany(organisationId, groupIds, db) : [];
    if (groups.length !== new Set(groupIds).size)
      throw OrgInvalidError.field('permission_groups', 'Invalid group.');
    if (await this.invites.existsForEmail(organisationId, wanted.email, db))
      throw OrgConflictError.field('email', 'An invite for this email already exists.');
    return this.invites.insert(
      {
        email: wanted.email,
        role: wanted.role,
        organisationId,
        hash: randomHash(),
        invitedById: principal.kind === 'user' ? principal.user.id : null,
        permissionGroups: groups,
      },
      db,
    );
  }

  /** Flagsmith's invite email: the inviter's name in the subject, the link to `<site>/invite/<hash>`. */
  private async send(invite: Invite): Promise<void> {
    const org = await this.organisations.get(invite.organisationId);
    const inviter = invite.invitedById ? await this.invites.inviter(invite.invitedById) : null;
    const inviterName = inviter ? `${inviter.firstName} ${inviter.lastName}`.trim() || 'A user' : undefined;
    const url = await this.siteLinks.link(`invite/${invite.hash}`);
    await this.email.send({ to: invite.email, ...inviteEmail(org.name, inviterName, url) });
  }

  list(organisationId: number): Promise<Invite[]> {
    return this.invites.list(organisationId);
  }

  async get(organisationId: number, id: number): Promise<Invite> {
    const invite = await this.invites.find(organisationId, id);
    if (!invite) throw new OrgNotFoundError();
    return invite;
  }

  async resend(organisationId: number, id: number): Promise<void> {
    await this.send(await this.get(organisationId, id));
  }

  async delete(organisationId: number, id: number): Promise<void> {
    const invite = await this.get(organisationId, id);
    await this.invites.delete(invite.id);
  }

  // ---- invite links

  createLink(organisationId: number, input: NewInviteLinkInput): Promise<InviteLink> {
    return this.invites.insertLink({ organisationId, ...input, hash: randomHash() });
  }

  links(organisationId: number): Promise<InviteLink[]> {
    return this.invites.links(organisationId);
  }

  async deleteLink(organisationId: number, id: number): Promise<void> {
    if (!(await this.invites.deleteLink(organisationId, id))) throw new OrgNotFoundError();
  }

  // ---- joining

  /** POST /users/join/{hash}/ (email invite) or /users/join/link/{hash}/ (link). */
  async join(user: User, hash: string, kind: 'invite' | 'link'): Promise<Organisation> {
    return this.transactions.run(async (db) => {
      const organisationId =
        kind === 'invite'
          ? await this.acceptEmailInvite(db, user, hash)
          : await this.acceptLink(db, user, hash);
      return this.organisations.get(organisationId, db);
    });
  }

  /** Used by registration with `invite_hash`, in its transaction: an email invite or a link, whichever it is. */
  async acceptInviteHash(db: EntityManager, user: User, hash: string): Promise<number> {
    const invite = await this.invites.findByHash(hash, db);
    return invite ? this.acceptEmailInvite(db, user, hash) : this.acceptLink(db, user, hash);
  }

  private async acceptEmailInvite(db: EntityManager, user: User, hash: string): Promise<number> {
    const invite = hash ? await this.invites.findByHash(hash, db) : null;
    if (!invite) throw new OrgNotFoundError();
    // The hash alone is no capability: only the invited address may join (Flagsmith compares lower-cased).
    if (invite.email.toLowerCase() !== user.email.toLowerCase())
      throw new OrgInvalidError({ detail: INVITE_EMAIL_MISMATCH_DETAIL });
    await this.members.assertNotMember(invite.organisationId, user.id, db);
    await this.members.addMember(invite.organisationId, user.id, invite.role, db);
    for (const group of invite.permissionGroups) await this.groups.addMember(group.id, user.id, db);
    await this.invites.delete(invite.id, db);
    return invite.organisationId;
  }

  private async acceptLink(db: EntityManager, user: User, hash: string): Promise<number> {
    const link = hash ? await this.invites.linkByHash(hash, db) : null;
    if (!link) throw new OrgNotFoundError();
    if (link.expiresAt && link.expiresAt.getTime() <= Date.now())
      throw new OrgInvalidError({ detail: INVITE_EXPIRED_DETAIL });
    await this.members.assertNotMember(link.organisationId, user.id, db);
    await this.members.addMember(link.organisationId, user.id, link.role, db);
    return link.organisationId;
  }
}
