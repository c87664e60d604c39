import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { NotFound, PermissionDenied, ValidationFailed } from '../common/domain-errors';
import { FakeUnitOfWork } from '../common/unit-of-work.fake';
import type { Feature } from '../features/feature.entity';
import type { FeatureStateValuesService } from '../features/feature-state-values.service';
import type { Grant, PermissionsService } from '../permissions/permissions.service';
import type { Project } from '../projects/project.entity';
import { FakeEntityMetadata } from '../entity-metadata/entity-metadata.fake';
import type { User } from '../users/user.entity';
import { Environment, EnvironmentApiKey } from './environment.entity';
import type { EnvironmentColumns, EnvironmentsRepository, ServerKeyColumns } from './environments.repository';
import { EnvironmentsService, ProjectParameterInvalid } from './environments.service';

const project = { id: 5, organisationId: 3, preventFlagDefaults: false } as Project;

/** EnvironmentsRepository in memory: rows by id, grants, locks and copies recorded. */
class InMemoryEnvironments {
  readonly rows = new Map<number, Environment>();
  readonly keys = new Map<number, EnvironmentApiKey>();
  readonly grants: { environmentId: number; userId: number }[] = [];
  readonly locked: number[] = [];
  readonly copies: { sourceId: number; targetId: number }[] = [];
  /** Features without a default state, per environment id (what featuresWithoutDefaultState answers). */
  missingDefaults = new Map<number, Feature[]>();
  private nextId = 1;

  insert(
    _m: EntityManager,
    fields: EnvironmentColumns & { name: string; projectId: number; apiKey: string },
  ) {
    const e = Object.assign(new Environment(), {
      description: null,
      minimumChangeRequestApprovals: null,
      allowClientTraits: true,
      bannerText: null,
      bannerColour: null,
      hideDisabledFlags: null,
      useMvV2Evaluation: true,
      useIdentityCompositeKeyForHashing: true,
      hideSensitiveData: false,
      useV2FeatureVersioning: false,
      useIdentityOverridesInLocalEval: true,
      isCreating: false,
      createdDate: new Date('2024-01-01T00:00:00Z'),
      updatedAt: new Date('2024-01-01T00:00:00Z'),
      ...fields,
      id: this.nextId++,
      project,
    });
    this.rows.set(e.id, e);
    return Promise.resolve(this.copy(e));
  }
  lock(_m: EntityManager, id: number) {
    this.locked.push(id);
    const row = this.rows.get(id);
    return Promise.resolve(row ? this.copy(row) : null);
  }
  update(_m: EntityManager, id: number, columns: EnvironmentColumns) {
    return Promise.resolve(this.copy(Object.assign(this.rows.get(id)!, columns)));
  }
  delete(_m: EntityManager, id: number) {
    this.rows.delete(id);
    return Promise.resolve();
  }
  grantEnvironmentAdmin(_m: EntityManager, environmentId: number, userId: number) {
    this.grants.push({ environmentId, userId });
    return Promise.resolve();
  }
  featuresWithoutDefaultState(_m: EntityManager, _projectId: number, environmentId: number) {
    return Promise.resolve(this.missingDefaults.get(environmentId) ?? []);
  }
  copyStates(_m: EntityManager, sourceId: number, targetId: number) {
    this.copies.push({ sourceId, targetId });
    return Promise.resolve(new Map([[100, 200]]));
  }
  serverKeys(environmentId: number) {
    return Promise.resolve([...this.keys.values()].filter((k) => k.environmentId === environmentId));
  }
  serverKey(environmentId: number, id: number) {
    const key = this.keys.get(id);
    return Promise.resolve(key && key.environmentId === environmentId ? key : null);
  }
  insertServerKey(
    _m: EntityManager,
    fields: Required<ServerKeyColumns> & { environmentId: number; key: string },
  ) {
    const key = Object.assign(new EnvironmentApiKey(), {
      ...fields,
      id: this.nextId++,
      createdAt: new Date(),
    });
    this.keys.set(key.id, key);
    return Promise.resolve(key);
  }
  updateServerKey(_m: EntityManager, environmentId: number, id: number, columns: ServerKeyColumns) {
    const key = this.keys.get(id);
    if (!key || key.environmentId !== environmentId) return Promise.resolve(null);
    return Promise.resolve(Object.assign(key, columns));
  }
  deleteServerKey(_m: EntityManager, environmentId: number, id: number) {
    const key = this.keys.get(id);
    if (!key || key.environmentId !== environmentId) return Promise.resolve(false);
    return Promise.resolve(this.keys.delete(id));
  }
  private copy(e: Environment): Environment {
    return Object.assign(new Environment(), e);
  }
}

const user = { kind: 'user', user: { id: 7 } as User, tokenKey: 'k' } as Principal;
const member = (...permissions: string[]): Grant => ({ admin: false, permissions: new Set(permissions) });
const ADMIN: Grant = { admin: true, permissions: new Set() };

