import type { EntityManager } from 'typeorm';
import { NotFound, ValidationFailed } from '../common/domain-errors';
import { FakeUnitOfWork } from '../common/unit-of-work.fake';
import { grantJson } from './grant.serializers';
import type { GrantColumns, GrantRow, GrantScope, GrantsRepository, GrantSubject } from './grants.repository';
import { GrantsService } from './grants.service';

type StoredGrant = GrantRow & { level: GrantScope['level']; scopeId: number; subject: GrantSubject };

/** GrantsRepository in memory: one table for the six, keyed as the unique indexes are. */
class InMemoryGrants {
  readonly rows = new Map<number, StoredGrant>();
  /** organisation id → its members' ids and its groups' ids */
  readonly organisations = new Map<number, { users: number[]; groups: number[] }>();
  private nextId = 1;

  private read(row: StoredGrant): GrantRow {
    const { level: _l, scopeId: _s, subject: _g, ...grant } = row;
    return {
      ...grant,
      permissions: [...row.permissions],
      ...(row.userId !== undefined
        ? { user: { id: row.userId, email: `u${row.userId}@x.test`, firstName: '', lastName: '' } as never }
        : { group: { id: row.groupId, name: `g${row.groupId}` } as never }),
    };
  }
  private match(scope: GrantScope, subject: GrantSubject, row: StoredGrant | undefined) {
    return !!row && row.level === scope.level && row.scopeId === scope.id && row.subject === subject;
  }
  list(scope: GrantScope, subject: GrantSubject) {
    return Promise.resolve(
      [...this.rows.values()].filter((r) => this.match(scope, subject, r)).map((r) => this.read(r)),
    );
  }
  find(scope: GrantScope, subject: GrantSubject, id: number) {
    const row = this.rows.get(id);
    return Promise.resolve(row && this.match(scope, subject, row) ? this.read(row) : null);
  }
  lock(_m: EntityManager, scope: GrantScope, subject: GrantSubject, id: number) {
    return this.find(scope, subject, id);
  }
  insert(_m: EntityManager, scope: GrantScope, subject: GrantSubject, subjectId: number, c: GrantColumns) {
    const column = subject === 'user' ? 'userId' : 'groupId';
    const taken = [...this.rows.values()].some(
      (r) => this.match(scope, subject, r) && r[column] === subjectId,
    );
    if (taken) return Promise.resolve(null);
    const id = this.nextId++;
    const admin = scope.level === 'organisation' ? {} : { admin: c.admin ?? false };
    this.rows.set(id, {
      id,
      level: scope.level,
      scopeId: scope.id,
      subject,
      [column]: subjectId,
      permissions: c.permissions ?? [],
      ...admin,
    });
    return Promise.resolve(id);
  }
  update(_m: EntityManager, _s: GrantScope, _g: GrantSubject, id: number, columns: GrantColumns) {
    Object.assign(this.rows.get(id)!, columns);
    return Promise.resolve();
  }
  delete(_m: EntityManager, _s: GrantScope, _g: GrantSubject, id: number) {
    this.rows.delete(id);
    return Promise.resolve();
  }
  subjectInOrganisation(_m: EntityManager, subject: GrantSubject, id: number, organisationId: number) {
    const organisation = this.organisations.get(organisationId);
    return Promise.resolve(!!organisation?.[subject === 'user' ? 'users' : 'groups'].includes(id));
  }
}

const project: GrantScope = { level: 'project', id: 5, organisationId: 2 };
const otherProject: GrantScope = { level: 'project', id: 6, organisationId: 2 };
const organisation = { level: 'organisation', id: 2, organisationId: 2 } as const;

function setup() {
  const grants = new InMemoryGrants();
  grants.organisations.set(2, { users: [10, 11], groups: [20] });
  grants.organisations.set(3, { users: [30], groups: [40] });
  const uow = new FakeUnitOfWork();
  return {
    grants,
    uow,
    service: new GrantsService(grants as unknown as GrantsRepository, uow.asUnitOfWork()),
  };
}

