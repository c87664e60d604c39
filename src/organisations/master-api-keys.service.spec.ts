import { hashApiKey } from '../auth/auth.service';
import { NotFound } from '../common/domain-errors';
import { inMemoryOrganisationServices } from './testing/in-memory';

function setUp() {
  const app = inMemoryOrganisationServices();
  return { ...app, org: app.store.organisation() };
}

describe('MasterApiKeysService', () => {
  it('a new key is returned in plaintext once, stored only as its hash, and found by its prefix', async () => {
    const { keys, store, org } = setUp();
    const { key, plaintext } = await keys.create(org.id, { name: 'ci', expiry_date: null, is_admin: true });

    expect(plaintext.startsWith(`${key.prefix}.`)).toBe(true);
    expect(store.keys[0].hashedKey).toBe(hashApiKey(plaintext));
    expect(JSON.stringify(store.keys)).not.toContain(plaintext);
    expect((await keys.get(org.id, key.prefix)).id).toBe(key.id);
  });

  it('revoked: false never un-revokes, and a key revoked meanwhile answers not found', async () => {
    const { keys, org } = setUp();
    const { key } = await keys.create(org.id, { name: 'ci', expiry_date: null, is_admin: true });
    await keys.revoke(key);

    await expect(keys.update(key, { revoked: false, name: 'back' })).rejects.toBeInstanceOf(NotFound);
    await expect(keys.get(org.id, key.prefix)).rejects.toBeInstanceOf(NotFound);
    expect(await keys.list(org.id)).toEqual([]);
  });

  it('an update of a live key writes the fields sent, and revoked: true revokes it', async () => {
    const { keys, org } = setUp();
    const { key } = await keys.create(org.id, { name: 'ci', expiry_date: null, is_admin: true });

    const renamed = await keys.update(key, { name: 'deploy', revoked: false });
    expect(renamed).toMatchObject({ name: 'deploy', isAdmin: true, revoked: false });
    expect((await keys.update(key, { revoked: true })).revoked).toBe(true);
  });

  it("a prefix longer than 8 characters or another organisation's key is not found", async () => {
    const { keys, store, org } = setUp();
    const { key } = await keys.create(org.id, { name: 'ci', expiry_date: null, is_admin: true });
    await expect(keys.get(org.id, `${key.prefix}x`)).rejects.toBeInstanceOf(NotFound);
    await expect(keys.get(store.organisation('Other').id, key.prefix)).rejects.toBeInstanceOf(NotFound);
  });
});
