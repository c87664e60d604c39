import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { hashApiKey } from '../auth/auth.service';
import { Principal } from '../auth/principal';
import { badRequestDetail, fieldError, forbidden, notFound } from '../common/errors';
import { BodyReader, parseId } from '../common/validation';
import { APP_CONFIG, AppConfig } from '../config';
import { EmailService } from '../email/email.service';
import { SiteLinks } from '../email/site-links';
import { inviteEmail } from '../email/templates';
import { EnvironmentChangesService } from '../environments/environment-changes.service';
import { User } from '../users/user.entity';
import {
  Invite,
  InviteLink,
  MasterApiKey,
  Organisation,
  ORGANISATION_ROLES,
  OrganisationMembership,
  OrganisationRole,
  UserGroup,
  UserGroupMember,
} from './organisation.entity';

const randomHash = () => randomBytes(24).toString('base64url');

/** Flagsmith's InvalidInviteError text, answered 400 `{"detail": …}` when the joining user is not the invitee. */
export const INVITE_EMAIL_MISMATCH_DETAIL = 'Registered email does not match invited email';

/** Organisations, memberships, invites, groups and master API keys (docs/contracts/admin-api.md §3). Permission checks are the caller's. */
@Injectable()
export class OrganisationsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly changes: EnvironmentChangesService,
    private readonly email: EmailService,
    private readonly links: SiteLinks,
  ) {}

  // ---- organisations

  async listForPrincipal(principal: Principal): Promise<{ org: Organisation; role: OrganisationRole }[]> {
    if (principal.kind === 'master_key') {
      const org = await this.dataSource
        .getRepository(Organisation)
        .findOneByOrFail({ id: principal.key.organisationId });
      return [{ org, role: principal.key.isAdmin ? 'ADMIN' : 'USER' }];
    }
    const memberships = await this.dataSource.getRepository(OrganisationMembership).find({
      where: { userId: principal.user.id },
      relations: { organisation: true },
      order: { organisationId: 'ASC' },
    });
    return memberships.map((m) => ({ org: m.organisation, role: m.role }));
  }

  async seatCounts(organisationIds: number[]): Promise<Map<number, number>> {
    if (organisationIds.length === 0) return new Map();
    const rows = await this.dataSource.query<{ organisation_id: number; n: number }[]>(
      `SELECT organisation_id, count(*)::int AS n FROM organisation_memberships
        WHERE organisation_id = ANY($1) GROUP BY organisation_id`,
      [organisationIds],
    );
    return new Map(rows.map((r) => [r.organisation_id, r.n]));
  }

  async create(principal: Principal, body: unknown): Promise<Organisation> {
    if (principal.kind !== 'user') throw forbidden();
    if (this.config.RESTRICT_ORG_CREATE_TO_SUPERUSERS && !principal.user.isSuperuser) throw forbidden();
    const v = new BodyReader(body);
    const name = v.string('name', { maxLength: 2000 });
    const webhook = v.email('webhook_notification_email', { optional: true, nullable: true });
    const restrict = v.boolean('restrict_project_create_to_admin', { optional: true });
    v.assertValid();
    return this.dataSource.transaction(async (manager) => {
      const repo = manager.getRepository(Organisation);
      const org = await repo.save(
        repo.create({
          name: name!,
          webhookNotificationEmail: webhook ?? null,
          restrictProjectCreateToAdmin: restrict ?? false,
          persistTraitData: this.config.DEFAULT_ORG_STORE_TRAITS_VALUE,
        }),
      );
      await this.addMember(manager, org.id, principal.user.id, 'ADMIN');
      await this.audit.record(manager, {
        log: `New Organisation created: ${org.name}`,
        principal,
        organisationId: org.id,
        relatedObjectType: 'ORGANISATION',
        relatedObjectId: org.id,
        relatedObjectUuid: org.uuid,
      });
      return org;
    });
  }

  async update(
    principal: Principal,
    org: Organisation,
    body: unknown,
    partial: boolean,
  ): Promise<Organisation> {
    const v = new BodyReader(body, { partial });
    const name = v.string('name', { maxLength: 2000 });
    const webhook = v.email('webhook_notification_email', { optional: true, nullable: true });
    const restrict = v.boolean('restrict_project_create_to_admin', { optional: true });
    const persist = v.boolean('persist_trait_data', { optional: true });
    const stop = v.boolean('stop_serving_flags', { optional: true });
    const block = v.boolean('block_access_to_admin', { optional: true });
    const force2fa = v.boolean('force_2fa', { optional: true });
    v.assertValid();
    const before = { ...org };
    if (name !== undefined) org.name = name;
    if (webhook !== undefined) org.webhookNotificationEmail = webhook;
    if (restrict !== undefined) org.restrictProjectCreateToAdmin = restrict;
    if (persist !== undefined) org.persistTraitData = persist;
    if (stop !== undefined) org.stopServingFlags = stop;
    if (block !== undefined) org.blockAccessToAdmin = block;
    if (force2fa !== undefined) org.force2fa = force2fa;
    return this.dataSource.transaction(async (manager) => {
      const saved = await manager.getRepository(Organisation).save(org);
      if (
        before.persistTraitData !== saved.persistTraitData ||
        before.stopServingFlags !== saved.stopServingFlags ||
        before.name !== saved.name
      ) {
        await this.changes.organisationChanged(manager, saved.id);
      }
      await this.audit.record(manager, {
        log: `Organisation updated: ${saved.name}`,
        principal,
        organisationId: saved.id,
        relatedObjectType: 'ORGANISATION',
        relatedObjectId: saved.id,
        relatedObjectUuid: saved.uuid,
      });
      return saved;
    });
  }

  async remove(org: Organisation): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const envs = await manager.query<{ id: number; api_key: string }[]>(
        `SELECT e.id, e.api_key FROM environments e JOIN projects p ON p.id = e.project_id WHERE p.organisation_id = $1`,
        [org.id],
      );
      await this.changes.environmentsDeleted(
        manager,
        envs.map((e) => ({ id: e.id, apiKey: e.api_key })),
      );
      await manager.getRepository(Organisation).delete({ id: org.id });
    });
  }

  // ---- members

  async addMember(manager: EntityManager, organisationId: number, userId: number, role: OrganisationRole) {
    await manager
      .createQueryBuilder()
      .insert()
      .into(OrganisationMembership)
      .values({ organisationId, userId, role })
      .orIgnore()
      .execute();
    const defaults = await manager.getRepository(UserGroup).findBy({ organisationId, isDefault: true });
    for (const group of defaults) await this.addToGroup(manager, group.id, userId);
  }

  private async addToGroup(manager: EntityManager, groupId: number, userId: number) {
    await manager
      .createQueryBuilder()
      .insert()
      .into(UserGroupMember)
      .values({ groupId, userId })
      .orIgnore()
      .execute();
  }

  async members(organisationId: number): Promise<OrganisationMembership[]> {
    return this.dataSource.getRepository(OrganisationMembership).find({
      where: { organisationId },
      relations: { user: true },
      order: { userId: 'ASC' },
    });
  }

  async updateRole(
    organisationId: number,
    userIdRaw: unknown,
    body: unknown,
  ): Promise<OrganisationMembership> {
    const v = new BodyReader(body);
    const role = v.choice('role', ORGANISATION_ROLES);
    v.assertValid();
    const userId = parseId(userIdRaw);
    const repo = this.dataSource.getRepository(OrganisationMembership);
    const membership = userId
      ? await repo.findOne({ where: { organisationId, userId }, relations: { user: true } })
      : null;
    if (!membership) throw notFound();
    membership.role = role!;
    return repo.save(membership);
  }

  async removeUsers(organisationId: number, body: unknown): Promise<void> {
    const items = Array.isArray(body) ? body : undefined;
    if (!items) throw fieldError('non_field_errors', 'Expected a list of items.');
    const ids = items.map((item: unknown) =>
      parseId(typeof item === 'object' && item !== null ? (item as Record<string, unknown>).id : item),
    );
    if (ids.some((id) => id === undefined)) throw fieldError('id', 'A valid integer is required.');
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `DELETE FROM organisation_memberships WHERE organisation_id = $1 AND user_id = ANY($2)`,
        [organisationId, ids],
      );
      await manager.query(
        `DELETE FROM user_group_members m USING user_groups g
          WHERE m.group_id = g.id AND g.organisation_id = $1 AND m.user_id = ANY($2)`,
        [organisationId, ids],
      );
      for (const [table, scope] of [
        ['project_user_permissions', `project_id IN (SELECT id FROM projects WHERE organisation_id = $1)`],
        [
          'environment_user_permissions',
          `environment_id IN (SELECT e.id FROM environments e JOIN projects p ON p.id = e.project_id WHERE p.organisation_id = $1)`,
        ],
        ['organisation_user_permissions', `organisation_id = $1`],
      ]) {
        await manager.query(`DELETE FROM ${table} WHERE ${scope} AND user_id = ANY($2)`, [
          organisationId,
          ids,
        ]);
      }
    });
  }

  // ---- invites

  async createInvite(principal: Principal, organisationId: number, body: unknown): Promise<Invite> {
    const v = new BodyReader(body);
    const email = v.email('email');
    const role = v.choice('role', ORGANISATION_ROLES, { optional: true }) ?? 'USER';
    const groupIds = v.integerList('permission_groups', { optional: true }) ?? [];
    v.assertValid();
    const invite = await this.dataSource.transaction((manager) =>
      this.insertInvite(manager, principal, organisationId, email!, role, groupIds),
    );
    await this.sendInvite(this.dataSource.manager, invite);
    return invite;
  }

  async createInvites(principal: Principal, organisationId: number, body: unknown): Promise<Invite[]> {
    const v = new BodyReader(body);
    const wanted: { email: string; role: OrganisationRole }[] = [];
    if (v.has('invites')) {
      const raw = v.raw('invites');
      if (!Array.isArray(raw)) throw fieldError('invites', 'Expected a list of items.');
      for (const item of raw as unknown[]) {
        const r = new BodyReader(item);
        const email = r.email('email');
        const role = r.choice('role', ORGANISATION_ROLES, { optional: true }) ?? 'USER';
        if (!r.valid) throw fieldError('invites', ...Object.values(r.errors).flat());
        wanted.push({ email: email!, role });
      }
    }
    if (v.has('emails') || !v.has('invites')) {
      // `emails` is optional next to `invites`, but when sent it must be a list, whatever else is sent.
      const raw = v.raw('emails');
      if (raw === undefined) throw fieldError('emails', 'This field is required.');
      if (!Array.isArray(raw))
        throw fieldError('emails', `Expected a list of items but got type "${jsonTypeName(raw)}".`);
      for (const email of raw as unknown[]) {
        const r = new BodyReader({ email });
        const parsed = r.email('email');
        if (!r.valid) throw fieldError('emails', ...Object.values(r.errors).flat());
        wanted.push({ email: parsed!, role: 'USER' });
      }
    }
    const groupIds = v.integerList('permission_groups', { optional: true }) ?? [];
    v.assertValid();
    const invites = await this.dataSource.transaction(async (manager) => {
      const out: Invite[] = [];
      for (const w of wanted)
        out.push(await this.insertInvite(manager, principal, organisationId, w.email, w.role, groupIds));
      return out;
    });
    // Emails only for invites that exist: after the commit.
    for (const invite of invites) await this.sendInvite(this.dataSource.manager, invite);
    return invites;
  }

  private async insertInvite(
    manager: EntityManager,
    principal: Principal,
    organisationId: number,
    email: string,
    role: OrganisationRole,
    groupIds: number[],
  ): Promise<Invite> {
    const groups = groupIds.length
      ? await manager.getRepository(UserGroup).findBy({ id: In(groupIds), organisationId })
      : [];
    if (groups.length !== new Set(groupIds).size) throw fieldError('permission_groups', 'Invalid group.');
    const exists = await manager
      .getRepository(Invite)
      .createQueryBuilder('i')
      .where('i.organisation_id = :organisationId AND lower(i.email) = lower(:email)', {
        organisationId,
        email,
      })
      .getExists();
    if (exists) throw fieldError('email', 'An invite for this email already exists.');
    const repo = manager.getRepository(Invite);
    const invite = await repo.save(
      repo.create({
        email,
        role,
        organisationId,
        hash: randomHash(),
        invitedById: principal.kind === 'user' ? principal.user.id : null,
        permissionGroups: groups,
      }),
    );
    return repo.findOneOrFail({
      where: { id: invite.id },
      relations: { invitedBy: true, permissionGroups: true },
    });
  }

  /** Flagsmith's invite email: the inviter's name in the subject, the link to `<site>/invite/<hash>`. */
  private async sendInvite(manager: EntityManager, invite: Invite): Promise<void> {
    const org = await manager.getRepository(Organisation).findOneByOrFail({ id: invite.organisationId });
    const inviter = invite.invitedById
      ? await manager.getRepository(User).findOneBy({ id: invite.invitedById })
      : null;
    const inviterName = inviter ? `${inviter.firstName} ${inviter.lastName}`.trim() || 'A user' : undefined;
    const url = await this.links.link(`invite/${invite.hash}`);
    await this.email.send({ to: invite.email, ...inviteEmail(org.name, inviterName, url) });
  }

  invites(organisationId: number): Promise<Invite[]> {
    return this.dataSource.getRepository(Invite).find({
      where: { organisationId },
      relations: { invitedBy: true, permissionGroups: true },
      order: { id: 'ASC' },
    });
  }

  async invite(organisationId: number, idRaw: unknown): Promise<Invite> {
    const id = parseId(idRaw);
    const invite = id
      ? await this.dataSource.getRepository(Invite).findOne({
          where: { id, organisationId },
          relations: { invitedBy: true, permissionGroups: true },
        })
      : null;
    if (!invite) throw notFound();
    return invite;
  }

  async resendInvite(organisationId: number, idRaw: unknown): Promise<void> {
    await this.sendInvite(this.dataSource.manager, await this.invite(organisationId, idRaw));
  }

  async deleteInvite(organisationId: number, idRaw: unknown): Promise<void> {
    const invite = await this.invite(organisationId, idRaw);
    await this.dataSource.getRepository(Invite).delete({ id: invite.id });
  }

  async createInviteLink(organisationId: number, body: unknown): Promise<InviteLink> {
    const v = new BodyReader(body);
    const role = v.choice('role', ORGANISATION_ROLES, { optional: true }) ?? 'USER';
    const expiresAt = v.datetime('expires_at', { optional: true, nullable: true }) ?? null;
    v.assertValid();
    const repo = this.dataSource.getRepository(InviteLink);
    return repo.save(repo.create({ organisationId, role, expiresAt, hash: randomHash() }));
  }

  inviteLinks(organisationId: number): Promise<InviteLink[]> {
    return this.dataSource
      .getRepository(InviteLink)
      .find({ where: { organisationId }, order: { id: 'ASC' } });
  }

  async deleteInviteLink(organisationId: number, idRaw: unknown): Promise<void> {
    const id = parseId(idRaw);
    const result = id
      ? await this.dataSource.getRepository(InviteLink).delete({ id, organisationId })
      : undefined;
    if (!result?.affected) throw notFound();
  }

  /** POST /users/join/{hash}/ (email invite) or /users/join/link/{hash}/ (link). */
  async join(user: User, hashRaw: unknown, kind: 'invite' | 'link'): Promise<Organisation> {
    const hash = typeof hashRaw === 'string' ? hashRaw : '';
    return this.dataSource.transaction(async (manager) => {
      const organisationId =
        kind === 'invite'
          ? await this.acceptEmailInvite(manager, user, hash)
          : await this.acceptLink(manager, user, hash);
      return manager.getRepository(Organisation).findOneByOrFail({ id: organisationId });
    });
  }

  /** Used by registration with `invite_hash`: an email invite or a link, whichever the hash is. */
  async acceptInviteHash(manager: EntityManager, user: User, hash: string): Promise<number> {
    const invite = await manager.getRepository(Invite).findOneBy({ hash });
    return invite ? this.acceptEmailInvite(manager, user, hash) : this.acceptLink(manager, user, hash);
  }

  private async acceptEmailInvite(manager: EntityManager, user: User, hash: string): Promise<number> {
    const invite = hash
      ? await manager
          .getRepository(Invite)
          .findOne({ where: { hash }, relations: { permissionGroups: true } })
      : null;
    if (!invite) throw notFound();
    // The hash alone is no capability: only the invited address may join (Flagsmith compares lower-cased).
    if (invite.email.toLowerCase() !== user.email.toLowerCase())
      throw badRequestDetail(INVITE_EMAIL_MISMATCH_DETAIL);
    await this.ensureNotMember(manager, invite.organisationId, user.id);
    await this.addMember(manager, invite.organisationId, user.id, invite.role);
    for (const group of invite.permissionGroups) await this.addToGroup(manager, group.id, user.id);
    await manager.getRepository(Invite).delete({ id: invite.id });
    return invite.organisationId;
  }

  private async acceptLink(manager: EntityManager, user: User, hash: string): Promise<number> {
    const link = hash ? await manager.getRepository(InviteLink).findOneBy({ hash }) : null;
    if (!link) throw notFound();
    if (link.expiresAt && link.expiresAt.getTime() <= Date.now())
      throw badRequestDetail('Invite has expired'); // Flagsmith's InviteExpiredError, no full stop
    await this.ensureNotMember(manager, link.organisationId, user.id);
    await this.addMember(manager, link.organisationId, user.id, link.role);
    return link.organisationId;
  }

  private async ensureNotMember(manager: EntityManager, organisationId: number, userId: number) {
    if (await manager.getRepository(OrganisationMembership).existsBy({ organisationId, userId })) {
      throw badRequestDetail('User already in organisation.');
    }
  }

  // ---- groups

  async groups(
    organisationId: number,
    userId?: number,
  ): Promise<{ group: UserGroup; members: UserGroupMember[] }[]> {
    const qb = this.dataSource
      .getRepository(UserGroup)
      .createQueryBuilder('g')
      .where('g.organisation_id = :organisationId', { organisationId })
      .orderBy('g.id');
    if (userId !== undefined)
      qb.andWhere(
        'EXISTS (SELECT 1 FROM user_group_members m WHERE m.group_id = g.id AND m.user_id = :userId)',
        {
          userId,
        },
      );
    const groups = await qb.getMany();
    return this.withMembers(groups);
  }

  async withMembers(groups: UserGroup[]): Promise<{ group: UserGroup; members: UserGroupMember[] }[]> {
    const members = groups.length
      ? await this.dataSource.getRepository(UserGroupMember).find({
          where: { groupId: In(groups.map((g) => g.id)) },
          relations: { user: true },
          order: { userId: 'ASC' },
        })
      : [];
    return groups.map((group) => ({ group, members: members.filter((m) => m.groupId === group.id) }));
  }

  async group(organisationId: number, idRaw: unknown): Promise<UserGroup> {
    const id = parseId(idRaw);
    const group = id
      ? await this.dataSource.getRepository(UserGroup).findOneBy({ id, organisationId })
      : null;
    if (!group) throw notFound();
    return group;
  }

  async saveGroup(organisationId: number, existing: UserGroup | null, body: unknown, partial: boolean) {
    const v = new BodyReader(body, { partial });
    const name = v.string('name', { maxLength: 200 });
    const isDefault = v.boolean('is_default', { optional: true });
    const externalId = v.string('external_id', { optional: true, nullable: true, maxLength: 255 });
    const userIds = v.integerList('users', { optional: true });
    v.assertValid();
    return this.dataSource.transaction(async (manager) => {
      const repo = manager.getRepository(UserGroup);
      const group = existing ?? repo.create({ organisationId });
      if (name !== undefined) group.name = name;
      if (isDefault !== undefined) group.isDefault = isDefault;
      if (externalId !== undefined) group.externalId = externalId;
      const saved = await repo.save(group);
      if (userIds !== undefined) await this.addUsersToGroup(saved, userIds, manager);
      return saved;
    });
  }

  async addUsersToGroup(
    group: UserGroup,
    userIds: number[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    if (userIds.length === 0) return;
    const count = await manager
      .getRepository(OrganisationMembership)
      .countBy({ organisationId: group.organisationId, userId: In(userIds) });
    if (count !== new Set(userIds).size)
      throw fieldError('user_ids', 'Users must be members of the organisation.');
    for (const userId of userIds) await this.addToGroup(manager, group.id, userId);
  }

  async removeUsersFromGroup(group: UserGroup, userIds: number[]): Promise<void> {
    if (userIds.length)
      await this.dataSource.getRepository(UserGroupMember).delete({ groupId: group.id, userId: In(userIds) });
  }

  async setGroupAdmin(group: UserGroup, userIdRaw: unknown, admin: boolean): Promise<void> {
    const userId = parseId(userIdRaw);
    const result = userId
      ? await this.dataSource
          .getRepository(UserGroupMember)
          .update({ groupId: group.id, userId }, { groupAdmin: admin })
      : undefined;
    if (!result?.affected) throw notFound();
  }

  async isGroupAdmin(group: UserGroup, principal: Principal): Promise<boolean> {
    if (principal.kind !== 'user') return false;
    return this.dataSource
      .getRepository(UserGroupMember)
      .existsBy({ groupId: group.id, userId: principal.user.id, groupAdmin: true });
  }

  async deleteGroup(group: UserGroup): Promise<void> {
    await this.dataSource.getRepository(UserGroup).delete({ id: group.id });
  }

  // ---- master API keys

  async createMasterKey(
    organisationId: number,
    body: unknown,
  ): Promise<{ key: MasterApiKey; plaintext: string }> {
    const v = new BodyReader(body);
    const name = v.string('name', { maxLength: 200 });
    const expiryDate = v.datetime('expiry_date', { optional: true, nullable: true }) ?? null;
    const isAdmin = v.boolean('is_admin', { optional: true }) ?? true;
    v.assertValid();
    const prefix = randomBytes(6).toString('base64url').slice(0, 8);
    const plaintext = `${prefix}.${randomBytes(24).toString('base64url')}`;
    const repo = this.dataSource.getRepository(MasterApiKey);
    const key = await repo.save(
      repo.create({
        organisationId,
        name: name!,
        expiryDate,
        isAdmin,
        prefix,
        hashedKey: hashApiKey(plaintext),
      }),
    );
    return { key, plaintext };
  }

  masterKeys(organisationId: number): Promise<MasterApiKey[]> {
    return this.dataSource
      .getRepository(MasterApiKey)
      .find({ where: { organisationId, revoked: false }, order: { id: 'ASC' } });
  }

  /** A live key of the organisation: revoked keys are gone for the API (Flagsmith's queryset has revoked=False). */
  async masterKey(organisationId: number, prefix: unknown): Promise<MasterApiKey> {
    const key =
      typeof prefix === 'string' && prefix.length <= 8
        ? await this.dataSource
            .getRepository(MasterApiKey)
            .findOneBy({ prefix, organisationId, revoked: false })
        : null;
    if (!key) throw notFound();
    return key;
  }

  async updateMasterKey(key: MasterApiKey, body: unknown, partial: boolean): Promise<MasterApiKey> {
    const v = new BodyReader(body, { partial });
    const name = v.string('name', { maxLength: 200 });
    const expiryDate = v.datetime('expiry_date', { optional: true, nullable: true });
    const revoked = v.boolean('revoked', { optional: true });
    const isAdmin = v.boolean('is_admin', { optional: true });
    v.assertValid();
    const changes: Partial<Pick<MasterApiKey, 'name' | 'expiryDate' | 'revoked' | 'isAdmin'>> = {};
    if (name !== undefined) changes.name = name;
    if (expiryDate !== undefined) changes.expiryDate = expiryDate;
    // Revoking is one-way: `revoked: false` never writes, and the WHERE keeps a key revoked meanwhile revoked.
    if (revoked) changes.revoked = true;
    if (isAdmin !== undefined) changes.isAdmin = isAdmin;
    const repo = this.dataSource.getRepository(MasterApiKey);
    if (Object.keys(changes).length) {
      const result = await repo.update({ id: key.id, revoked: false }, changes);
      if (!result.affected) throw notFound();
    }
    return repo.findOneByOrFail({ id: key.id });
  }

  async revokeMasterKey(key: MasterApiKey): Promise<void> {
    await this.dataSource.getRepository(MasterApiKey).update({ id: key.id }, { revoked: true });
  }
}

/** The JSON type of a value, as DRF names it in "Expected a list of items but got type …". */
function jsonTypeName(value: unknown): string {
  if (value === null) return 'NoneType';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return 'dict';
}
