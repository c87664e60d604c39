import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { forbidden } from '../../common/errors';
import { APP_CONFIG, AppConfig } from '../../config';
import { InvitesService } from '../../organisations/invites.service';
import { AccountsService, REGISTRATION_WITHOUT_INVITE_DETAIL } from '../../users/accounts.service';
import { AuthType, SignUpType, User } from '../../users/user.entity';
import { AuthService } from '../auth.service';
import { unusablePassword } from '../passwords';
import { ProviderProfile } from './oauth-providers';

export const INACTIVE_ACCOUNT_DETAIL = 'User account is disabled.';
export const SIGN_UP_TYPES: readonly SignUpType[] = ['NO_INVITE', 'INVITE_EMAIL', 'INVITE_LINK'];

export interface OAuthSignUpOptions {
  readonly inviteHash?: string;
  readonly signUpType?: SignUpType;
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
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly auth: AuthService,
    private readonly accounts: AccountsService,
    private readonly invites: InvitesService,
  ) {}

  async login(profile: ProviderProfile, options: OAuthSignUpOptions = {}): Promise<OAuthLogin> {
    try {
      return await this.dataSource.transaction((manager) => this.loginIn(manager, profile, options));
    } catch (err) {
      // Two first logins of the same new email at once: the loser finds the winner's account.
      if (!isUniqueViolation(err)) throw err;
      return this.dataSource.transaction((manager) => this.loginIn(manager, profile, options));
    }
  }

  private async loginIn(
    manager: EntityManager,
    profile: ProviderProfile,
    options: OAuthSignUpOptions,
  ): Promise<OAuthLogin> {
    const repo = manager.getRepository(User);
    const idColumn = profile.provider === 'github' ? 'github_user_id' : 'google_user_id';
    const existing = await repo
      .createQueryBuilder('u')
      .where('lower(u.email) = lower(:email)', { email: profile.email })
      .orderBy(`u.${idColumn}`, 'DESC', 'NULLS LAST')
      .getOne();

    if (existing) {
      if (!existing.isActive) throw forbidden(INACTIVE_ACCOUNT_DETAIL);
      if (profile.provider === 'github') existing.githubUserId = profile.id;
      else existing.googleUserId = profile.id;
      existing.authType = authTypeOf(existing);
      existing.lastLogin = new Date();
      await repo.update(
        { id: existing.id },
        {
          githubUserId: existing.githubUserId,
          googleUserId: existing.googleUserId,
          authType: existing.authType,
          lastLogin: existing.lastLogin,
        },
      );
      return { user: existing, key: await this.auth.tokenFor(existing, manager), isNewUser: false };
    }

    const inviteHash = options.inviteHash || undefined;
    const invited = await this.accounts.hasInvite(manager, profile.email, inviteHash);
    if ((this.config.PREVENT_SIGNUP || !this.config.ALLOW_REGISTRATION_WITHOUT_INVITE) && !invited) {
      throw forbidden(REGISTRATION_WITHOUT_INVITE_DETAIL);
    }
    const user = await repo.save(
      repo.create({
        email: profile.email.toLowerCase(),
        password: unusablePassword(),
        firstName: profile.firstName,
        lastName: profile.lastName,
        githubUserId: profile.provider === 'github' ? profile.id : null,
        googleUserId: profile.provider === 'google' ? profile.id : null,
        authType: profile.provider === 'github' ? 'GITHUB' : 'GOOGLE',
        signUpType: options.signUpType ?? (inviteHash ? 'INVITE_LINK' : 'NO_INVITE'),
        lastLogin: new Date(),
      }),
    );
    if (inviteHash) await this.invites.acceptInviteHash(manager, user, inviteHash);
    this.logger.log(`new ${profile.provider} user ${user.id}`);
    return { user, key: await this.auth.tokenFor(user, manager), isNewUser: true };
  }
}
