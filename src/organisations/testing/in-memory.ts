/* In-memory stand-ins for the organisations repositories, for unit tests of the services (no database). */
import { FakeUnitOfWork } from '../../common/unit-of-work.fake';
import type { User } from '../../users/user.entity';
import type { GroupsRepository } from '../groups.repository';
import { GroupsService } from '../groups.service';
import type { InvitesRepository, NewInvite, NewInviteLink } from '../invites.repository';
import { InvitesService } from '../invites.service';
import type { MasterApiKeyChanges, MasterApiKeysRepository } from '../master-api-keys.repository';
import { MasterApiKeysService } from '../master-api-keys.service';
import type { MembersRepository } from '../members.repository';
import { MembersService } from '../members.service';
import type {
  Invite,
  InviteLink,
  MasterApiKey,
  Organisation,
  OrganisationMembership,
  OrganisationRole,
  UserGroup,
  UserGroupMember,
} from '../organisation.entity';
import type { OrganisationFields, OrganisationsRepository } from '../organisations.repository';
import { OrganisationsService } from '../organisations.service';

/** Typed view of an injected class: its public members only, so in-memory fakes fit without casts. */
export type PublicOf<T> = { [K in keyof T]: T[K] };
/** A fake where a service wants the repository class (the same public shape; the private DataSource aside). */
const asReal = <T>(fake: PublicOf<T>): T => fake;

/** Everything the fakes store; tests seed and inspect it directly. */
export class InMemoryOrganisations {
  private nextId = 1;
  readonly organisations: Organisation[] = [];
  readonly memberships: OrganisationMembership[] = [];
  readonly groups: UserGroup[] = [];
  readonly groupMembers: UserGroupMember[] = [];
  readonly invites: Invite[] = [];
  readonly links: InviteLink[] = [];
  readonly keys: MasterApiKey[] = [];
  readonly users: User[] = [];
  readonly environments: { id: number; apiKey: string; organisationId: number }[] = [];

  id(): number {
    return this.nextId++;
  }

  user(email: string, extra: Partial<User> = {}): User {
    const user = { id: this.id(), email, firstName: '', lastName: '', isSuperuser: false, ...extra } as User;
    this.users.push(user);
    return user;
  }

  organisation(name = 'Acme'): Organisation {
    const org = { id: this.id(), uuid: `uuid-${this.nextId}`, name, persistTraitData: true } as Organisation;
    this.organisations.push(org);
    return org;
  }

  member(organisationId: number, user: User, role: OrganisationRole = 'USER'): void {
    this.memberships.push({
      id: this.id(),
      organisationId,
      userId: user.id,
      user,
      role,
    } as OrganisationMembership);
  }

  group(organisationId: number, name: string, isDefault = false): UserGroup {
    const group = { id: this.id(), organisationId, name, isDefault, externalId: null } as UserGroup;
    this.groups.push(group);
    return group;
  }

  groupMemberIds(groupId: number): number[] {
    return this.groupMembers.filter((m) => m.groupId === groupId).map((m) => m.userId);
  }

  environment(organisationId: number): { id: number; apiKey: string } {
    const env = { id: this.id(), apiKey: `key-${this.nextId}`, organisationId };
    this.environments.push(env);
    return env;
  }

  roleOf(organisationId: number, userId: number): OrganisationRole | undefined {
    return this.memberships.find((m) => m.organisationId === organisationId && m.userId === userId)?.role;
  }
}

export class FakeOrganisationsRepository implements PublicOf<OrganisationsRepository> {
  constructor(private readonly store: InMemoryOrganisations) {}
  async get(id: number): Promise<Organisation> {
    const org = this.store.organisations.find((o) => o.id === id);
    if (!org) throw new Error(`no organisation ${id}`);
    return org;
  }
  async ofUser(userId: number) {
    return this.store.memberships
      .filter((m) => m.userId === userId)
      .map((m) => ({ org: this.store.organisations.find((o) => o.id === m.organisationId)!, role: m.role }));
  }
  async seatCounts(ids: number[]) {
    return new Map(
      ids.map((id) => [id, this.store.memberships.filter((m) => m.organisationId === id).length]),
    );
  }
  async insert(fields: Partial<OrganisationFields> & { name: string }): Promise<Organisation> {
    const org = { ...this.store.organisation(fields.name), ...fields };
    this.store.organisations.splice(this.store.organisations.length - 1, 1, org);
    return org;
  }
  async lock(id: number): Promise<Organisation> {
    return { ...(await this.get(id)) };
  }
  async update(id: number, columns: Partial<OrganisationFields>): Promise<Organisation> {
    const i = this.store.organisations.findIndex((o) => o.id === id);
    this.store.organisations[i] = { ...this.store.organisations[i], ...columns };
    return { ...this.store.organisations[i] };
  }
  async environmentKeys(organisationId: number) {
    return this.store.environments
      .filter((e) => e.organisationId === organisationId)
      .map(({ id, apiKey }) => ({ id, apiKey }));
  }
  async environmentIds(organisationId: number) {
    return (await this.environmentKeys(organisationId)).map((e) => e.id);
  }
  async delete(id: number): Promise<void> {
    const i = this.store.organisations.findIndex((o) => o.id === id);
    if (i >= 0) this.store.organisations.splice(i, 1);
  }
}

