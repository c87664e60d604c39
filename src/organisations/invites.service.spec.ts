import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { INVITE_EMAIL_MISMATCH_DETAIL, INVITE_EXPIRED_DETAIL } from './invites.service';
import { BadRequest, NotFound, ValidationFailed } from '../common/domain-errors';
import { inMemoryOrganisationServices } from './testing/in-memory';

const db = {} as EntityManager;

function setUp() {
  const app = inMemoryOrganisationServices();
  const { store } = app;
  const org = store.organisation('Acme');
  const admin = store.user('admin@acme.test', { firstName: 'Ada', lastName: 'Admin' });
  store.member(org.id, admin, 'ADMIN');
  const principal: Principal = { kind: 'user', user: admin, tokenKey: 't' };
  return { ...app, org, admin, principal };
}

describe('InvitesService', () => {
  it('an email invite joined by its invitee (other letter case) adds them with its role and groups, then is gone', async () => {
    const { invites, store, org, principal } = setUp();
    const team = store.group(org.id, 'team');
    const everyone = store.group(org.id, 'everyone', true);
    const invite = await invites.create(principal, org.id, {
      email: 'Bob@Acme.test',
      role: 'ADMIN',
      permission_groups: [team.id],
    });
    const bob = store.user('bob@acme.test');

    const joined = await invites.join(bob, invite.hash, 'invite');

    expect(joined.id).toBe(org.id);
    expect(store.roleOf(org.id, bob.id)).toBe('ADMIN');
    expect(store.groupMemberIds(team.id)).toEqual([bob.id]);
    expect(store.groupMemberIds(everyone.id)).toEqual([bob.id]);
    expect(store.invites).toHaveLength(0);
  });

  it("an email invite's hash used by a user of another address is refused and joins nothing", async () => {
    const { invites, store, org, principal } = setUp();
    const invite = await invites.create(principal, org.id, {
      email: 'bob@acme.test',
      role: 'USER',
      permission_groups: [],
    });
    const mallory = store.user('mallory@evil.test');

    await expect(invites.join(mallory, invite.hash, 'invite')).rejects.toEqual(
      new BadRequest(INVITE_EMAIL_MISMATCH_DETAIL),
    );
    expect(store.roleOf(org.id, mallory.id)).toBeUndefined();
    expect(store.invites).toHaveLength(1);
  });

  it('an invite joined by someone already a member is refused as a conflict and the invite stays', async () => {
    const { invites, store, org, principal } = setUp();
    const bob = store.user('bob@acme.test');
    store.member(org.id, bob, 'USER');
    const invite = await invites.create(principal, org.id, {
      email: 'bob@acme.test',
      role: 'ADMIN',
      permission_groups: [],
    });

    await expect(invites.join(bob, invite.hash, 'invite')).rejects.toEqual(
      new BadRequest('User already in organisation.'),
    );
    expect(store.roleOf(org.id, bob.id)).toBe('USER');
    expect(store.invites).toHaveLength(1);
  });

  it('an unknown or empty hash is not found, for invites and links alike', async () => {
    const { invites, store } = setUp();
    const bob = store.user('bob@acme.test');
    await expect(invites.join(bob, 'nope', 'invite')).rejects.toBeInstanceOf(NotFound);
    await expect(invites.join(bob, '', 'link')).rejects.toBeInstanceOf(NotFound);
  });

  it('an expired invite link is refused; one expiring later joins with the link role', async () => {
    const { invites, store, org } = setUp();
    const expired = await invites.createLink(org.id, {
      role: 'ADMIN',
      expires_at: new Date(Date.now() - 1000).toISOString(),
    });
    const open = await invites.createLink(org.id, {
      role: 'USER',
      expires_at: new Date(Date.now() + 60_000).toISOString(),
    });
    const bob = store.user('bob@acme.test');

    await expect(invites.join(bob, expired.hash, 'link')).rejects.toEqual(
      new BadRequest(INVITE_EXPIRED_DETAIL),
    );
    expect(store.roleOf(org.id, bob.id)).toBeUndefined();
    await invites.join(bob, open.hash, 'link');
    expect(store.roleOf(org.id, bob.id)).toBe('USER');
    expect(store.links).toHaveLength(2); // links are reusable
  });

  it('registration with an invite hash accepts a link when no email invite has that hash', async () => {
    const { invites, store, org } = setUp();
    const link = await invites.createLink(org.id, { role: 'ADMIN', expires_at: null });
    const bob = store.user('bob@acme.test');

    await expect(invites.acceptInviteHash(db, bob, link.hash)).resolves.toBe(org.id);
    expect(store.roleOf(org.id, bob.id)).toBe('ADMIN');
  });

  it("an invite naming another organisation's group is invalid and stores and sends nothing", async () => {
    const { invites, store, org, principal, emails } = setUp();
    const other = store.organisation('Other');
    const foreign = store.group(other.id, 'theirs');

    await expect(
      invites.create(principal, org.id, {
        email: 'bob@acme.test',
        role: 'USER',
        permission_groups: [foreign.id],
      }),
    ).rejects.toEqual(ValidationFailed.field('permission_groups', 'Invalid group.'));
    expect(store.invites).toHaveLength(0);
    expect(emails).toHaveLength(0);
  });

  it('a bulk invite with an address invited before is a conflict on email and sends no email', async () => {
    const { invites, org, principal, emails } = setUp();
    await invites.create(principal, org.id, { email: 'bob@acme.test', role: 'USER', permission_groups: [] });
    emails.length = 0;

    await expect(
      invites.createMany(principal, org.id, {
        invites: [
          { email: 'carol@acme.test', role: 'USER' },
          { email: 'BOB@acme.test', role: 'USER' },
        ],
        permission_groups: [],
      }),
    ).rejects.toEqual(ValidationFailed.field('email', 'An invite for this email already exists.'));
    expect(emails).toHaveLength(0);
  });

  it("the invite email goes to the invitee, names the inviter and links to the invite's hash", async () => {
    const { invites, org, principal, emails } = setUp();
    const invite = await invites.create(principal, org.id, {
      email: 'bob@acme.test',
      role: 'USER',
      permission_groups: [],
    });

    expect(emails).toEqual([
      expect.objectContaining({
        to: 'bob@acme.test',
        subject: "Ada Admin has invited you to join the organisation 'Acme' on Flagsmith",
        text: expect.stringContaining(`https://flags.example/invite/${invite.hash}`) as string,
      }),
    ]);
  });

  it("another organisation's invite or link is not found, to read, resend or delete", async () => {
    const { invites, store, org, principal } = setUp();
    const other = store.organisation('Other');
    const invite = await invites.create(principal, org.id, {
      email: 'bob@acme.test',
      role: 'USER',
      permission_groups: [],
    });
    const link = await invites.createLink(org.id, { role: 'USER', expires_at: null });

    await expect(invites.get(other.id, invite.id)).rejects.toBeInstanceOf(NotFound);
    await expect(invites.resend(other.id, invite.id)).rejects.toBeInstanceOf(NotFound);
    await expect(invites.delete(other.id, invite.id)).rejects.toBeInstanceOf(NotFound);
    await expect(invites.deleteLink(other.id, link.id)).rejects.toBeInstanceOf(NotFound);
    expect(store.invites).toHaveLength(1);
    expect(store.links).toHaveLength(1);
  });
});
