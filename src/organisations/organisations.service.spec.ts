import type { Principal } from '../auth/principal';
import type { User } from '../users/user.entity';
import type { EntityManager } from 'typeorm';
import { NotFound, PermissionDenied } from '../common/domain-errors';
import { inMemoryOrganisationServices } from './testing/in-memory';

const db = {} as EntityManager;
const asUser = (user: User): Principal => ({ kind: 'user', user, tokenKey: 't' });

describe('OrganisationsService', () => {
  it('a created organisation has its creator as ADMIN and trait storage from DEFAULT_ORG_STORE_TRAITS_VALUE', async () => {
    const { organisations, store, audit, uow } = inMemoryOrganisationServices({
      DEFAULT_ORG_STORE_TRAITS_VALUE: false,
    });
    const ada = store.user('ada@acme.test');

    const org = await organisations.create(asUser(ada), { name: 'Acme' });

    expect(store.roleOf(org.id, ada.id)).toBe('ADMIN');
    expect(org).toMatchObject({
      persistTraitData: false,
      webhookNotificationEmail: null,
      restrictProjectCreateToAdmin: false,
    });
    expect(audit()).toEqual(['New Organisation created: Acme']);
    expect(uow.committed).toHaveLength(1); // the organisation and its first member in one write
    expect(await organisations.listForPrincipal(asUser(ada))).toEqual([{ org, role: 'ADMIN' }]);
  });

  it('a master API key may not create an organisation', async () => {
    const { organisations, store } = inMemoryOrganisationServices();
    const key: Principal = { kind: 'master_key', key: { id: 1, organisationId: 1 } as never };
    await expect(organisations.create(key, { name: 'Acme' })).rejects.toBeInstanceOf(PermissionDenied);
    expect(store.organisations).toHaveLength(0);
  });

  it('with RESTRICT_ORG_CREATE_TO_SUPERUSERS only a superuser creates organisations', async () => {
    const { organisations, store } = inMemoryOrganisationServices({
      RESTRICT_ORG_CREATE_TO_SUPERUSERS: true,
    });
    const user = store.user('u@acme.test');
    const root = store.user('root@acme.test', { isSuperuser: true });

    expect(() => organisations.assertMayCreate(asUser(user))).toThrow(PermissionDenied);
    await expect(organisations.create(asUser(root), { name: 'Acme' })).resolves.toMatchObject({
      name: 'Acme',
    });
  });

  it('an update the SDK can see (name) announces every environment of the organisation; a webhook address alone does not', async () => {
    const { organisations, store, changedEnvironments, audit } = inMemoryOrganisationServices();
    const ada = store.user('ada@acme.test');
    const org = await organisations.create(asUser(ada), { name: 'Acme' });
    const [dev, prod] = [store.environment(org.id), store.environment(org.id)];
    store.environment(store.organisation('Other').id);

    await organisations.update(asUser(ada), org, { webhook_notification_email: 'ops@acme.test' });
    expect(changedEnvironments()).toEqual([]);
    await organisations.update(asUser(ada), org, { name: 'Acme 2', persist_trait_data: undefined });
    expect(changedEnvironments()).toEqual([dev.id, prod.id]);
    expect(audit()).toEqual([
      'New Organisation created: Acme',
      'Organisation updated: Acme',
      'Organisation updated: Acme 2',
    ]);
    expect(store.organisations[0]).toMatchObject({
      name: 'Acme 2',
      webhookNotificationEmail: 'ops@acme.test',
    });
  });
});

describe('MembersService', () => {
  it('a new member joins the default groups; adding them again changes neither role nor groups', async () => {
    const { members, store } = inMemoryOrganisationServices();
    const org = store.organisation();
    const everyone = store.group(org.id, 'everyone', true);
    const other = store.group(org.id, 'other');
    const bob = store.user('bob@acme.test');

    await members.addMember(org.id, bob.id, 'USER', db);
    await members.addMember(org.id, bob.id, 'ADMIN', db);

    expect(store.roleOf(org.id, bob.id)).toBe('USER');
    expect(store.groupMemberIds(everyone.id)).toEqual([bob.id]);
    expect(store.groupMemberIds(other.id)).toEqual([]);
  });

  it('add: a new member gets the role and the default groups in one unaudited write; a second add is refused', async () => {
    const { members, store, uow } = inMemoryOrganisationServices();
    const org = store.organisation();
    const everyone = store.group(org.id, 'everyone', true);
    const bob = store.user('bob@acme.test');

    const added = await members.add(org.id, bob.id, 'ADMIN');

    expect(added).toMatchObject({ organisationId: org.id, userId: bob.id, role: 'ADMIN' });
    expect(store.groupMemberIds(everyone.id)).toEqual([bob.id]);
    expect(uow.committed).toHaveLength(1);
    expect(uow.committed[0].auditEntries).toEqual([]);
    await expect(members.add(org.id, bob.id, 'USER')).rejects.toMatchObject({
      message: 'User already in organisation.',
    });
    expect(store.roleOf(org.id, bob.id)).toBe('ADMIN');
  });

  it('changing the role of someone who is no member is not found; of a member it sticks', async () => {
    const { members, store } = inMemoryOrganisationServices();
    const org = store.organisation();
    const bob = store.user('bob@acme.test');
    await expect(members.updateRole(org.id, bob.id, 'ADMIN')).rejects.toBeInstanceOf(NotFound);

    store.member(org.id, bob);
    await members.updateRole(org.id, bob.id, 'ADMIN');
    expect(store.roleOf(org.id, bob.id)).toBe('ADMIN');
  });
});

describe('OrganisationsService.remove', () => {
  it('deleting an organisation announces its environments as deleted and writes no audit line', async () => {
    const { organisations, store, uow } = inMemoryOrganisationServices();
    const org = store.organisation();
    const env = store.environment(org.id);

    await organisations.remove(org);

    expect(store.organisations).toEqual([]);
    expect([...uow.committed[0].deletedEnvironments]).toEqual([[env.id, env.apiKey]]);
    expect(uow.committed[0].auditEntries).toEqual([]);
  });
});