export class FakeMembersRepository implements PublicOf<MembersRepository> {
  constructor(private readonly store: InMemoryOrganisations) {}
  async insert(organisationId: number, userId: number, role: OrganisationRole): Promise<void> {
    if (this.store.roleOf(organisationId, userId)) return;
    const user = this.store.users.find((u) => u.id === userId)!;
    this.store.member(organisationId, user, role);
  }
  async exists(organisationId: number, userId: number) {
    return this.store.roleOf(organisationId, userId) !== undefined;
  }
  async countMembers(organisationId: number, userIds: number[]) {
    return this.store.memberships.filter(
      (m) => m.organisationId === organisationId && userIds.includes(m.userId),
    ).length;
  }
  async list(organisationId: number) {
    return this.store.memberships.filter((m) => m.organisationId === organisationId);
  }
  async find(organisationId: number, userId: number) {
    const m = this.store.memberships.find((x) => x.organisationId === organisationId && x.userId === userId);
    return m ? { ...m } : null;
  }
  async updateRole(organisationId: number, userId: number, role: OrganisationRole) {
    const m = this.store.memberships.find((x) => x.organisationId === organisationId && x.userId === userId);
    if (m) m.role = role;
    return !!m;
  }
  async removeFromOrganisation(organisationId: number, userIds: number[]): Promise<void> {
    const keep = this.store.memberships.filter(
      (m) => !(m.organisationId === organisationId && userIds.includes(m.userId)),
    );
    this.store.memberships.splice(0, this.store.memberships.length, ...keep);
  }
}

export class FakeGroupsRepository implements PublicOf<GroupsRepository> {
  constructor(private readonly store: InMemoryOrganisations) {}
  async list(organisationId: number, memberId?: number) {
    return this.store.groups.filter(
      (g) =>
        g.organisationId === organisationId &&
        (memberId === undefined || this.store.groupMemberIds(g.id).includes(memberId)),
    );
  }
  async find(organisationId: number, id: number) {
    return this.store.groups.find((g) => g.id === id && g.organisationId === organisationId) ?? null;
  }
  async findMany(organisationId: number, ids: number[]) {
    return this.store.groups.filter((g) => ids.includes(g.id) && g.organisationId === organisationId);
  }
  async defaults(organisationId: number) {
    return this.store.groups.filter((g) => g.organisationId === organisationId && g.isDefault);
  }
  async members(groupIds: number[]) {
    return this.store.groupMembers.filter((m) => groupIds.includes(m.groupId));
  }
  async save(group: UserGroup) {
    if (!group.id) {
      group.id = this.store.id();
      this.store.groups.push(group);
    }
    return group;
  }
  build(organisationId: number): UserGroup {
    return { organisationId, isDefault: false, externalId: null } as UserGroup;
  }
  async delete(id: number) {
    const i = this.store.groups.findIndex((g) => g.id === id);
    if (i >= 0) this.store.groups.splice(i, 1);
  }
  async addMember(groupId: number, userId: number) {
    if (this.store.groupMemberIds(groupId).includes(userId)) return;
    this.store.groupMembers.push({
      id: this.store.id(),
      groupId,
      userId,
      groupAdmin: false,
    } as UserGroupMember);
  }
  async removeMembers(groupId: number, userIds: number[]) {
    const keep = this.store.groupMembers.filter(
      (m) => !(m.groupId === groupId && userIds.includes(m.userId)),
    );
    this.store.groupMembers.splice(0, this.store.groupMembers.length, ...keep);
  }
  async setAdmin(groupId: number, userId: number, admin: boolean) {
    const m = this.store.groupMembers.find((x) => x.groupId === groupId && x.userId === userId);
    if (m) m.groupAdmin = admin;
    return !!m;
  }
  async isAdmin(groupId: number, userId: number) {
    return this.store.groupMembers.some((m) => m.groupId === groupId && m.userId === userId && m.groupAdmin);
  }
}

