import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { PermissionDenied, ValidationFailed } from '../common/domain-errors';
import { FakeUnitOfWork } from '../common/unit-of-work.fake';
import type { Organisation } from '../organisations/organisation.entity';
import type { Grant, PermissionsService } from '../permissions/permissions.service';
import type { User } from '../users/user.entity';
import { Project } from './project.entity';
import type { ProjectColumns, ProjectsRepository } from './projects.repository';
import { ProjectsService } from './projects.service';

/** ProjectsRepository in memory: rows by id, grants and locks recorded. */
class InMemoryProjects {
  readonly rows = new Map<number, Project>();
  readonly grants: { projectId: number; userId: number }[] = [];
  readonly locked: number[] = [];
  environments: { id: number; apiKey: string }[] = [];
  readonly totalsByProject = new Map<number, { features: number; segments: number }>();
  private nextId = 1;

  totals(projectId: number) {
    return Promise.resolve(this.totalsByProject.get(projectId) ?? { features: 0, segments: 0 });
  }

  insert(_m: EntityManager, fields: ProjectColumns & { name: string; organisationId: number }) {
    const p = Object.assign(new Project(), {
      hideDisabledFlags: false,
      preventFlagDefaults: false,
      enableRealtimeUpdates: false,
      onlyAllowLowerCaseFeatureNames: true,
      featureNameRegex: null,
      staleFlagsLimitDays: 30,
      minimumChangeRequestApprovals: null,
      enforceFeatureOwners: false,
      showEdgeIdentityOverridesForFeature: false,
      maxSegmentsAllowed: 100,
      maxFeaturesAllowed: 400,
      maxSegmentOverridesAllowed: 100,
      createdDate: new Date('2024-01-01T00:00:00Z'),
      ...fields,
      id: this.nextId++,
    });
    this.rows.set(p.id, p);
    return Promise.resolve(Object.assign(new Project(), p));
  }
  lock(_m: EntityManager, id: number) {
    this.locked.push(id);
    const row = this.rows.get(id);
    return Promise.resolve(row ? Object.assign(new Project(), row) : null);
  }
  update(_m: EntityManager, id: number, columns: ProjectColumns) {
    const row = Object.assign(this.rows.get(id)!, columns);
    return Promise.resolve(Object.assign(new Project(), row));
  }
  delete(_m: EntityManager, id: number) {
    this.rows.delete(id);
    return Promise.resolve();
  }
  environmentKeys() {
    return Promise.resolve(this.environments);
  }
  grantProjectAdmin(_m: EntityManager, projectId: number, userId: number) {
    this.grants.push({ projectId, userId });
    return Promise.resolve();
  }
}

const user = { kind: 'user', user: { id: 7 } as User, tokenKey: 'k' } as Principal;
const organisation = { id: 3, restrictProjectCreateToAdmin: false } as Organisation;

function setup(grant: Grant | null, org: Organisation = organisation) {
  const projects = new InMemoryProjects();
  const uow = new FakeUnitOfWork();
  const permissions = {
    requireOrganisation: () => Promise.resolve(org),
    organisationGrant: () => Promise.resolve(grant),
  } as unknown as PermissionsService;
  const service = new ProjectsService(
    projects as unknown as ProjectsRepository,
    uow.asUnitOfWork(),
    permissions,
  );
  return { projects, uow, service };
}
const member = (...permissions: string[]): Grant => ({ admin: false, permissions: new Set(permissions) });

