import type { Principal } from '../auth/principal';
import { NotFound, PermissionDenied } from '../common/domain-errors';
import { Environment } from '../environments/environment.entity';
import { Organisation, OrganisationRole } from '../organisations/organisation.entity';
import { Project } from '../projects/project.entity';
import type { GrantedRow, PermissionsRepository, ProjectFilter } from './permissions.repository';
import { PermissionsService } from './permissions.service';

type Level = 'organisation' | 'project' | 'environment';

const matches = (row: { id: number; uuid: string }, ref: number | { uuid: string }) =>
  typeof ref === 'number' ? row.id === ref : row.uuid === ref.uuid;

/** PermissionsRepository in memory: memberships and grant rows, already resolved to the user (groups included). */
class InMemoryPermissions {
  readonly roles = new Map<string, OrganisationRole>(); // `${userId}:${organisationId}`
  readonly grants: { level: Level; scopeId: number; userId: number; row: GrantedRow }[] = [];
  readonly organisations = [
    Object.assign(new Organisation(), { id: 1 }),
    Object.assign(new Organisation(), { id: 2 }),
  ];
  readonly projectRows = [
    Object.assign(new Project(), { id: 10, organisationId: 1 }),
    Object.assign(new Project(), { id: 20, organisationId: 2 }),
  ];
  readonly environments = [
    Object.assign(new Environment(), {
      id: 100,
      apiKey: 'env-a',
      projectId: 10,
      project: this.projectRows[0],
    }),
    Object.assign(new Environment(), {
      id: 101,
      apiKey: 'env-b',
      projectId: 10,
      project: this.projectRows[0],
    }),
  ];

  grant(level: Level, scopeId: number, userId: number, permissions: string[], admin = false) {
    this.grants.push({ level, scopeId, userId, row: { admin, permissions } });
  }
  private rows(level: Level, scopeIds: readonly number[], userId: number) {
    return this.grants.filter(
      (g) => g.level === level && scopeIds.includes(g.scopeId) && g.userId === userId,
    );
  }
  membershipRole(userId: number, organisationId: number) {
    return Promise.resolve(this.roles.get(`${userId}:${organisationId}`) ?? null);
  }
  organisationGrantRows(organisationId: number, userId: number) {
    return Promise.resolve(this.rows('organisation', [organisationId], userId).map((g) => g.row));
  }
  projectGrantRows(projectId: number, userId: number) {
    return Promise.resolve(this.rows('project', [projectId], userId).map((g) => g.row));
  }
  environmentGrantRows(environmentIds: readonly number[], userId: number) {
    return Promise.resolve(
      this.rows('environment', environmentIds, userId).map((g) => ({ ...g.row, environment_id: g.scopeId })),
    );
  }
  organisation(ref: number | { uuid: string }) {
    return Promise.resolve(this.organisations.find((o) => matches(o, ref)) ?? null);
  }
  project(ref: number | { uuid: string }) {
    return Promise.resolve(this.projectRows.find((p) => matches(p, ref)) ?? null);
  }
  environment(where: { id: number } | { apiKey: string } | { uuid: string }) {
    const found = this.environments.find((e) =>
      'id' in where ? e.id === where.id : 'uuid' in where ? e.uuid === where.uuid : e.apiKey === where.apiKey,
    );
    return Promise.resolve(found ?? null);
  }
  projectEnvironments(projectId: number) {
    return Promise.resolve(this.environments.filter((e) => e.projectId === projectId));
  }
  projects(filter: ProjectFilter) {
    return Promise.resolve(
      this.projectRows.filter(
        (p) =>
          (filter.organisationId === undefined || p.organisationId === filter.organisationId) &&
          (filter.keyOrganisationId === undefined || p.organisationId === filter.keyOrganisationId),
      ),
    );
  }
}

const user = (id: number, isSuperuser = false) => ({ kind: 'user', user: { id, isSuperuser } }) as Principal;
const masterKey = (organisationId: number, isAdmin: boolean) =>
  ({ kind: 'master_key', key: { id: 9, organisationId, isAdmin } }) as Principal;

function setup() {
  const repository = new InMemoryPermissions();
  repository.roles.set('7:1', 'USER');
  repository.roles.set('8:1', 'ADMIN');
  return { repository, service: new PermissionsService(repository as unknown as PermissionsRepository) };
}