export class FakeInvitesRepository implements PublicOf<InvitesRepository> {
  constructor(private readonly store: InMemoryOrganisations) {}
  async list(organisationId: number) {
    return this.store.invites.filter((i) => i.organisationId === organisationId);
  }
  async find(organisationId: number, id: number) {
    return this.store.invites.find((i) => i.id === id && i.organisationId === organisationId) ?? null;
  }
  async findByHash(hash: string) {
    return this.store.invites.find((i) => i.hash === hash) ?? null;
  }
  async existsForEmail(organisationId: number, email: string) {
    return this.store.invites.some(
      (i) => i.organisationId === organisationId && i.email.toLowerCase() === email.toLowerCase(),
    );
  }
  async insert(invite: NewInvite): Promise<Invite> {
    const saved = { id: this.store.id(), invitedBy: null, ...invite } as Invite;
    this.store.invites.push(saved);
    return saved;
  }
  async delete(id: number) {
    const i = this.store.invites.findIndex((x) => x.id === id);
    if (i >= 0) this.store.invites.splice(i, 1);
  }
  async inviter(userId: number) {
    return this.store.users.find((u) => u.id === userId) ?? null;
  }
  async links(organisationId: number) {
    return this.store.links.filter((l) => l.organisationId === organisationId);
  }
  async linkByHash(hash: string) {
    return this.store.links.find((l) => l.hash === hash) ?? null;
  }
  async insertLink(link: NewInviteLink): Promise<InviteLink> {
    const saved = { id: this.store.id(), ...link } as InviteLink;
    this.store.links.push(saved);
    return saved;
  }
  async deleteLink(organisationId: number, id: number) {
    const i = this.store.links.findIndex((l) => l.id === id && l.organisationId === organisationId);
    if (i >= 0) this.store.links.splice(i, 1);
    return i >= 0;
  }
}

export class FakeMasterApiKeysRepository implements PublicOf<MasterApiKeysRepository> {
  constructor(private readonly store: InMemoryOrganisations) {}
  async insert(
    key: Pick<MasterApiKey, 'organisationId' | 'name' | 'expiryDate' | 'isAdmin' | 'prefix' | 'hashedKey'>,
  ) {
    const saved = { id: this.store.id(), revoked: false, ...key } as MasterApiKey;
    this.store.keys.push(saved);
    return saved;
  }
  async live(organisationId: number) {
    return this.store.keys.filter((k) => k.organisationId === organisationId && !k.revoked);
  }
  async findLive(organisationId: number, prefix: string) {
    return (
      this.store.keys.find((k) => k.organisationId === organisationId && k.prefix === prefix && !k.revoked) ??
      null
    );
  }
  async get(id: number) {
    return { ...this.store.keys.find((k) => k.id === id)! };
  }
  async updateLive(id: number, changes: MasterApiKeyChanges) {
    const key = this.store.keys.find((k) => k.id === id && !k.revoked);
    if (key) Object.assign(key, changes);
    return !!key;
  }
  async revoke(id: number) {
    const key = this.store.keys.find((k) => k.id === id);
    if (key) key.revoked = true;
  }
}

/** The organisations services wired to in-memory repositories, with the emails they sent and what each write recorded. */
export function inMemoryOrganisationServices(
  config: { RESTRICT_ORG_CREATE_TO_SUPERUSERS?: boolean; DEFAULT_ORG_STORE_TRAITS_VALUE?: boolean } = {},
) {
  const store = new InMemoryOrganisations();
  const uow = new FakeUnitOfWork();
  const organisationsRepo = asReal<OrganisationsRepository>(new FakeOrganisationsRepository(store));
  const membersRepo = asReal<MembersRepository>(new FakeMembersRepository(store));
  const groupsRepo = asReal<GroupsRepository>(new FakeGroupsRepository(store));
  const invitesRepo = asReal<InvitesRepository>(new FakeInvitesRepository(store));
  const keysRepo = asReal<MasterApiKeysRepository>(new FakeMasterApiKeysRepository(store));
  const emails: { to: string; subject: string; text: string }[] = [];
  const members = new MembersService(membersRepo, groupsRepo, uow.asUnitOfWork());
  return {
    store,
    uow,
    emails,
    /** The audit lines of every committed write, in order. */
    audit: () => uow.committed.flatMap((r) => r.auditEntries.map((e) => e.log)),
    /** The environments every committed write announced as changed, in order. */
    changedEnvironments: () => uow.committed.flatMap((r) => [...r.environmentIds]),
    members,
    groups: new GroupsService(groupsRepo, membersRepo, uow.asUnitOfWork()),
    invites: new InvitesService(
      invitesRepo,
      groupsRepo,
      organisationsRepo,
      members,
      uow.asUnitOfWork(),
      { send: async (m) => void emails.push({ to: m.to, subject: m.subject, text: m.text }) },
      { link: async (path) => `https://flags.example/${path}` },
    ),
    keys: new MasterApiKeysService(keysRepo, uow.asUnitOfWork()),
    organisations: new OrganisationsService(organisationsRepo, members, uow.asUnitOfWork(), {
      RESTRICT_ORG_CREATE_TO_SUPERUSERS: config.RESTRICT_ORG_CREATE_TO_SUPERUSERS ?? false,
      DEFAULT_ORG_STORE_TRAITS_VALUE: config.DEFAULT_ORG_STORE_TRAITS_VALUE ?? true,
    }),
  };
}
