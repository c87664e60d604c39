import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { NotFound, ValidationFailed } from '../common/domain-errors';
import { FakeUnitOfWork } from '../common/unit-of-work.fake';
import { Environment } from '../environments/environment.entity';
import type { IdentifierFilter, IdentitiesRepository, TraitColumns } from './identities.repository';
import { identifierFilter, IdentitiesService } from './identities.service';
import { Identity, Trait } from './identity.entity';

/** IdentitiesRepository in memory: identities and traits by id, overrides as a set of identity ids, locks kept. */
class InMemoryIdentities {
  readonly identities = new Map<number, Identity>();
  readonly traits = new Map<number, Trait>();
  readonly withOverrides = new Set<number>();
  readonly locks: [number, 'update' | 'share'][] = [];
  private nextId = 1;

  page(environmentId: number, _filter: IdentifierFilter) {
    const rows = [...this.identities.values()].filter((i) => i.environmentId === environmentId);
    return Promise.resolve({ count: rows.length, rows });
  }
  find(environmentId: number, id: number) {
    const row = this.identities.get(id);
    return Promise.resolve(
      row && row.environmentId === environmentId ? Object.assign(new Identity(), row) : null,
    );
  }
  findByIdentifier(_m: EntityManager, environmentId: number, identifier: string) {
    const row = [...this.identities.values()].find(
      (i) => i.environmentId === environmentId && i.identifier === identifier,
    );
    return Promise.resolve(row ?? null);
  }
  lock(_m: EntityManager, id: number, mode: 'update' | 'share') {
    this.locks.push([id, mode]);
    const row = this.identities.get(id);
    return Promise.resolve(row ? Object.assign(new Identity(), row) : null);
  }
  hasOverrides(_m: EntityManager, id: number) {
    return Promise.resolve(this.withOverrides.has(id));
  }
  insert(_m: EntityManager, fields: { identifier: string; environmentId: number }) {
    const row = Object.assign(new Identity(), fields, { id: this.nextId++, createdDate: new Date() });
    this.identities.set(row.id, row);
    return Promise.resolve(Object.assign(new Identity(), row));
  }
  rename(_m: EntityManager, id: number, identifier: string) {
    return Promise.resolve(
      Object.assign(new Identity(), Object.assign(this.identities.get(id)!, { identifier })),
    );
  }
  delete(_m: EntityManager, id: number) {
    this.identities.delete(id);
    for (const [traitId, t] of this.traits) if (t.identityId === id) this.traits.delete(traitId);
    return Promise.resolve();
  }
  findTrait(identityId: number, id: number) {
    const row = this.traits.get(id);
    return Promise.resolve(row && row.identityId === identityId ? Object.assign(new Trait(), row) : null);
  }
  lockTrait(_m: EntityManager, identityId: number, id: number) {
    return this.findTrait(identityId, id);
  }
  traitByKey(_m: EntityManager, identityId: number, key: string) {
    const row = [...this.traits.values()].find((t) => t.identityId === identityId && t.traitKey === key);
    return Promise.resolve(row ?? null);
  }
  insertTrait(_m: EntityManager, fields: TraitColumns & { identityId: number }) {
    const row = Object.assign(
      new Trait(),
      {
        stringValue: null,
        integerValue: null,
        booleanValue: null,
        floatValue: null,
        createdDate: new Date(),
      },
      fields,
      { id: this.nextId++ },
    );
    this.traits.set(row.id, row);
    return Promise.resolve(Object.assign(new Trait(), row));
  }
  updateTrait(_m: EntityManager, id: number, columns: TraitColumns) {
    return Promise.resolve(Object.assign(new Trait(), Object.assign(this.traits.get(id)!, columns)));
  }
  deleteTrait(_m: EntityManager, id: number) {
    this.traits.delete(id);
    return Promise.resolve();
  }
  deleteTraitKey(_m: EntityManager, environmentId: number, key: string) {
    for (const [id, t] of this.traits)
      if (t.traitKey === key && this.identities.get(t.identityId)?.environmentId === environmentId)
        this.traits.delete(id);
    return Promise.resolve();
  }
}