describe('PermissionsService', () => {
  it('a project outside the caller’s organisations, or no such project, is not found rather than forbidden', async () => {
    const { service } = setup();
    await expect(service.requireProject(user(7), 20, 'VIEW_PROJECT')).rejects.toBeInstanceOf(NotFound);
    await expect(service.requireProject(user(7), 999, 'MEMBER')).rejects.toBeInstanceOf(NotFound);
    await expect(service.requireProject(user(7), 'abc', 'MEMBER')).rejects.toBeInstanceOf(NotFound);
  });

  it('a member without the key is refused with 403; the key from any of their grants lets them in', async () => {
    const { repository, service } = setup();
    await expect(service.requireProject(user(7), 10, 'EDIT_FEATURE')).rejects.toBeInstanceOf(
      PermissionDenied,
    );
    repository.grant('project', 10, 7, ['VIEW_PROJECT']);
    repository.grant('project', 10, 7, ['EDIT_FEATURE']); // e.g. through a group
    await expect(service.requireProject(user(7), 10, 'EDIT_FEATURE')).resolves.toMatchObject({ id: 10 });
    await expect(service.requireProject(user(7), 10, 'ADMIN')).rejects.toBeInstanceOf(PermissionDenied);
  });

  it('by uuid: a hyphen-less uuid finds the object, anything not a uuid is not found', async () => {
    const { repository, service } = setup();
    const [org, project, env] = [
      repository.organisations[0],
      repository.projectRows[0],
      repository.environments[0],
    ];
    const bare = (uuid: string) => uuid.replace(/-/g, '');
    await expect(service.requireOrganisation(user(7), bare(org.uuid), 'MEMBER', 'uuid')).resolves.toBe(org);
    await expect(service.requireProject(user(8), project.uuid, 'ADMIN', 'uuid')).resolves.toBe(project);
    await expect(service.requireEnvironment(user(8), env.uuid, 'ADMIN', 'uuid')).resolves.toBe(env);
    for (const ref of [org.uuid.toUpperCase(), '10', 10, 'not-a-uuid'])
      await expect(service.requireOrganisation(user(7), ref, 'MEMBER', 'uuid')).rejects.toBeInstanceOf(
        NotFound,
      );
    // An id is not a uuid, nor a uuid an id.
    await expect(service.requireProject(user(8), 10, 'MEMBER', 'uuid')).rejects.toBeInstanceOf(NotFound);
    await expect(service.requireProject(user(8), project.uuid, 'MEMBER')).rejects.toBeInstanceOf(NotFound);
  });

  it('requireProjectHidden answers 404 where requireProject answers 403, and passes the same callers', async () => {
    const { repository, service } = setup();
    await expect(service.requireProjectHidden(user(7), 10, 'VIEW_PROJECT')).rejects.toBeInstanceOf(NotFound);
    await expect(service.requireProjectHidden(user(7), 20, 'VIEW_PROJECT')).rejects.toBeInstanceOf(NotFound);
    repository.grant('project', 10, 7, ['VIEW_PROJECT']);
    await expect(service.requireProjectHidden(user(7), 10, 'VIEW_PROJECT')).resolves.toMatchObject({
      id: 10,
    });
    await expect(
      service.requireProjectHidden(masterKey(1, false), 10, 'VIEW_PROJECT'),
    ).rejects.toBeInstanceOf(NotFound);
  });

  it('a project admin is admin of every environment of the project; organisation ADMINs and superusers of all', async () => {
    const { repository, service } = setup();
    repository.grant('project', 10, 7, [], true);
    await expect(service.requireEnvironment(user(7), 'env-b', 'ADMIN')).resolves.toMatchObject({ id: 101 });
    await expect(
      service.requireEnvironment(user(8), 100, 'UPDATE_FEATURE_STATE', 'id'),
    ).resolves.toMatchObject({
      id: 100,
    });
    expect(await service.projectGrant(user(1, true), { id: 20, organisationId: 2 })).toMatchObject({
      admin: true,
    });
  });

  it('environment grants count per environment, never for a sibling', async () => {
    const { repository, service } = setup();
    repository.grant('environment', 101, 7, ['VIEW_ENVIRONMENT']);
    const visible = await service.permittedEnvironments(
      user(7),
      repository.projectRows[0],
      'VIEW_ENVIRONMENT',
    );
    expect(visible.map((e) => e.id)).toEqual([101]);
    await expect(service.requireEnvironment(user(7), 'env-a', 'VIEW_ENVIRONMENT')).rejects.toBeInstanceOf(
      PermissionDenied,
    );
  });

  it('a master key acts only in its own organisation, as ADMIN or USER as the key says', async () => {
    const { service } = setup();
    expect(await service.organisationRole(masterKey(1, false), 1)).toBe('USER');
    expect(await service.organisationRole(masterKey(1, true), 2)).toBeNull();
    await expect(service.requireOrganisation(masterKey(1, false), 1, 'ADMIN')).rejects.toBeInstanceOf(
      PermissionDenied,
    );
    expect(await service.permittedProjects(masterKey(1, false), 'VIEW_PROJECT')).toEqual([]);
    expect((await service.permittedProjects(masterKey(1, true), 'VIEW_PROJECT')).map((p) => p.id)).toEqual([
      10,
    ]);
  });
});
