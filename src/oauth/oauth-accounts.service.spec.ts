import { QueryFailedError, type EntityManager } from 'typeorm';
import { PermissionDenied } from '../common/domain-errors';
import { FakeUnitOfWork } from '../common/unit-of-work.fake';
import type { InvitesService } from '../organisations/invites.service';
import type { AccountsService } from '../users/accounts.service';
import { REGISTRATION_WITHOUT_INVITE_DETAIL } from '../users/accounts.service';
import { User } from '../users/user.entity';
import type { UserColumns, UsersRepository } from '../users/users.repository';
import type { AuthService } from '../auth/auth.service';
import { isUsablePassword } from '../auth/passwords';
import { INACTIVE_ACCOUNT_DETAIL, OAuthAccountsService } from './oauth-accounts.service';
import type { ProviderProfile } from './oauth-providers';

/** The part of UsersRepository an OAuth login uses, in memory. */
class InMemoryUsers {
  readonly rows: User[] = [];
  /** Inserts that fail as a concurrent first login of the same email would (unique violation). */
  failInserts = 0;

  byEmailForProvider(_m: EntityManager, email: string) {
    return Promise.resolve(this.rows.find((u) => u.email.toLowerCase() === email.toLowerCase()) ?? null);
  }
  update(_m: EntityManager, id: number, columns: UserColumns) {
    Object.assign(
      this.rows.find((u) => u.id === id)!,
      columns,
    );
    return Promise.resolve();
  }
  hasInvite() {
    return Promise.resolve(false);
  }
  insert(_m: EntityManager, fields: UserColumns & { email: string; password: string }) {
    if (this.failInserts-- > 0) {
      this.add({ email: fields.email, password: '!' }); // the winner's row
      const violation = new QueryFailedError('INSERT', [], new Error('duplicate key'));
      (violation.driverError as { code?: string }).code = '23505';
      return Promise.reject(violation);
    }
    return Promise.resolve(this.add(fields));
  }
  add(fields: Partial<User>): User {
    const user = Object.assign(
      new User(),
      { isActive: true, githubUserId: null, googleUserId: null },
      fields,
      {
        id: this.rows.length + 1,
      },
    );
    this.rows.push(user);
    return user;
  }
}

const profile: ProviderProfile = {
  provider: 'github',
  id: 'gh-42',
  email: 'Ada@Example.com',
  firstName: 'Ada',
  lastName: 'L',
};

function setup(inviteOnly = false) {
  const users = new InMemoryUsers();
  const uow = new FakeUnitOfWork();
  const service = new OAuthAccountsService(
    users as unknown as UsersRepository,
    uow.asUnitOfWork(),
    { tokenFor: (u: User) => Promise.resolve(`token-${u.id}`) } as unknown as AuthService,
    { inviteOnly: () => inviteOnly } as unknown as AccountsService,
    {} as InvitesService,
  );
  return { users, uow, service };
}

describe('OAuthAccountsService.login', () => {
  it('a new email → a GitHub account (lower-cased email, no usable password), unaudited', async () => {
    const { service, users, uow } = setup();
    const login = await service.login(profile);
    expect(login).toMatchObject({ key: 'token-1', isNewUser: true });
    expect(users.rows[0]).toMatchObject({
      email: 'ada@example.com',
      githubUserId: 'gh-42',
      authType: 'GITHUB',
    });
    expect(isUsablePassword(users.rows[0].password)).toBe(false);
    expect(uow.committed.map((r) => r.auditEntries)).toEqual([[]]);
  });

  it('an existing email account → linked to the provider id, auth type from the ids, not new', async () => {
    const { service, users } = setup();
    users.add({ email: 'ada@example.com', password: 'x', googleUserId: 'g-1', authType: 'GOOGLE' });
    const login = await service.login(profile);
    expect(login.isNewUser).toBe(false);
    // Google wins over GitHub when the account has both.
    expect(users.rows[0]).toMatchObject({ githubUserId: 'gh-42', authType: 'GOOGLE' });
    expect(users.rows[0].lastLogin).toBeInstanceOf(Date);
  });

  it('an inactive account → 403 "User account is disabled."', async () => {
    const { service, users } = setup();
    users.add({ email: 'ada@example.com', password: 'x', isActive: false });
    await expect(service.login(profile)).rejects.toEqual(new PermissionDenied(INACTIVE_ACCOUNT_DETAIL));
  });

  it('a new email on an invite-only install without an invite → 403, no account', async () => {
    const { service, users } = setup(true);
    await expect(service.login(profile)).rejects.toEqual(
      new PermissionDenied(REGISTRATION_WITHOUT_INVITE_DETAIL),
    );
    expect(users.rows).toEqual([]);
  });

  it('losing a race to create the same new account → runs again and signs in to the winner’s account', async () => {
    const { service, users } = setup();
    users.failInserts = 1;
    const login = await service.login(profile);
    expect(login).toMatchObject({ isNewUser: false, key: 'token-1' });
    expect(users.rows).toHaveLength(1);
  });
});
