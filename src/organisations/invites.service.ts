import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { BadRequest, NotFound, ValidationFailed } from '../common/domain-errors';
import { UnitOfWork } from '../common/unit-of-work';
import { EmailService } from '../email/email.service';
import { SiteLinks } from '../email/site-links';
import { inviteEmail } from '../email/templates';
import type { User } from '../users/user.entity';
import { GroupsRepository } from './groups.repository';
import type { CreateInviteInput, CreateInviteLinkInput, CreateInvitesInput } from './invite.schemas';
import { InvitesRepository } from './invites.repository';
import { MEMBERSHIP_UNAUDITED, MembersService } from './members.service';
import type { Invite, InviteLink, Organisation, OrganisationRole } from './organisation.entity';
import { OrganisationsRepository } from './organisations.repository';

/** One address to invite, with its role. */
interface InviteRequest {
  email: string;
  role: OrganisationRole;
}

/** Flagsmith keeps no audit log of invites. */
const INVITES_UNAUDITED = 'Flagsmith records no audit log for invites';

const randomHash = () => randomBytes(24).toString('base64url');

/** Flagsmith's InvalidInviteError text, answered 400 `{"detail": …}` when the joining user is not the invitee. */
export const INVITE_EMAIL_MISMATCH_DETAIL = 'Registered email does not match invited email';
/** Flagsmith's InviteExpiredError text (no full stop). */
export const INVITE_EXPIRED_DETAIL = 'Invite has expired';

/** Email invites, invite links and joining an organisation by either. Permission checks are the caller's. */
@Injectable()
export class InvitesService {
  constructor(
    private readonly invites: InvitesRepository,
    private readonly groups: GroupsRepository,
    private readonly organisations: OrganisationsRepository,
    private readonly members: MembersService,
    private readonly uow: UnitOfWork,
    @Inject(EmailService) private readonly email: Pick<EmailService, 'send'>,
    @Inject(SiteLinks) private readonly siteLinks: Pick<SiteLinks, 'link'>,
  ) {}

  // ---- email invites

  async create(principal: Principal, organisationId: number, input: CreateInviteInput): Promise<Invite> {
    const wanted = { email: input.email, role: input.role ?? 'USER' };
    const invite = await this.uow.run(
      (tx) => this.insert(tx.manager, principal, organisationId, wanted, input.permission_groups ?? []),
      { unaudited: INVITES_UNAUDITED },
    );
    await this.send(invite);
    return invite;
  }

  /** All or none: one address that cannot be invited stores no invite. `emails` is required without `invites`. */
  async createMany(
    principal: Principal,
    organisationId: number,
    input: CreateInvitesInput,
  ): Promise<Invite[]> {
    if (input.invites === undefined && input.emails === undefined)
      throw ValidationFailed.field('emails', 'This field is required.');
    const wanted: InviteRequest[] = [
      ...(input.invites ?? []).map((i) => ({ email: i.email, role: i.role ?? ('USER' as const) })),
      ...(input.emails ?? []).map((email) => ({ email, role: 'USER' as const })),
    ];
    const groupIds = input.permission_groups ?? [];
    const invites = await this.uow.run(
      async (tx) => {
        const out: Invite[] = [];
        for (const one of wanted)
          out.push(await this.insert(tx.manager, principal, organisationId, one, groupIds));
        return out;
      },
      { unaudited: INVITES_UNAUDITED },
    );
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
      throw ValidationFailed.field('permission_groups', 'Invalid group.');
    if (await this.invites.existsForEmail(organisationId, wanted.email, db))
      throw ValidationFailed.field('email', 'An invite for this email already exists.');
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
    if (!invite) throw new NotFound();
    return invite;
  }

  async resend(organisationId: number, id: number): Promise<void> {
    await this.send(await this.get(organisationId, id));
  }

  async delete(organisationId: number, id: number): Promise<void> {
    const invite = await this.get(organisationId, id);
    await this.uow.run((tx) => this.invites.delete(invite.id, tx.manager), { unaudited: INVITES_UNAUDITED });
  }

  // ---- invite links

  createLink(organisationId: number, input: CreateInviteLinkInput): Promise<InviteLink> {
    const link = {
      organisationId,
      role: input.role ?? ('USER' as const),
      expiresAt: input.expires_at ? new Date(input.expires_at) : null,
      hash: randomHash(),
    };
    return this.uow.run((tx) => this.invites.insertLink(link, tx.manager), { unaudited: INVITES_UNAUDITED });
  }

  links(organisationId: number): Promise<InviteLink[]> {
    return this.invites.links(organisationId);
  }

  async deleteLink(organisationId: number, id: number): Promise<void> {
    await this.uow.run(
      async (tx) => {
        if (!(await this.invites.deleteLink(organisationId, id, tx.manager))) throw new NotFound();
      },
      { unaudited: INVITES_UNAUDITED },
    );
  }

  // ---- joining

  /** POST /users/join/{hash}/ (email invite) or /users/join/link/{hash}/ (link). */
  async join(user: User, hash: string, kind: 'invite' | 'link'): Promise<Organisation> {
    return this.uow.run(
      async (tx) => {
        const organisationId =
          kind === 'invite'
            ? await this.acceptEmailInvite(tx.manager, user, hash)
            : await this.acceptLink(tx.manager, user, hash);
        return this.organisations.get(organisationId, tx.manager);
      },
      { unaudited: MEMBERSHIP_UNAUDITED },
    );
  }

  /** A step of registration with `invite_hash` (`db`: its unit of work's manager): an email invite or a link, whichever it is. */
  async acceptInviteHash(db: EntityManager, user: User, hash: string): Promise<number> {
    const invite = await this.invites.findByHash(hash, db);
    return invite ? this.acceptEmailInvite(db, user, hash) : this.acceptLink(db, user, hash);
  }

  private async acceptEmailInvite(db: EntityManager, user: User, hash: string): Promise<number> {
    const invite = hash ? await this.invites.findByHash(hash, db) : null;
    if (!invite) throw new NotFound();
    // The hash alone is no capability: only the invited address may join (Flagsmith compares lower-cased).
    if (invite.email.toLowerCase() !== user.email.toLowerCase())
      throw new BadRequest(INVITE_EMAIL_MISMATCH_DETAIL);
    await this.members.assertNotMember(invite.organisationId, user.id, db);
    await this.members.addMember(invite.organisationId, user.id, invite.role, db);
    for (const group of invite.permissionGroups) await this.groups.addMember(group.id, user.id, db);
    await this.invites.delete(invite.id, db);
    return invite.organisationId;
  }

  private async acceptLink(db: EntityManager, user: User, hash: string): Promise<number> {
    const link = hash ? await this.invites.linkByHash(hash, db) : null;
    if (!link) throw new NotFound();
    if (link.expiresAt && link.expiresAt.getTime() <= Date.now()) throw new BadRequest(INVITE_EXPIRED_DETAIL);
    await this.members.assertNotMember(link.organisationId, user.id, db);
    await this.members.addMember(link.organisationId, user.id, link.role, db);
    return link.organisationId;
  }
}
