import { FakeUnitOfWork } from '../common/unit-of-work.fake';
import { NotAuthenticated } from '../common/domain-errors';
import { E2E_USERS } from './e2e-seed';
import { E2eTestsService } from './e2e-tests.service';

/** The e2e repository over arrays: enough to see what a teardown deletes and seeds. */
class MemoryE2eRepository {
  users: { id: number; email: string; password: string }[] = [];
  memberships: { organisationId: number; userId: number; role: string }[] = [];
  organisations: { id: number; name: string }[] = [];
  projects: { id: number; organisationId: number; name: string }[] = [];
  environments: { id: number; projectId: number; name: string; apiKey: string }[] = [];
  grants: { level: string; on: number; userId: number; permissions: string[] }[] = [];
  identities: { environmentId: number; identifier: string }[] = [];
  groups: { organisationId: number; name: string }[] = [];
  private next = 1;

  async userIds(_m: unknown, emails: readonly string[]) {
    return this.users.filter((u) => emails.includes(u.email)).map((u) => u.id);
  }
  async organisationsOf(_m: unknown, userIds: readonly number[]) {
    const organisationIds = [
      ...new Set(this.memberships.filter((m) => userIds.includes(m.userId)).map((m) => m.organisationId)),
    ];
    const projectIds = this.projects
      .filter((p) => organisationIds.includes(p.organisationId))
      .map((p) => p.id);
    const environments = this.environments
      .filter((e) => projectIds.includes(e.projectId))
      .map((e) => ({ id: e.id, apiKey: e.apiKey }));
    return { organisationIds, environments };
  }
  async deleteAll(_m: unknown, organisationIds: readonly number[], userIds: readonly number[]) {
    const projectIds = this.projects
      .filter((p) => organisationIds.includes(p.organisationId))
      .map((p) => p.id);
    this.organisations = this.organisations.filter((o) => !organisationIds.includes(o.id));
    this.projects = this.projects.filter((p) => !projectIds.includes(p.id));
    this.environments = this.environments.filter((e) => !projectIds.includes(e.projectId));
    this.memberships = this.memberships.filter(
      (m) => !organisationIds.includes(m.organisationId) && !userIds.includes(m.userId),
    );
    this.users = this.users.filter((u) => !userIds.includes(u.id));
  }
  async insertUser(_m: unknown, email: string, password: string) {
    const id = this.next++;
    this.users.push({ id, email, password });
    return id;
  }
  async insertOrganisation(_m: unknown, name: string) {
    const id = this.next++;
    this.organisations.push({ id, name });
    return id;
  }
  async addMember(_m: unknown, organisationId: number, userId: number, role: string) {
    this.memberships.push({ organisationId, userId, role });
  }
  async grantOrganisation(_m: unknown, on: number, userId: number, permissions: string[]) {
    this.grants.push({ level: 'organisation', on, userId, permissions });
  }
  async insertGroup(_m: unknown, organisationId: number, name: string) {
    this.groups.push({ organisationId, name });
  }
  async insertProject(_m: unknown, organisationId: number, name: string) {
    const id = this.next++;
    this.projects.push({ id, organisationId, name });
    return id;
  }
  async grantProject(_m: unknown, on: number, userId: number, permissions: string[]) {
    this.grants.push({ level: 'project', on, userId, permissions });
  }
  async insertEnvironment(_m: unknown, projectId: number, name: string) {
    const id = this.next++;
    this.environments.push({ id, projectId, name, apiKey: `key-${id}` });
    return id;
  }
  async grantEnvironment(_m: unknown, on: number, userId: number, permissions: string[]) {
    this.grants.push({ level: 'environment', on, userId, permissions });
  }
  async insertIdentity(_m: unknown, environmentId: number, identifier: string) {
    this.identities.push({ environmentId, identifier });
  }
}

function setup(token: string | undefined = 'secret') {
  const repository = new MemoryE2eRepository();
  const uow = new FakeUnitOfWork();
  const service = new E2eTestsService(repository, uow.asUnitOfWork(), {
    E2E_TEST_AUTH_TOKEN: token,
    DEFAULT_ORG_STORE_TRAITS_VALUE: true,
  });
  return { repository, uow, service };
}

describe('E2eTestsService', () => {
  it('authorise with the configured token passes; another token, none, or no token configured is NotAuthenticated', () => {
    expect(() => setup().service.authorise('secret')).not.toThrow();
    expect(() => setup().service.authorise('secreT')).toThrow(NotAuthenticated);
    expect(() => setup().service.authorise(undefined)).toThrow(NotAuthenticated);
    expect(() => setup(undefined).service.authorise('')).toThrow(NotAuthenticated);
  });

  it('teardown seeds 7 users, 3 organisations, 7 projects, 8 environments and 6 identities', async () => {
    const { service, repository } = setup();
    expect(await service.teardown()).toEqual({
      users: 7,
      organisations: 3,
      projects: 7,
      environments: 8,
      identities: 6,
    });
    expect(repository.identities.map((i) => i.identifier)).toEqual(Array(6).fill('test-identity'));
    expect(repository.groups).toEqual([
      { organisationId: repository.organisations[0].id, name: 'TestGroup' },
    ]);
    const admin = repository.users.find((u) => u.email === E2E_USERS.admin);
    expect(repository.memberships.filter((m) => m.userId === admin?.id)).toEqual([
      { organisationId: repository.organisations[0].id, userId: admin?.id, role: 'ADMIN' },
    ]);
    expect(repository.users.every((u) => u.password.startsWith('scrypt$'))).toBe(true);
  });

  it('teardown deletes the e2e users and every organisation they belong to, announcing its environments; others stay', async () => {
    const { service, repository, uow } = setup();
    await service.teardown();
    const bystander = await repository.insertUser(null, 'someone@example.com', 'x');
    const theirOrg = await repository.insertOrganisation(null, 'Theirs');
    await repository.addMember(null, theirOrg, bystander, 'ADMIN');
    const firstEnvironments = repository.environments.map((e) => e.id);

    await service.teardown();
    expect(repository.organisations.map((o) => o.name)).toEqual([
      'Theirs',
      'Bullet Train Ltd',
      'E2E Separate Org',
      'E2E Billing Org',
    ]);
    expect(repository.users.filter((u) => u.email === E2E_USERS.admin)).toHaveLength(1);
    expect(repository.users.map((u) => u.email)).toContain('someone@example.com');
    const second = uow.committed[1];
    expect([...second.deletedEnvironments.keys()]).toEqual(firstEnvironments);
    expect([...second.environmentIds]).toEqual(repository.environments.map((e) => e.id));
    expect(second.auditEntries).toEqual([]);
  });
});