describe('ProjectsService', () => {
  it('detail is the project with its feature and segment totals', async () => {
    const { projects, service } = setup(member('CREATE_PROJECT'));
    const created = await service.create(user, { name: 'Counted', organisation: 3 });
    projects.totalsByProject.set(created.id, { features: 4, segments: 2 });
    expect(await service.detail(created)).toMatchObject({
      id: created.id,
      name: 'Counted',
      total_features: 4,
      total_segments: 2,
    });
  });

  it('create by a member with CREATE_PROJECT stores the project, makes them its admin and audits it', async () => {
    const { projects, uow, service } = setup(member('CREATE_PROJECT'));
    const created = await service.create(user, { name: 'Web', organisation: 3, hide_disabled_flags: true });
    expect(projects.rows.get(created.id)).toMatchObject({
      name: 'Web',
      organisationId: 3,
      hideDisabledFlags: true,
    });
    expect(projects.grants).toEqual([{ projectId: created.id, userId: 7 }]);
    expect(uow.committed).toHaveLength(1);
    expect(uow.committed[0].auditEntries.map((e) => e.log)).toEqual(['New Project created: Web']);
    expect(uow.committed[0].projectIds.size).toBe(0);
  });

  it('create is refused when the organisation restricts project creation to admins', async () => {
    const { projects, uow, service } = setup(member('CREATE_PROJECT'), {
      ...organisation,
      restrictProjectCreateToAdmin: true,
    });
    await expect(service.create(user, { name: 'Web', organisation: 3 })).rejects.toBeInstanceOf(
      PermissionDenied,
    );
    expect(projects.rows.size).toBe(0);
    expect(uow.committed).toEqual([]);
  });

  it('update writes only the fields sent, on the locked row, with before taken from that row', async () => {
    const { projects, uow, service } = setup(member('CREATE_PROJECT'));
    const stale = await service.create(user, { name: 'Web', organisation: 3 });
    // Another writer changed a setting after the guard loaded `stale`.
    projects.rows.get(stale.id)!.hideDisabledFlags = true;
    const saved = await service.update(user, stale, { stale_flags_limit_days: 5 });
    expect(saved).toMatchObject({ hideDisabledFlags: true, staleFlagsLimitDays: 5, name: 'Web' });
    expect(projects.locked).toEqual([stale.id]);
    const audit = uow.committed[1].auditEntries[0];
    expect(audit.before).toMatchObject({ hide_disabled_flags: true, stale_flags_limit_days: 30 });
    expect(audit.after).toMatchObject({ hide_disabled_flags: true, stale_flags_limit_days: 5 });
    expect([...uow.committed[1].projectIds]).toEqual([stale.id]);
  });

  it('update naming another organisation is refused with a field error and writes nothing', async () => {
    const { uow, service } = setup(member('CREATE_PROJECT'));
    const project = await service.create(user, { name: 'Web', organisation: 3 });
    const attempt = service.update(user, project, { organisation: 4 });
    await expect(attempt).rejects.toEqual(
      ValidationFailed.field('organisation', 'Projects cannot be moved to another organisation.'),
    );
    await expect(service.update(user, project, { organisation: '3', name: 'Shop' })).resolves.toMatchObject({
      name: 'Shop',
    });
    expect(uow.committed).toHaveLength(2);
  });

  it('remove announces the deleted environments and audits the deletion', async () => {
    const { projects, uow, service } = setup(member('CREATE_PROJECT'));
    const project = await service.create(user, { name: 'Web', organisation: 3 });
    projects.environments = [{ id: 11, apiKey: 'key-11' }];
    await service.remove(user, project);
    expect(projects.rows.has(project.id)).toBe(false);
    expect([...uow.committed[1].deletedEnvironments]).toEqual([[11, 'key-11']]);
    expect(uow.committed[1].auditEntries.map((e) => e.log)).toEqual(['Project deleted: Web']);
  });
});

describe('FakeUnitOfWork (the unit of work rule)', () => {
  it('refuses a write that records no audit entry unless it says why', async () => {
    const uow = new FakeUnitOfWork();
    await expect(uow.run(() => Promise.resolve(1))).rejects.toThrow(/without tx\.audit/);
    await expect(uow.run(() => Promise.resolve(2), { unaudited: 'test' })).resolves.toBe(2);
    expect(uow.committed).toHaveLength(1);
  });
});