describe('GrantsService', () => {
  it('create stores the keys once each, unaudited and with no change event, as Flagsmith', async () => {
    const { uow, service } = setup();
    const row = await service.create(project, 'user', 10, { permissions: ['VIEW_PROJECT', 'VIEW_PROJECT'] });
    expect(grantJson(project, 'user', row)).toEqual({
      id: row.id,
      user: { id: 10, email: 'u10@x.test', first_name: '', last_name: '' },
      permissions: ['VIEW_PROJECT'],
      admin: false,
      project: 5,
    });
    const [record] = uow.committed;
    expect(record.auditEntries).toEqual([]);
    expect(record.projectIds.size + record.environmentIds.size + record.identities.size).toBe(0);
  });

  it('create for a user or group outside the scope’s organisation answers 400 on that field and writes nothing', async () => {
    const { grants, service } = setup();
    await expect(service.create(project, 'user', 30, { permissions: [] })).rejects.toEqual(
      ValidationFailed.field('user', 'Invalid pk "30" - object does not exist.'),
    );
    await expect(service.create(project, 'group', 40, {})).rejects.toEqual(
      ValidationFailed.field('group', 'Invalid pk "40" - object does not exist.'),
    );
    expect(grants.rows.size).toBe(0);
  });

  it('a second grant to the same subject on the same scope answers non_field_errors; another scope may', async () => {
    const { grants, service } = setup();
    await service.create(project, 'group', 20, { admin: true });
    await expect(service.create(project, 'group', 20, {})).rejects.toEqual(
      ValidationFailed.field('non_field_errors', 'Permissions for this group already exist.'),
    );
    await service.create(otherProject, 'group', 20, {});
    expect(grants.rows.size).toBe(2);
  });

  it('update writes only the fields sent; the others keep their values', async () => {
    const { service } = setup();
    const row = await service.create(project, 'user', 11, { permissions: ['EDIT_FEATURE'], admin: false });
    const saved = await service.update(project, 'user', row.id, { admin: true });
    expect(saved).toMatchObject({ id: row.id, userId: 11, permissions: ['EDIT_FEATURE'], admin: true });
    const cleared = await service.update(project, 'user', row.id, { permissions: [] });
    expect(cleared).toMatchObject({ permissions: [], admin: true });
  });

  it('an organisation grant is answered without admin', async () => {
    const { service } = setup();
    const row = await service.create(organisation, 'user', 10, { permissions: ['CREATE_PROJECT'] });
    expect(grantJson(organisation, 'user', row)).not.toHaveProperty('admin');
    expect(grantJson(organisation, 'user', row)).toMatchObject({ organisation: 2 });
  });

  it('a grant of another scope or of the other subject kind is not listed, changed or removed there', async () => {
    const { grants, service } = setup();
    const row = await service.create(otherProject, 'user', 10, { permissions: ['VIEW_PROJECT'] });
    expect(await service.list(project, 'user')).toEqual([]);
    expect(await service.list(otherProject, 'group')).toEqual([]);
    await expect(service.update(otherProject, 'group', row.id, {})).rejects.toBeInstanceOf(NotFound);
    await expect(service.update(project, 'user', row.id, { admin: true })).rejects.toBeInstanceOf(NotFound);
    await expect(service.remove(project, 'user', row.id)).rejects.toBeInstanceOf(NotFound);
    expect(grants.rows.get(row.id)).toMatchObject({ permissions: ['VIEW_PROJECT'] });
    expect(grants.rows.get(row.id)?.admin).toBe(false);
  });

  it('remove deletes the grant of its scope', async () => {
    const { grants, service } = setup();
    const row = await service.create(project, 'user', 10, {});
    await service.remove(project, 'user', row.id);
    expect(grants.rows.size).toBe(0);
    expect(await service.list(project, 'user')).toEqual([]);
  });
});