/** A service over in-memory parts; `projectGrant` is the caller's grant on the project, `orgGrant` on its organisation. */
function setup(projectGrant: Grant | null = member('CREATE_ENVIRONMENT'), orgGrant: Grant = member()) {
  const environments = new InMemoryEnvironments();
  const uow = new FakeUnitOfWork();
  const required: unknown[] = [];
  const permissions = {
    requireProject: (_p: Principal, id: unknown) => {
      required.push(id);
      return Promise.resolve(project);
    },
    projectGrant: () => Promise.resolve(projectGrant),
    organisationGrant: () => Promise.resolve(orgGrant),
    permittedEnvironments: () => Promise.resolve([...environments.rows.values()]),
  } as unknown as PermissionsService;
  const defaultStates: { environmentId: number; features: string[] }[] = [];
  const mvCopies: Map<number, number>[] = [];
  const values = {
    createEnvironmentDefaultStates: (
      _m: EntityManager,
      _p: Project,
      environmentId: number,
      features: Feature[],
    ) => {
      defaultStates.push({ environmentId, features: features.map((f) => f.name) });
      return Promise.resolve([]);
    },
    copyMvValues: (_m: EntityManager, copies: Map<number, number>) => {
      mvCopies.push(copies);
      return Promise.resolve();
    },
  } as unknown as FeatureStateValuesService;
  const service = new EnvironmentsService(
    environments as unknown as EnvironmentsRepository,
    uow.asUnitOfWork(),
    permissions,
    values,
    new FakeEntityMetadata(),
  );
  return { environments, uow, service, required, defaultStates, mvCopies };
}

