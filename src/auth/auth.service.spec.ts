import { MasterApiKey } from '../organisations/organisation.entity';
import { User } from '../users/user.entity';
import { AuthService } from './auth.service';
import { hashApiKey } from './credentials';
import { InMemoryCredentials } from './credentials.memory';

const user = (id: number, isActive = true) => ({ id, email: `u${id}@x.io`, isActive }) as User;
const masterKey = (plaintext: string, overrides: Partial<MasterApiKey> = {}) =>
  ({
    id: 7,
    prefix: plaintext.split('.')[0],
    hashedKey: hashApiKey(plaintext),
    revoked: false,
    expiryDate: null,
    ...overrides,
  }) as MasterApiKey;

function auth() {
  const users = new Map([
    [1, user(1)],
    [2, user(2, false)],
  ]);
  const store = new InMemoryCredentials(users);
  return { store, service: new AuthService(store) };
}

describe('AuthService.authenticate with Token', () => {
  it('a token issued by tokenFor → the user principal', async () => {
    const a = auth();
    const key = await a.service.tokenFor(user(1));
    expect(await a.service.authenticate(`Token ${key}`)).toMatchObject({
      ok: true,
      principal: { kind: 'user', user: { id: 1 }, tokenKey: key },
    });
  });

  it('the scheme in any case and surrounding spaces → accepted', async () => {
    const a = auth();
    const key = await a.service.tokenFor(user(1));
    expect((await a.service.authenticate(`  tOkEn   ${key}  `)).ok).toBe(true);
  });

  it('an unknown token → "Invalid token."', async () => {
    expect(await auth().service.authenticate('Token nope')).toEqual({ ok: false, detail: 'Invalid token.' });
  });

  it('a token with extra characters after a valid one → "Invalid token."', async () => {
    const a = auth();
    const key = await a.service.tokenFor(user(1));
    expect(await a.service.authenticate(`Token ${key}x`)).toEqual({ ok: false, detail: 'Invalid token.' });
  });

  it('the token of an inactive user → "User inactive or deleted."', async () => {
    const a = auth();
    const key = await a.service.tokenFor(user(2));
    expect(await a.service.authenticate(`Token ${key}`)).toEqual({
      ok: false,
      detail: 'User inactive or deleted.',
    });
  });

  it('a deleted token → "Invalid token."', async () => {
    const a = auth();
    const key = await a.service.tokenFor(user(1));
    await a.service.deleteToken(key);
    expect((await a.service.authenticate(`Token ${key}`)).ok).toBe(false);
  });
});

describe('AuthService.authenticate without usable credentials', () => {
  it.each([
    [undefined, 'Authentication credentials were not provided.'],
    ['', 'Authentication credentials were not provided.'],
    ['Basic abc', 'Authentication credentials were not provided.'],
    ['Bearer abc', 'Authentication credentials were not provided.'],
    ['Token a b', 'Authentication credentials were not provided.'],
    ['Token', 'Invalid token header. No credentials provided.'],
    ['Api-Key  ', 'Invalid token header. No credentials provided.'],
  ])('header %p → %p', async (header, detail) => {
    expect(await auth().service.authenticate(header)).toEqual({ ok: false, detail });
  });
});

describe('AuthService.authenticate with Api-Key', () => {
  const plaintext = 'AbCd1234.secret-part';

  it('a stored, unrevoked, unexpired key → the master key principal', async () => {
    const a = auth();
    a.store.masterKeys.set('AbCd1234', masterKey(plaintext));
    expect(await a.service.authenticate(`Api-Key ${plaintext}`)).toMatchObject({
      ok: true,
      principal: { kind: 'master_key', key: { id: 7 } },
    });
  });

  it.each([
    ['the wrong secret for a known prefix', 'AbCd1234.other', {}],
    ['a revoked key', plaintext, { revoked: true }],
    ['a key past its expiry date', plaintext, { expiryDate: new Date(Date.now() - 1000) }],
    ['a prefix that is not 8 characters', 'AbC.secret', {}],
  ])('%s → "Invalid API key."', async (_name, presented, overrides) => {
    const a = auth();
    a.store.masterKeys.set('AbCd1234', masterKey(plaintext, overrides));
    expect(await a.service.authenticate(`Api-Key ${presented}`)).toEqual({
      ok: false,
      detail: 'Invalid API key.',
    });
  });

  it('a key whose expiry date is still ahead → accepted', async () => {
    const a = auth();
    a.store.masterKeys.set('AbCd1234', masterKey(plaintext, { expiryDate: new Date(Date.now() + 60_000) }));
    expect((await a.service.authenticate(`Api-Key ${plaintext}`)).ok).toBe(true);
  });
});

describe('AuthService.tokenFor', () => {
  it('a user with a token → the same token every time', async () => {
    const a = auth();
    const first = await a.service.tokenFor(user(1));
    expect(await a.service.tokenFor(user(1))).toBe(first);
    expect(first).toMatch(/^[0-9a-f]{40}$/);
  });
});
