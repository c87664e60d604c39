import { Injectable, Logger } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { PermissionDenied } from '../common/domain-errors';
import { UnitOfWork, WriteContext } from '../common/unit-of-work';
import { InvitesService } from '../organisations/invites.service';
import {
  ACCOUNTS_UNAUDITED,
  AccountsService,
  REGISTRATION_WITHOUT_INVITE_DETAIL,
} from '../users/accounts.service';
import type { AuthType, User } from '../users/user.entity';
import type { SignUpTypeValue } from '../users/user.schemas';
import { UsersRepository } from '../users/users.repository';
import { AuthService } from '../auth/auth.service';
import { unusablePassword } from '../auth/passwords';
import { ProviderProfile } from './oauth-providers';

export const INACTIVE_ACCOUNT_DETAIL = 'User account is disabled.';

export interface OAuthSignUpOptions {
  readonly inviteHash?: string;
  readonly signUpType?: SignUpTypeValue;
}

export interface OAuthLogin {
  readonly user: User;
  readonly key: string;
  readonly isNewUser: boolean;
}

/** Flagsmith's auth type is derived from the provider ids a user has: Google wins over GitHub, else email. */
export function authTypeOf(user: Pick<User, 'googleUserId' | 'githubUserId'>): AuthType {
  if (user.googleUserId) return 'GOOGLE';
  if (user.githubUserId) return 'GITHUB';
  return 'EMAIL';
}

const isUniqueViolation = (err: unknown): boolean =>
  err instanceof QueryFailedError && (err.driverError as { code?: unknown } | undefined)?.code === '23505';

/**
 * Turns a provider identity into a Flagsmith user and API token (Flagsmith's OAuthLoginSerializer rules):
 * the verified email finds an existing account (case-insensitively), which is linked to the provider id;
 * otherwise a new account is created, subject to PREVENT_SIGNUP / ALLOW_REGISTRATION_WITHOUT_INVITE and invites,
 * and an invite hash given with the sign-up joins its organisation.
 */
@Injectable()
export class OAuthAccountsService {
  private readonly logger = new Logger('OAuth');

  constructor(
    private readonly users: UsersRepository,
    private readonly uow: UnitOfWork,
    private readonly auth: AuthService,
    private readonly accounts: AccountsService,
    private readonly invites: InvitesService,
  ) {}

  async login(profile: ProviderProfile, options: OAuthSignUpOptions = {}): Promise<OAuthLogin> {
    const run = () =>
      this.uow.run((tx) => this.loginIn(tx, profile, options), { unaudited: ACCOUNTS_UNAUDITED });
    try {
      return await run();
    } catch (err) {
      // Two first logins of the same new email at once: the loser finds the winner's account.
      if (!isUniqueViolation(err)) throw err;
      return run();
    }
  }

  private async loginIn(
    tx: WriteContext,
    profile: ProviderProfile,
    options: OAuthSignUpOptions,
  ): Promise<OAuthLogin> {
    const existing = await this.users.byEmailForProvider(tx.manager, profile.email, profile.provider);
    if (existing) {
      if (!existing.isActive) throw new PermissionDenied(INACTIVE_ACCOUNT_DETAIL);
      if (profile.provider === 'github') existing.githubUserId = profile.id;
      else existing.googleUserId = profile.id;
      existing.authType = authTypeOf(existing);
      existing.lastLogin = new Date();
      await this.users.update(tx.manager, existing.id, {
        githubUserId: existing.githubUserId,
        googleUserId: existing.googleUserId,
        authType: existing.authType,
        lastLogin: existing.lastLogin,
      });
      return { user: existing, key: await this.auth.tokenFor(existing, tx.manager), isNewUser: false };
    }

    const inviteHash = options.inviteHash || undefined;
    const invited = await this.users.hasInvite(tx.manager, profile.email, inviteHash);
    if (this.accounts.inviteOnly() && !invited)
      throw new PermissionDenied(REGISTRATION_WITHOUT_INVITE_DETAIL);
    const user = await this.users.insert(tx.manager, {
      email: profile.email.toLowerCase(),
      password: unusablePassword(),
      firstName: profile.firstName,
      lastName: profile.lastName,
      githubUserId: profile.provider === 'github' ? profile.id : null,
      googleUserId: profile.provider === 'google' ? profile.id : null,
      authType: profile.provider === 'github' ? 'GITHUB' : 'GOOGLE',
      signUpType: options.signUpType ?? (inviteHash ? 'INVITE_LINK' : 'NO_INVITE'),
      lastLogin: new Date(),
    });
    if (inviteHash) await this.invites.acceptInviteHash(tx.manager, user, inviteHash);
    this.logger.log(`new ${profile.provider} user ${user.id}`);
    return { user, key: await this.auth.tokenFor(user, tx.manager), isNewUser: true };
  }
}
