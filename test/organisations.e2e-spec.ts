import {
  Call,
  client,
  createOrganisation,
  createProject,
  PASSWORD,
  signUp,
  uniqueEmail,
} from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import { queryDatabase } from './support/database';

describe('organisations', () => {
  let t: TestApp;
  let call: Call;
  beforeAll(async () => {
    t = await startTestApp({ DEFAULT_ORG_STORE_TRAITS_VALUE: 'false' });
    call = client(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it('an organisation created by a user makes them ADMIN and takes persist_trait_data from DEFAULT_ORG_STORE_TRAITS_VALUE', async () => {
    const { token } = await signUp(call);
    const org = await createOrganisation(call, token, 'Acme');
    expect(org).toMatchObject({ name: 'Acme', role: 'ADMIN', persist_trait_data: false, num_seats: 1 });
    const list = await call('GET', '/api/v1/organisations/', { auth: token });
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ count: 1, next: null, previous: null });
    expect(list.body.results[0].id).toBe(org.id);
  });

  it('the organisation list pages with page_size and links next/previous', async () => {
    const { token } = await signUp(call);
    for (const name of ['a', 'b', 'c']) await createOrganisation(call, token, name);
    const first = await call('GET', '/api/v1/organisations/?page_size=2', { auth: token });
    expect(first.body.count).toBe(3);
    expect(first.body.results).toHaveLength(2);
    expect(first.body.next).toMatch(/page=2/);
    const second = await call('GET', '/api/v1/organisations/?page_size=2&page=2', { auth: token });
    expect(second.body.results).toHaveLength(1);
    expect(second.body.previous).not.toBeNull();
    expect((await call('GET', '/api/v1/organisations/?page=9', { auth: token })).status).toBe(404);
  });

  it("another organisation's id answers 404 for read, update and delete, and nothing changes", async () => {
    const owner = await signUp(call);
    const stranger = await signUp(call);
    const org = await createOrganisation(call, owner.token, 'Private');
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { name: 'Hacked' }],
      ['DELETE', undefined],
    ] as const) {
      const res = await call(method, `/api/v1/organisations/${org.id}/`, { auth: stranger.token, body });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ detail: 'Not found.' });
    }
    expect(
      (await call('GET', `/api/v1/organisations/${org.id}/users/`, { auth: stranger.token })).status,
    ).toBe(404);
    const still = await call('GET', `/api/v1/organisations/${org.id}/`, { auth: owner.token });
    expect(still.body.name).toBe('Private');
  });

  it.each(['abc', '0', '-1', '99999999999'])(
    'organisation id %s in the path answers 404, not 500',
    async (id) => {
      const { token } = await signUp(call);
      expect((await call('GET', `/api/v1/organisations/${id}/`, { auth: token })).status).toBe(404);
    },
  );

  it('an organisation deleted by its ADMIN answers 204, then 404, and its projects are gone', async () => {
    const { token } = await signUp(call);
    const org = await createOrganisation(call, token, 'Short-lived');
    const project = await call('POST', '/api/v1/projects/', {
      auth: token,
      body: { name: 'P', organisation: org.id },
    });
    expect(project.status).toBe(201);
    const deleted = await call('DELETE', `/api/v1/organisations/${org.id}/`, { auth: token });
    expect(deleted.status).toBe(204);
    expect((await call('GET', `/api/v1/organisations/${org.id}/`, { auth: token })).status).toBe(404);
    const rows = await queryDatabase(t.databaseUrl, 'SELECT id FROM projects WHERE id = $1', [
      project.body.id,
    ]);
    expect(rows).toEqual([]);
  });

  it('a bulk invite with a valid invites list but emails of the wrong type answers 400 {"emails": [...]} and creates nothing', async () => {
    const { token } = await signUp(call);
    const org = await createOrganisation(call, token, 'Inviting');
    const res = await call('POST', `/api/v1/organisations/${org.id}/invite/`, {
      auth: token,
      body: { invites: [{ email: 'someone@example.com', role: 'USER' }], emails: 'abc' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ emails: ['Expected a list of items but got type "str".'] });
    const rows = await queryDatabase(
      t.databaseUrl,
      'SELECT id FROM organisation_invites WHERE organisation_id = $1',
      [org.id],
    );
    expect(rows).toEqual([]);
  });

  it('an organisation with a bad name answers 400 {"name": [...]}', async () => {
    const { token } = await signUp(call);
    for (const body of [
      {},
      { name: '' },
      { name: { x: 1 } },
      { name: 'ok', restrict_project_create_to_admin: 'x' },
    ]) {
      const res = await call('POST', '/api/v1/organisations/', { auth: token, body });
      expect(res.status).toBe(400);
      expect(Object.values(res.body as Record<string, unknown>).every(Array.isArray)).toBe(true);
    }
  });

  describe('members, invites and links', () => {
    it('an invite link lets a user join with the link role; a USER member may read but not update the organisation', async () => {
      const admin = await signUp(call);
      const org = await createOrganisation(call, admin.token, 'Team');
      const link = await call('POST', `/api/v1/organisations/${org.id}/invite-links/`, {
        auth: admin.token,
        body: { role: 'USER' },
      });
      expect(link.status).toBe(201);
      const member = await signUp(call);
      const joined = await call('POST', `/api/v1/users/join/link/${link.body.hash}/`, { auth: member.token });
      expect(joined.status).toBe(200);
      expect(joined.body).toMatchObject({ id: org.id, role: 'USER' });
      expect((await call('GET', `/api/v1/organisations/${org.id}/`, { auth: member.token })).status).toBe(
        200,
      );
      const patch = await call('PATCH', `/api/v1/organisations/${org.id}/`, {
        auth: member.token,
        body: { name: 'X' },
      });
      expect(patch.status).toBe(403);
      const users = await call('GET', `/api/v1/organisations/${org.id}/users/`, { auth: admin.token });
      expect(users.body.map((u: { id: number; role: string }) => [u.id, u.role])).toEqual([
        [admin.id, 'ADMIN'],
        [member.id, 'USER'],
      ]);
      const again = await call('POST', `/api/v1/users/join/link/${link.body.hash}/`, { auth: member.token });
      expect(again.status).toBe(400);
    });

    it("an expired invite link answers 400 with Flagsmith's InviteExpiredError body and joins nothing", async () => {
      const admin = await signUp(call);
      const org = await createOrganisation(call, admin.token, 'Expired');
      const link = await call('POST', `/api/v1/organisations/${org.id}/invite-links/`, {
        auth: admin.token,
        body: { role: 'ADMIN', expires_at: '2000-01-01T00:00:00Z' },
      });
      expect(link.status).toBe(201);
      const member = await signUp(call);
      const res = await call('POST', `/api/v1/users/join/link/${link.body.hash}/`, { auth: member.token });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ detail: 'Invite has expired' });
      expect((await call('GET', `/api/v1/organisations/${org.id}/`, { auth: member.token })).status).toBe(
        404,
      );
    });

    it('an email invite is joined once through its hash, adding the user to the invite groups', async () => {
      const admin = await signUp(call);
      const org = await createOrganisation(call, admin.token, 'Invites');
      const group = await call('POST', `/api/v1/organisations/${org.id}/groups/`, {
        auth: admin.token,
        body: { name: 'Devs' },
      });
      const email = uniqueEmail('invitee');
      const invite = await call('POST', `/api/v1/organisations/${org.id}/invites/`, {
        auth: admin.token,
        body: { email, role: 'ADMIN', permission_groups: [group.body.id] },
      });
      expect(invite.status).toBe(201);
      expect(invite.body).toMatchObject({ email, role: 'ADMIN', permission_groups: [group.body.id] });
      const [{ hash }] = await queryDatabase<{ hash: string }>(
        t.databaseUrl,
        'SELECT hash FROM organisation_invites WHERE id = $1',
        [invite.body.id],
      );
      const invitee = await signUp(call, email);
      const joined = await call('POST', `/api/v1/users/join/${hash}/`, { auth: invitee.token });
      expect(joined.status).toBe(200);
      expect(joined.body.role).toBe('ADMIN');
      const groups = await call('GET', `/api/v1/organisations/${org.id}/groups/${group.body.id}/`, {
        auth: admin.token,
      });
      expect(groups.body.users.map((u: { id: number }) => u.id)).toEqual([invitee.id]);
      expect((await call('POST', `/api/v1/users/join/${hash}/`, { auth: invitee.token })).status).toBe(404);
    });

    /** An ADMIN email invite for a fresh address, with its hash (only the invitee's email carries it). */
    async function adminInvite(email: string) {
      const admin = await signUp(call);
      const org = await createOrganisation(call, admin.token, 'Bound');
      const invite = await call('POST', `/api/v1/organisations/${org.id}/invites/`, {
        auth: admin.token,
        body: { email, role: 'ADMIN' },
      });
      expect(invite.status).toBe(201);
      const [{ hash }] = await queryDatabase<{ hash: string }>(
        t.databaseUrl,
        'SELECT hash FROM organisation_invites WHERE id = $1',
        [invite.body.id],
      );
      return { admin, org, hash };
    }

    it("an email invite's hash joined by a user of another email answers 400 and joins nothing; the invitee, in other case, still joins", async () => {
      const email = uniqueEmail('bound');
      const { admin, org, hash } = await adminInvite(email);
      const thief = await signUp(call);
      const refused = await call('POST', `/api/v1/users/join/${hash}/`, { auth: thief.token });
      expect(refused.status).toBe(400);
      expect(refused.body).toEqual({ detail: 'Registered email does not match invited email' });
      expect((await call('GET', `/api/v1/organisations/${org.id}/`, { auth: thief.token })).status).toBe(404);
      const users = await call('GET', `/api/v1/organisations/${org.id}/users/`, { auth: admin.token });
      expect(users.body.map((u: { id: number }) => u.id)).toEqual([admin.id]);
      // Flagsmith compares lower-cased emails; the refused attempt left the invite usable.
      const invitee = await signUp(call, email.toUpperCase());
      const joined = await call('POST', `/api/v1/users/join/${hash}/`, { auth: invitee.token });
      expect(joined.status).toBe(200);
      expect(joined.body).toMatchObject({ id: org.id, role: 'ADMIN' });
    });

    it("registration with an email invite's hash for another email answers 400 and creates no user", async () => {
      const email = uniqueEmail('bound');
      const { admin, org, hash } = await adminInvite(email);
      const thiefEmail = uniqueEmail('thief');
      const refused = await call('POST', '/api/v1/auth/users/', {
        body: {
          email: thiefEmail,
          password: PASSWORD,
          first_name: 'T',
          last_name: 'H',
          invite_hash: hash,
          sign_up_type: 'INVITE_EMAIL',
        },
      });
      expect(refused.status).toBe(400);
      expect(refused.body).toEqual({ detail: 'Registered email does not match invited email' });
      expect(
        await queryDatabase(t.databaseUrl, 'SELECT id FROM users WHERE lower(email) = lower($1)', [
          thiefEmail,
        ]),
      ).toEqual([]);
      const users = await call('GET', `/api/v1/organisations/${org.id}/users/`, { auth: admin.token });
      expect(users.body.map((u: { id: number }) => u.id)).toEqual([admin.id]);
      const invitee = await signUp(call, email, { invite_hash: hash, sign_up_type: 'INVITE_EMAIL' });
      const orgs = await call('GET', '/api/v1/organisations/', { auth: invitee.token });
      expect(orgs.body.results).toMatchObject([{ id: org.id, role: 'ADMIN' }]);
    });

    it('update-role makes a USER an ADMIN who may then update the organisation; remove-users takes access away', async () => {
      const admin = await signUp(call);
      const org = await createOrganisation(call, admin.token, 'Roles');
      const link = await call('POST', `/api/v1/organisations/${org.id}/invite-links/`, {
        auth: admin.token,
        body: {},
      });
      const member = await signUp(call);
      await call('POST', `/api/v1/users/join/link/${link.body.hash}/`, { auth: member.token });
      const bad = await call('POST', `/api/v1/organisations/${org.id}/users/${member.id}/update-role/`, {
        auth: admin.token,
        body: { role: 'OWNER' },
      });
      expect(bad.status).toBe(400);
      expect(bad.body.role).toEqual(['"OWNER" is not a valid choice.']);
      const res = await call('POST', `/api/v1/organisations/${org.id}/users/${member.id}/update-role/`, {
        auth: admin.token,
        body: { role: 'ADMIN' },
      });
      expect(res.status).toBe(200);
      expect(
        (
          await call('PATCH', `/api/v1/organisations/${org.id}/`, {
            auth: member.token,
            body: { name: 'Renamed' },
          })
        ).status,
      ).toBe(200);
      const removed = await call('POST', `/api/v1/organisations/${org.id}/remove-users/`, {
        auth: admin.token,
        body: [{ id: member.id }],
      });
      expect(removed.status).toBe(200);
      expect((await call('GET', `/api/v1/organisations/${org.id}/`, { auth: member.token })).status).toBe(
        404,
      );
    });
  });

  describe('permissions', () => {
    it('the permission key lists answer for any authenticated user', async () => {
      const { token } = await signUp(call);
      const orgKeys = await call('GET', '/api/v1/organisations/permissions/', { auth: token });
      expect(orgKeys.body.map((p: { key: string }) => p.key)).toEqual([
        'CREATE_PROJECT',
        'MANAGE_USER_GROUPS',
      ]);
      const projectKeys = await call('GET', '/api/v1/projects/permissions/', { auth: token });
      expect(projectKeys.body.map((p: { key: string }) => p.key)).toContain('CREATE_FEATURE');
      const envKeys = await call('GET', '/api/v1/environments/permissions/', { auth: token });
      expect(envKeys.body[0]).toEqual(
        expect.objectContaining({ key: 'VIEW_ENVIRONMENT', supports_tag: false }),
      );
      expect((await call('GET', '/api/v1/projects/permissions/')).status).toBe(401);
    });

    it('CREATE_PROJECT granted through a group lets a USER create projects unless the organisation restricts it', async () => {
      const admin = await signUp(call);
      const org = await createOrganisation(call, admin.token, 'Perms');
      const link = await call('POST', `/api/v1/organisations/${org.id}/invite-links/`, {
        auth: admin.token,
        body: {},
      });
      const member = await signUp(call);
      await call('POST', `/api/v1/users/join/link/${link.body.hash}/`, { auth: member.token });
      const create = () =>
        call('POST', '/api/v1/projects/', { auth: member.token, body: { name: 'P', organisation: org.id } });
      expect((await create()).status).toBe(403);
      const mine = await call('GET', `/api/v1/organisations/${org.id}/my-permissions/`, {
        auth: member.token,
      });
      expect(mine.body).toEqual({ permissions: [], admin: false, tag_based_permissions: [] });

      const group = await call('POST', `/api/v1/organisations/${org.id}/groups/`, {
        auth: admin.token,
        body: { name: 'Creators', users: [member.id] },
      });
      const grant = await call('POST', `/api/v1/organisations/${org.id}/user-group-permissions/`, {
        auth: admin.token,
        body: { group: group.body.id, permissions: ['CREATE_PROJECT'] },
      });
      expect(grant.status).toBe(201);
      expect((await create()).status).toBe(201);
      const after = await call('GET', `/api/v1/organisations/${org.id}/my-permissions/`, {
        auth: member.token,
      });
      expect(after.body.permissions).toEqual(['CREATE_PROJECT']);

      await call('PATCH', `/api/v1/organisations/${org.id}/`, {
        auth: admin.token,
        body: { restrict_project_create_to_admin: true },
      });
      expect((await create()).status).toBe(403);
    });

    it('a permission grant with an unknown key or a user from another organisation answers 400', async () => {
      const admin = await signUp(call);
      const outsider = await signUp(call);
      const org = await createOrganisation(call, admin.token, 'Grants');
      const badKey = await call('POST', `/api/v1/organisations/${org.id}/user-permissions/`, {
        auth: admin.token,
        body: { user: admin.id, permissions: ['FLY'] },
      });
      expect(badKey.status).toBe(400);
      const foreign = await call('POST', `/api/v1/organisations/${org.id}/user-permissions/`, {
        auth: admin.token,
        body: { user: outsider.id, permissions: ['CREATE_PROJECT'] },
      });
      expect(foreign.status).toBe(400);
      expect(foreign.body.user).toBeDefined();
    });
  });

  describe('master API keys', () => {
    it('an admin master key authenticates as organisation admin there only; revoked it answers 401', async () => {
      const admin = await signUp(call);
      const org = await createOrganisation(call, admin.token, 'Keys');
      const otherOrg = await createOrganisation(call, (await signUp(call)).token, 'Other');
      await createProject(call, admin.token, org.id, 'Keyed');
      const created = await call('POST', `/api/v1/organisations/${org.id}/master-api-keys/`, {
        auth: admin.token,
        body: { name: 'ci', is_admin: true },
      });
      expect(created.status).toBe(201);
      const key = created.body.key as string;
      expect(key.startsWith(`${created.body.prefix}.`)).toBe(true);
      const auth = `Api-Key ${key}`;
      const projects = await call('GET', `/api/v1/organisations/${org.id}/projects/`, { auth });
      expect(projects.status).toBe(200);
      expect(projects.body.map((p: { name: string }) => p.name)).toEqual(['Keyed']);
      expect((await call('GET', `/api/v1/organisations/${otherOrg.id}/`, { auth })).status).toBe(404);
      const listed = await call('GET', `/api/v1/organisations/${org.id}/master-api-keys/`, {
        auth: admin.token,
      });
      expect(listed.body.results[0]).not.toHaveProperty('key');
      expect(
        (
          await call('DELETE', `/api/v1/organisations/${org.id}/master-api-keys/${created.body.prefix}/`, {
            auth: admin.token,
          })
        ).status,
      ).toBe(204);
      expect((await call('GET', `/api/v1/organisations/${org.id}/projects/`, { auth })).status).toBe(401);
    });

    it('a master API key managing master API keys answers 401 for every method and changes nothing', async () => {
      const admin = await signUp(call);
      const org = await createOrganisation(call, admin.token, 'NoMint');
      const created = await call('POST', `/api/v1/organisations/${org.id}/master-api-keys/`, {
        auth: admin.token,
        body: { name: 'leaked', is_admin: true },
      });
      expect(created.status).toBe(201);
      const auth = `Api-Key ${created.body.key}`;
      const base = `/api/v1/organisations/${org.id}/master-api-keys/`;
      const detail = `${base}${created.body.prefix}/`;
      const attempts = [
        ['GET', base, undefined],
        ['POST', base, { name: 'replacement', is_admin: true }],
        ['GET', detail, undefined],
        ['PUT', detail, { name: 'renamed', is_admin: true }],
        ['PATCH', detail, { expiry_date: null }],
        ['DELETE', detail, undefined],
      ] as const;
      for (const [method, url, body] of attempts) {
        const res = await call(method, url, { auth, body });
        expect([method, url, res.status, res.body]).toEqual([
          method,
          url,
          401,
          { detail: 'Authentication credentials were not provided.' },
        ]);
      }
      const listed = await call('GET', base, { auth: admin.token });
      expect(listed.body.results).toMatchObject([
        { prefix: created.body.prefix, name: 'leaked', revoked: false },
      ]);
      // The key itself still works elsewhere.
      expect((await call('GET', `/api/v1/organisations/${org.id}/`, { auth })).status).toBe(200);
    });

    it('a revoked master API key stays revoked: PATCH/PUT revoked=false answer 404 and the key still answers 401', async () => {
      const admin = await signUp(call);
      const org = await createOrganisation(call, admin.token, 'Revoked');
      const created = await call('POST', `/api/v1/organisations/${org.id}/master-api-keys/`, {
        auth: admin.token,
        body: { name: 'old', is_admin: true },
      });
      const detail = `/api/v1/organisations/${org.id}/master-api-keys/${created.body.prefix}/`;
      const revoked = await call('PATCH', detail, { auth: admin.token, body: { revoked: true } });
      expect(revoked.status).toBe(200);
      expect(revoked.body.revoked).toBe(true);
      const auth = `Api-Key ${created.body.key}`;
      expect((await call('GET', `/api/v1/organisations/${org.id}/`, { auth })).status).toBe(401);
      for (const [method, body] of [
        ['PATCH', { revoked: false }],
        ['PUT', { name: 'old', revoked: false, is_admin: true }],
        ['GET', undefined],
      ] as const) {
        const res = await call(method, detail, { auth: admin.token, body });
        expect([method, res.status, res.body]).toEqual([method, 404, { detail: 'Not found.' }]);
      }
      const [row] = await queryDatabase<{ revoked: boolean }>(
        t.databaseUrl,
        'SELECT revoked FROM organisation_master_api_keys WHERE prefix = $1',
        [created.body.prefix],
      );
      expect(row.revoked).toBe(true);
      expect((await call('GET', `/api/v1/organisations/${org.id}/`, { auth })).status).toBe(401);
      const listed = await call('GET', `/api/v1/organisations/${org.id}/master-api-keys/`, {
        auth: admin.token,
      });
      expect(listed.body.results).toEqual([]);
    });
  });

  it('with RESTRICT_ORG_CREATE_TO_SUPERUSERS=true a normal user creating an organisation gets 403', async () => {
    const restricted = await startTestApp({ RESTRICT_ORG_CREATE_TO_SUPERUSERS: 'true' });
    try {
      const c = client(restricted);
      const superuser = await signUp(c, uniqueEmail('root'), { superuser: true });
      const normal = await signUp(c);
      expect(
        (await c('POST', '/api/v1/organisations/', { auth: normal.token, body: { name: 'N' } })).status,
      ).toBe(403);
      expect(
        (await c('POST', '/api/v1/organisations/', { auth: superuser.token, body: { name: 'S' } })).status,
      ).toBe(201);
      const login = await c('POST', '/api/v1/auth/login/', {
        body: { email: normal.email, password: PASSWORD },
      });
      expect(login.status).toBe(200);
    } finally {
      await restricted.close();
    }
  });
});