describe('EnvironmentsService', () => {
  it('create by a non-admin member stores the settings, adds default states, makes them admin and audits it', async () => {
    const { environments, uow, service, defaultStates } = setup();
    environments.missingDefaults.set(1, [{ name: 'banner' } as Feature]);
    const created = await service.create(user, {
      name: 'Staging',
      project: 5,
      banner_text: 'careful',
      hide_disabled_flags: null,
    });
    expect(environments.rows.get(created.id)).toMatchObject({
      name: 'Staging',
      projectId: 5,
      bannerText: 'careful',
      hideDisabledFlags: null,
    });
    expect(created.apiKey).toMatch(/^[2-9A-HJ-NP-Za-km-z]{22}$/);
    expect(defaultStates).toEqual([{ environmentId: created.id, features: ['banner'] }]);
    expect(environments.grants).toEqual([{ environmentId: created.id, userId: 7 }]);
    expect([...uow.committed[0].environmentIds]).toEqual([created.id]);
    expect(uow.committed[0].auditEntries.map((e) => e.log)).toEqual(['New Environment created: Staging']);
    expect(uow.committed[0].auditEntries[0].after).toMatchObject({ banner_text: 'careful', project: 5 });
  });

  it('create by an organisation admin grants nothing extra', async () => {
    const { environments, service } = setup(ADMIN, ADMIN);
    await service.create(user, { name: 'Prod', project: 5 });
    expect(environments.grants).toEqual([]);
  });

  it('update writes only the fields sent, on the locked row, with before taken from that row', async () => {
    const { environments, uow, service } = setup();
    const stale = await service.create(user, { name: 'Staging', project: 5 });
    // Another writer changed a setting after the guard loaded `stale`.
    environments.rows.get(stale.id)!.hideSensitiveData = true;
    const saved = await service.update(user, stale, { banner_colour: '#FF0000' });
    expect(saved).toMatchObject({ hideSensitiveData: true, bannerColour: '#FF0000', name: 'Staging' });
    expect(environments.locked).toEqual([stale.id]);
    const audit = uow.committed[1].auditEntries[0];
    expect(audit.log).toBe('Environment updated: Staging');
    expect(audit.before).toMatchObject({ hide_sensitive_data: true, banner_colour: null });
    expect(audit.after).toMatchObject({ hide_sensitive_data: true, banner_colour: '#FF0000' });
    expect([...uow.committed[1].environmentIds]).toEqual([stale.id]);
  });

  it('update naming another project (or null) is refused with a field error and writes nothing', async () => {
    const { uow, service } = setup();
    const environment = await service.create(user, { name: 'Staging', project: 5 });
    const refusal = ValidationFailed.field('project', 'Environments cannot be moved to another project.');
    await expect(service.update(user, environment, { project: 6 })).rejects.toEqual(refusal);
    await expect(service.update(user, environment, { project: null })).rejects.toEqual(refusal);
    await expect(service.update(user, environment, { project: 5, name: 'QA' })).resolves.toMatchObject({
      name: 'QA',
    });
    expect(uow.committed).toHaveLength(2);
  });

  it('update of an environment deleted meanwhile answers NotFound and commits nothing', async () => {
    const { environments, uow, service } = setup();
    const environment = await service.create(user, { name: 'Staging', project: 5 });
    environments.rows.delete(environment.id);
    await expect(service.update(user, environment, { name: 'QA' })).rejects.toBeInstanceOf(NotFound);
    expect(uow.committed).toHaveLength(1);
  });

  it('remove announces the deleted environment with its key and audits the deletion', async () => {
    const { environments, uow, service } = setup();
    const environment = await service.create(user, { name: 'Staging', project: 5 });
    await service.remove(user, environment);
    expect(environments.rows.has(environment.id)).toBe(false);
    expect([...uow.committed[1].deletedEnvironments]).toEqual([[environment.id, environment.apiKey]]);
    expect(uow.committed[1].auditEntries.map((e) => e.log)).toEqual(['Environment deleted: Staging']);
  });

  it('clone copies settings and states under a new key, with the MV values of the copied states', async () => {
    const { environments, uow, service, mvCopies } = setup();
    const source = await service.create(user, { name: 'Staging', project: 5, hide_sensitive_data: true });
    const clone = await service.clone(user, source, { name: 'Staging copy' });
    expect(clone.apiKey).not.toBe(source.apiKey);
    expect(environments.rows.get(clone.id)).toMatchObject({ name: 'Staging copy', hideSensitiveData: true });
    expect(environments.copies).toEqual([{ sourceId: source.id, targetId: clone.id }]);
    expect(mvCopies).toEqual([new Map([[100, 200]])]);
    expect(uow.committed[1].auditEntries.map((e) => e.log)).toEqual([
      'New Environment created: Staging copy (cloned from Staging)',
    ]);
  });

  it('clone without CREATE_ENVIRONMENT on the project is refused and writes nothing', async () => {
    const { environments, uow, service } = setup(member('VIEW_PROJECT'));
    const source = Object.assign(new Environment(), { id: 9, name: 'Prod', projectId: 5, project });
    await expect(service.clone(user, source, { name: 'Copy' })).rejects.toBeInstanceOf(PermissionDenied);
    expect(environments.rows.size).toBe(0);
    expect(uow.committed).toEqual([]);
  });

  it('list without a valid project id answers the list body, before any permission check', async () => {
    const { service, required } = setup();
    for (const bad of [undefined, 'abc', '0'])
      await expect(service.list(user, bad)).rejects.toBeInstanceOf(ProjectParameterInvalid);
    expect(new ProjectParameterInvalid().body()).toEqual(['Invalid or missing value for project parameter.']);
    expect(required).toEqual([]);
    await expect(service.list(user, '5')).resolves.toEqual([]);
    expect(required).toEqual([5]);
  });

  it('a new server key is active, never expires and is written unaudited without a change event', async () => {
    const { uow, service } = setup();
    const environment = await service.create(user, { name: 'Staging', project: 5 });
    const key = await service.createServerKey(environment, { name: 'backend' });
    expect(key).toMatchObject({
      name: 'backend',
      active: true,
      expiresAt: null,
      environmentId: environment.id,
    });
    expect(key.key).toMatch(/^ser\.[2-9A-HJ-NP-Za-km-z]{22}$/);
    expect(uow.committed[1].auditEntries).toEqual([]);
    expect(uow.committed[1].serverKeyEnvironmentIds.size).toBe(0);
  });

  it('a server key update writes the fields sent and announces the key change for its environment', async () => {
    const { uow, service } = setup();
    const environment = await service.create(user, { name: 'Staging', project: 5 });
    const key = await service.createServerKey(environment, { name: 'backend' });
    const saved = await service.updateServerKey(environment, key.id, {
      active: false,
      expires_at: '2030-01-01T00:00:00Z',
    });
    expect(saved).toMatchObject({
      name: 'backend',
      active: false,
      expiresAt: new Date('2030-01-01T00:00:00Z'),
    });
    expect([...uow.committed[2].serverKeyEnvironmentIds]).toEqual([environment.id]);
    expect(uow.committed[2].environmentIds.size).toBe(0);
  });

  it("another environment's server key is not found for read, update or delete, and nothing is committed", async () => {
    const { uow, service } = setup();
    const mine = await service.create(user, { name: 'Staging', project: 5 });
    const other = await service.create(user, { name: 'Prod', project: 5 });
    const key = await service.createServerKey(other, { name: 'backend' });
    await expect(service.serverKey(mine, key.id)).rejects.toBeInstanceOf(NotFound);
    await expect(service.updateServerKey(mine, key.id, { active: false })).rejects.toBeInstanceOf(NotFound);
    await expect(service.deleteServerKey(mine, key.id)).rejects.toBeInstanceOf(NotFound);
    expect(uow.committed).toHaveLength(3);
    await service.deleteServerKey(other, key.id);
    expect(await service.serverKeys(other)).toEqual([]);
    expect([...uow.committed[3].serverKeyEnvironmentIds]).toEqual([other.id]);
  });
});
