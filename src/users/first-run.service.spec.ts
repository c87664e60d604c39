import type { EntityManager } from 'typeorm';
import { FakeUnitOfWork } from '../common/unit-of-work.fake';
import type { AppConfig } from '../config';
import { Organisation } from '../organisations/organisation.entity';
import { Project } from '../projects/project.entity';
import type { FirstRunRepository } from './first-run.repository';
import { FieldProblems, FirstRunService, UsersAlreadyExist } from './first-run.service';
import { User } from './user.entity';

/** FirstRunRepository in memory. */
class InMemoryFirstRun {
  users: User[] = [];
  organisations: Organisation[] = [];
  projects: Project[] = [];
  admins: { organisationId: number; userId: number }[] = [];
  site: { name: string; domain: string } | undefined;
  locks = 0;

  lockFirstRun() {
    this.locks++;
    return Promise.resolve();
  }
  hasUsers() {
    return Promise.resolve(this.users.length > 0);
  }
  userByEmail(_m: EntityManager, email: string) {
    return Promise.resolve(this.users.find((u) => u.email.toLowerCase() === email.toLowerCase()) ?? null);
  }
  insertUser(_m: EntityManager, fields: Partial<User>) {
    const user = Object.assign(new User(), fields, { id: this.users.length + 1 });
    this.users.push(user);
    return Promise.resolve(user);
  }
  saveSite(_m: EntityManager, name: string, domain: string) {
    this.site = { name, domain };
    return Promise.resolve();
  }
  siteDomain() {
    return Promise.resolve(this.site?.domain);
  }
  hasOrganisations() {
    return Promise.resolve(this.organisations.length > 0);
  }
  insertOrganisation(_m: EntityManager, name: string) {
    const org = Object.assign(new Organisation(), {
      id: this.organisations.length + 1,
      name,
      uuid: 'o-uuid',
    });
    this.organisations.push(org);
    return Promise.resolve(org);
  }
  addAdmin(_m: EntityManager, organisationId: number, userId: number) {
    this.admins.push({ organisationId, userId });
    return Promise.resolve();
  }
  hasProjects() {
    return Promise.resolve(this.projects.length > 0);
  }
  firstOrganisationNamed(_m: EntityManager, name: string) {
    return Promise.resolve(this.organisations.find((o) => o.name === name) ?? null);
  }
  insertProject(_m: EntityManager, name: string, organisationId: number) {
    const project = Object.assign(new Project(), { id: 1, name, organisationId, uuid: 'p-uuid' });
    this.projects.push(project);
    return Promise.resolve(project);
  }
}

const CONFIG = {
  secretKey: 's'.repeat(50),
  ADMIN_EMAIL: 'admin@example.com',
  ORGANISATION_NAME: 'Default Organisation',
  PROJECT_NAME: 'Default Project',
  ALLOW_ADMIN_INITIATION_VIA_CLI: true,
  DEFAULT_ORG_STORE_TRAITS_VALUE: true,
  FLAGSMITH_DOMAIN: undefined,
};

function setup() {
  const repository = new InMemoryFirstRun();
  const uow = new FakeUnitOfWork();
  const service = new FirstRunService(
    repository as unknown as FirstRunRepository,
    uow.asUnitOfWork(),
    CONFIG as unknown as AppConfig,
  );
  return { repository, uow, service };
}

describe('FirstRunService', () => {
  it('first-run form with no users → site saved, superuser created under the lock, nothing audited', async () => {
    const { service, repository, uow } = setup();
    const { user, passwordResetUrl } = await service.initConfiguration({
      email: 'root@example.com',
      siteName: ' Flags ',
      siteDomain: 'flags.example.com',
    });
    expect(repository.site).toEqual({ name: 'Flags', domain: 'flags.example.com' });
    expect(user).toMatchObject({ email: 'root@example.com', isSuperuser: true, isStaff: true });
    expect(passwordResetUrl).toMatch(/^https:\/\/flags\.example\.com\/password-reset\/confirm\//);
    expect(repository.locks).toBe(1);
    expect(uow.committed[0].auditEntries).toEqual([]);
  });

  it('first-run form once a user exists → UsersAlreadyExist, site untouched', async () => {
    const { service, repository } = setup();
    repository.users.push(Object.assign(new User(), { id: 9, email: 'x@example.com' }));
    await expect(
      service.initConfiguration({ email: 'root@example.com', siteName: 'F', siteDomain: 'f.example.com' }),
    ).rejects.toBeInstanceOf(UsersAlreadyExist);
    expect(repository.site).toBeUndefined();
  });

  it('first-run form with a bad email and a blank site name → both field problems, nothing written', async () => {
    const { service, uow } = setup();
    const err = await service
      .initConfiguration({ email: 'nope', siteName: ' ', siteDomain: 'f.example.com' })
      .catch((e: unknown) => e);
    expect((err as FieldProblems).errors).toEqual({
      email: ['Enter a valid email address.'],
      site_name: ['Ensure this field has 1 to 50 characters.'],
    });
    expect(uow.committed).toHaveLength(0);
  });

  it('createsuperuser of a taken email (other case) → email problem', async () => {
    const { service, repository } = setup();
    repository.users.push(Object.assign(new User(), { id: 1, email: 'Root@Example.com' }));
    await expect(service.createSuperuser({ email: 'root@example.com' })).rejects.toEqual(
      new FieldProblems({ email: ['A user with this email already exists.'] }),
    );
  });

  it('bootstrap on an empty install → superuser, organisation with them as ADMIN, project; both audited as system events', async () => {
    const { service, repository, uow } = setup();
    const { lines } = await service.bootstrap({});
    expect(lines.slice(0, 3)).toEqual([
      'created superuser admin@example.com',
      'created organisation "Default Organisation" with admin@example.com as ADMIN',
      'created project "Default Project" in "Default Organisation"',
    ]);
    expect(repository.admins).toEqual([{ organisationId: 1, userId: 1 }]);
    expect(uow.committed[0].auditEntries.map((e) => [e.log, e.isSystemEvent])).toEqual([
      ['New Organisation created: Default Organisation', true],
      ['New Project created: Default Project', true],
    ]);
  });

  it('bootstrap when everything exists → three skips and no audit record', async () => {
    const { service, repository, uow } = setup();
    await service.bootstrap({});
    const again = await service.bootstrap({});
    expect(again.lines).toEqual([
      'superuser: skipped (users exist)',
      'organisation: skipped (organisations exist)',
      'project: skipped (projects exist)',
    ]);
    expect(uow.committed[1].auditEntries).toEqual([]);
    expect(repository.organisations).toHaveLength(1);
  });
});