const principal = { kind: 'master_key', key: { id: 1 } } as Principal;
const environment = Object.assign(new Environment(), {
  id: 4,
  projectId: 2,
  project: { organisationId: 1 },
});
const otherEnvironment = Object.assign(new Environment(), {
  id: 5,
  projectId: 2,
  project: { organisationId: 1 },
});

function setup() {
  const repo = new InMemoryIdentities();
  const uow = new FakeUnitOfWork();
  const service = new IdentitiesService(repo as unknown as IdentitiesRepository, uow.asUnitOfWork());
  return { repo, uow, service };
}
const identifiers = (uow: FakeUnitOfWork, run: number) => uow.committed[run].identities.get(environment.id);

describe('IdentitiesService', () => {
  it('create stores the identity, announces its identifier (no bump) and audits it', async () => {
    const { uow, service } = setup();
    const identity = await service.create(principal, environment, { identifier: 'alice' });
    expect(identity).toMatchObject({ identifier: 'alice', environmentId: 4 });
    expect(identifiers(uow, 0)).toEqual(new Set(['alice']));
    expect(uow.committed[0].environmentIds.size).toBe(0);
    expect(uow.committed[0].auditEntries[0]).toMatchObject({
      log: 'New Identity created: alice',
      relatedObjectType: 'IDENTITY',
      environmentId: 4,
    });
  });

  it('create with an identifier taken in the environment is refused and writes nothing', async () => {
    const { repo, uow, service } = setup();
    await service.create(principal, environment, { identifier: 'alice' });
    await expect(service.create(principal, environment, { identifier: 'alice' })).rejects.toEqual(
      ValidationFailed.field(
        'identifier',
        "Identity with identifier 'alice' already exists in this environment",
      ),
    );
    await service.create(principal, otherEnvironment, { identifier: 'alice' });
    expect(repo.identities.size).toBe(2);
    expect(uow.committed).toHaveLength(2);
  });

  it('rename announces both identifiers and bumps the environment only when the identity has overrides', async () => {
    const { repo, uow, service } = setup();
    const plain = await service.create(principal, environment, { identifier: 'a' });
    const overridden = await service.create(principal, environment, { identifier: 'b' });
    repo.withOverrides.add(overridden.id);
    await service.update(principal, environment, plain.id, { identifier: 'a2' });
    await service.update(principal, environment, overridden.id, { identifier: 'b2' });
    expect(identifiers(uow, 2)).toEqual(new Set(['a', 'a2']));
    expect(uow.committed[2].environmentIds.size).toBe(0);
    expect(identifiers(uow, 3)).toEqual(new Set(['b', 'b2']));
    expect([...uow.committed[3].environmentIds]).toEqual([4]);
    expect(repo.locks).toContainEqual([overridden.id, 'update']);
  });

  it('update takes before from the locked row, not from the identity the caller read', async () => {
    const { repo, uow, service } = setup();
    const identity = await service.create(principal, environment, { identifier: 'old' });
    repo.identities.get(identity.id)!.identifier = 'renamed-meanwhile';
    const saved = await service.update(principal, environment, identity.id, { identifier: 'new' });
    expect(saved.identifier).toBe('new');
    expect(uow.committed[1].auditEntries[0]).toMatchObject({
      log: 'Identity updated: new',
      before: { identifier: 'renamed-meanwhile' },
      after: { identifier: 'new' },
    });
    expect(identifiers(uow, 1)).toEqual(new Set(['renamed-meanwhile', 'new']));
  });

  it('an identity of another environment is not found, for update and delete alike', async () => {
    const { repo, service } = setup();
    const foreign = await service.create(principal, otherEnvironment, { identifier: 'x' });
    await expect(service.identity(environment, foreign.id)).rejects.toBeInstanceOf(NotFound);
    await expect(
      service.update(principal, environment, foreign.id, { identifier: 'y' }),
    ).rejects.toBeInstanceOf(NotFound);
    await expect(service.remove(principal, environment, foreign.id)).rejects.toBeInstanceOf(NotFound);
    expect(repo.identities.get(foreign.id)?.identifier).toBe('x');
  });

  it('remove deletes the identity with its traits, announces it and bumps when it had overrides', async () => {
    const { repo, uow, service } = setup();
    const identity = await service.create(principal, environment, { identifier: 'gone' });
    await service.createTrait(principal, environment, identity, {
      trait_key: 'age',
      value_type: 'int',
      integer_value: 3,
    });
    repo.withOverrides.add(identity.id);
    await service.remove(principal, environment, identity.id);
    expect(repo.identities.size + repo.traits.size).toBe(0);
    expect(identifiers(uow, 2)).toEqual(new Set(['gone']));
    expect([...uow.committed[2].environmentIds]).toEqual([4]);
    expect(uow.committed[2].auditEntries[0].log).toBe('Identity deleted: gone');
  });

  it('createTrait defaults to unicode, share-locks the identity and refuses a key the identity has', async () => {
    const { repo, uow, service } = setup();
    const identity = await service.create(principal, environment, { identifier: 'alice' });
    const trait = await service.createTrait(principal, environment, identity, {
      trait_key: 'plan',
      string_value: '',
    });
    expect(trait).toMatchObject({ valueType: 'unicode', stringValue: '', identityId: identity.id });
    expect(repo.locks).toContainEqual([identity.id, 'share']);
    expect(identifiers(uow, 1)).toEqual(new Set(['alice']));
    await expect(
      service.createTrait(principal, environment, identity, { trait_key: 'plan' }),
    ).rejects.toEqual(
      new ValidationFailed({ non_field_errors: ['The fields identity, trait_key must make a unique set.'] }),
    );
    expect(repo.traits.size).toBe(1);
  });

  it('updateTrait writes only the columns sent and audits the locked row as before', async () => {
    const { repo, uow, service } = setup();
    const identity = await service.create(principal, environment, { identifier: 'alice' });
    const trait = await service.createTrait(principal, environment, identity, {
      trait_key: 'score',
      value_type: 'float',
      float_value: 1.5,
    });
    repo.traits.get(trait.id)!.stringValue = 'meanwhile';
    const saved = await service.updateTrait(principal, environment, identity, trait.id, { float_value: 2.5 });
    expect(saved).toMatchObject({
      traitKey: 'score',
      valueType: 'float',
      floatValue: 2.5,
      stringValue: 'meanwhile',
    });
    expect(uow.committed[2].auditEntries[0]).toMatchObject({
      log: "Trait 'score' updated for identity 'alice'",
      before: { float_value: 1.5, string_value: 'meanwhile' },
      after: { float_value: 2.5 },
    });
  });

  it('removeTrait of every matching trait deletes the key environment-wide and names no identity', async () => {
    const { repo, uow, service } = setup();
    const a = await service.create(principal, environment, { identifier: 'a' });
    const b = await service.create(principal, environment, { identifier: 'b' });
    const c = await service.create(principal, otherEnvironment, { identifier: 'c' });
    const trait = await service.createTrait(principal, environment, a, { trait_key: 'k' });
    await service.createTrait(principal, environment, b, { trait_key: 'k' });
    await service.createTrait(principal, otherEnvironment, c, { trait_key: 'k' });
    await service.removeTrait(principal, environment, a, trait, true);
    expect([...repo.traits.values()].map((t) => t.identityId)).toEqual([c.id]);
    const last = uow.committed[uow.committed.length - 1];
    expect(last.identities.get(environment.id)).toBeNull();
    expect(last.auditEntries[0].log).toBe("Trait 'k' deleted for every identity");
  });

  it('deleteTraitKey is audited on the environment and invalidates every identity of it', async () => {
    const { uow, service } = setup();
    await service.deleteTraitKey(principal, environment, 'plan');
    expect(uow.committed[0].identities.get(environment.id)).toBeNull();
    expect(uow.committed[0].environmentIds.size).toBe(0);
    expect(uow.committed[0].auditEntries[0]).toMatchObject({
      relatedObjectType: 'ENVIRONMENT',
      relatedObjectId: 4,
    });
  });
});

describe('identifierFilter (?q=)', () => {
  it('reads "quoted" text as an exact identifier, other text as a substring and blank as no filter', () => {
    expect(identifierFilter('"bob"')).toEqual({ exact: 'bob' });
    expect(identifierFilter('bo')).toEqual({ contains: 'bo' });
    expect(identifierFilter('"')).toEqual({ contains: '"' });
    expect(identifierFilter('')).toBeNull();
    expect(identifierFilter(undefined)).toBeNull();
  });
});
