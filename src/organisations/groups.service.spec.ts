import type { Principal } from '../auth/principal';
import type { User } from '../users/user.entity';
import { NotFound, PermissionDenied, ValidationFailed } from '../common/domain-errors';
import { inMemoryOrganisationServices } from './testing/in-memory';

function setUp() {
  const app = inMemoryOrganisationServices();
  const org = app.store.organisation();
  const alice = app.store.user('alice@acme.test');
  const bob = app.store.user('bob@acme.test');
  app.store.member(org.id, alice);
  app.store.member(org.id, bob);
  const group = app.store.group(org.id, 'team');
  return { ...app, org, alice, bob, group };
}

const asUser = (user: User): Principal => ({ kind: 'user', user, tokenKey: 't' });

describe('GroupsService', () => {
  it('adding a user who is no member of the organisation is invalid and adds no one', async () => {
    const { groups, store, group, alice } = setUp();
    const outsider = store.user('eve@elsewhere.test');

    await expect(groups.addUsers(group, [alice.id, outsider.id])).rejects.toEqual(
      ValidationFailed.field('user_ids', 'Users must be members of the organisation.'),
    );
    expect(store.groupMemberIds(group.id)).toEqual([]);
  });

  it('adding members twice keeps one membership each', async () => {
    const { groups, store, group, alice, bob } = setUp();
    await groups.addUsers(group, [alice.id, bob.id]);
    await groups.addUsers(group, [alice.id]);
    expect(store.groupMemberIds(group.id)).toEqual([alice.id, bob.id]);
  });

  it('a group admin may manage its users without MANAGE_USER_GROUPS; another member may not', async () => {
    const { groups, group, alice, bob } = setUp();
    await groups.addUsers(group, [alice.id, bob.id]);
    await groups.setAdmin(group, alice.id, true);

    await expect(groups.assertMayManage(group, asUser(alice), false)).resolves.toBeUndefined();
    await expect(groups.assertMayManage(group, asUser(bob), false)).rejects.toBeInstanceOf(PermissionDenied);
    await expect(groups.assertMayManage(group, asUser(bob), true)).resolves.toBeUndefined();
  });

  it('a master API key is never a group admin', async () => {
    const { groups, group } = setUp();
    const key: Principal = {
      kind: 'master_key',
      key: { id: 1, organisationId: group.organisationId } as never,
    };
    expect(await groups.isGroupAdmin(group, key)).toBe(false);
    await expect(groups.assertMayManage(group, key, false)).rejects.toBeInstanceOf(PermissionDenied);
  });

  it('making a user who is not in the group its admin is not found', async () => {
    const { groups, group, alice } = setUp();
    await expect(groups.setAdmin(group, alice.id, true)).rejects.toBeInstanceOf(NotFound);
  });

  it("another organisation's group is not found", async () => {
    const { groups, store, group } = setUp();
    const other = store.organisation('Other');
    await expect(groups.get(other.id, group.id)).rejects.toBeInstanceOf(NotFound);
  });

  it('saving a new group with users creates it and adds them; my-groups lists only groups of the member', async () => {
    const { groups, org, alice } = setUp();
    const created = await groups.save(org.id, null, { name: 'ops', is_default: false, users: [alice.id] });

    expect((await groups.list(org.id, alice.id)).map((r) => r.group.id)).toEqual([created.id]);
    expect((await groups.list(org.id)).map((r) => r.group.name)).toEqual(['team', 'ops']);
  });
});
