import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuthService } from '../auth/auth.service';
import { LOCKED_OUT_DETAIL, LoginLockoutService } from '../auth/login-lockout.service';
import {
  checkResetToken,
  decodeUid,
  encodeUid,
  hashPassword,
  isUsablePassword,
  makeResetToken,
  passwordProblems,
  unusablePassword,
  verifyLoginPassword,
  verifyPassword,
} from '../auth/passwords';
import type { Principal } from '../auth/principal';
import {
  BadRequest,
  DomainError,
  NotFound,
  PermissionDenied,
  ValidationFailed,
} from '../common/domain-errors';
import { UnitOfWork } from '../common/unit-of-work';
import { MESSAGES } from '../common/drf-values';
import { APP_CONFIG, AppConfig } from '../config';
import { EmailService } from '../email/email.service';
import { SiteLinks } from '../email/site-links';
import { activationEmail, passwordResetEmail } from '../email/templates';
import { InvitesService } from '../organisations/invites.service';
import { ResetEmailQuotaService } from '../throttling/reset-email-quota.service';
import { User } from './user.entity';
import type {
  ActivationInput,
  AdminUserInput,
  AdminUserUpdateInput,
  DeleteMeInput,
  LoginInput,
  RegisterInput,
  ResetConfirmInput,
  SetPasswordInput,
  UpdateMeInput,
} from './user.schemas';
import { UserColumns, UsersRepository } from './users.repository';
import { MfaChallenge, MFA_MESSAGES, MfaRefused, MfaService } from './mfa/mfa.service';
import type { CodeLoginInput } from './mfa/mfa.schemas';

const ALLOW_ANY = 'rest_framework.permissions.AllowAny';
export const REGISTRATION_WITHOUT_INVITE_DETAIL =
  'User registration without an invite is disabled for this installation.';
export const EMAIL_TAKEN = 'Email already exists. Please log in.';
/** Accounts are not in Flagsmith's audit log: their writes run unaudited, as there. */
export const ACCOUNTS_UNAUDITED = 'user accounts are not audited, as in Flagsmith';

/** The columns an admin write of an account sets (only those sent). */
function adminUserColumns(input: AdminUserUpdateInput): UserColumns {
  const columns: UserColumns = {};
  if (input.first_name !== undefined) columns.firstName = input.first_name;
  if (input.last_name !== undefined) columns.lastName = input.last_name;
  if (input.is_active !== undefined) columns.isActive = input.is_active;
  if (input.is_staff !== undefined) columns.isStaff = input.is_staff;
  if (input.is_superuser !== undefined) columns.isSuperuser = input.is_superuser;
  if (input.auth_type !== undefined) columns.authType = input.auth_type;
  return columns;
}

/** An account in an audit record: never its password. */
function adminUserJson(user: User) {
  return {
    id: user.id,
    email: user.email,
    first_name: user.firstName,
    last_name: user.lastName,
    is_active: user.isActive,
    is_staff: user.isStaff,
    is_superuser: user.isSuperuser,
    auth_type: user.authType,
  };
}

/** Flagsmith answers a taken email with a bare string under the field, not a list: `{"email": "…"}`. */
export class EmailTaken extends DomainError {
  readonly status = 400;
  constructor() {
    super(EMAIL_TAKEN);
  }
  body(): object {
    return { email: EMAIL_TAKEN };
  }
}

/** Registration, login, password changes and resets, self-service profile (docs/contracts/admin-api.md §1). */
@Injectable()
export class AccountsService {
  constructor(
    private readonly users: UsersRepository,
    private readonly uow: UnitOfWork,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly auth: AuthService,
    private readonly lockout: LoginLockoutService,
    private readonly resetEmails: ResetEmailQuotaService,
    private readonly email: EmailService,
    private readonly invites: InvitesService,
    private readonly links: SiteLinks,
    private readonly mfa: MfaService,
  ) {}

  /** Who may call POST /auth/users/ (USER_CREATE_PERMISSIONS). */
  mayRegister(caller: Principal | undefined): boolean {
    if (this.config.USER_CREATE_PERMISSIONS.includes(ALLOW_ANY)) return true;
    return caller?.kind === 'user' && (caller.user.isSuperuser || caller.user.isStaff);
  }

  /** Whether sign-ups are closed to people without an invite (PREVENT_SIGNUP / ALLOW_REGISTRATION_WITHOUT_INVITE). */
  inviteOnly(): boolean {
    return this.config.PREVENT_SIGNUP || !this.config.ALLOW_REGISTRATION_WITHOUT_INVITE;
  }

  async register(input: RegisterInput): Promise<{ user: User; key: string }> {
    // djoser's validate(): after the fields, so only a well-formed sign-up is told about its password.
    const problems = passwordProblems(input.password, input.email);
    if (problems.length) throw ValidationFailed.field('password', ...problems);
    const inviteHash = input.invite_hash ?? undefined;
    const superuser = input.superuser ?? false;
    const created = await this.uow.run(
      async (tx) => {
        if (await this.users.byEmail(input.email, tx.manager)) throw new EmailTaken();
        const invited = await this.users.hasInvite(tx.manager, input.email, inviteHash);
        if (this.inviteOnly() && !invited) throw new PermissionDenied(REGISTRATION_WITHOUT_INVITE_DETAIL);
        if (superuser && (await this.users.count(tx.manager)) > 0)
          throw ValidationFailed.field('superuser', 'A superuser can only be created when no users exist.');
        const user = await this.users.insert(tx.manager, {
          email: input.email,
          password: await hashPassword(input.password),
          firstName: input.first_name ?? '',
          lastName: input.last_name ?? '',
          signUpType: input.sign_up_type ?? (inviteHash ? 'INVITE_LINK' : 'NO_INVITE'),
          marketingConsentGiven: input.marketing_consent_given ?? true,
          isSuperuser: superuser,
          isStaff: superuser,
          // ENABLE_EMAIL_ACTIVATION: inactive until the emailed link is followed (not the first superuser).
          isActive: !this.config.ENABLE_EMAIL_ACTIVATION || superuser,
          lastLogin: new Date(),
        });
        if (inviteHash) await this.invites.acceptInviteHash(tx.manager, user, inviteHash);
        return { user, key: await this.auth.tokenFor(user, tx.manager) };
      },
      { unaudited: ACCOUNTS_UNAUDITED },
    );
    if (!created.user.isActive) await this.sendActivation(created.user);
    return created;
  }

  private async sendActivation(user: User): Promise<void> {
    const url = await this.links.link(`activate/${this.resetPath(user)}`);
    await this.email.send({ to: user.email, ...activationEmail(url) });
  }

  /** POST /auth/users/activation/ (djoser): the uid/token of the activation email make the account active. */
  async activate(input: ActivationInput): Promise<void> {
    await this.uow.run(
      async (tx) => {
        const user = await this.tokenUser(input, (id) => this.users.lock(tx.manager, id));
        if (user.isActive) throw new PermissionDenied('Stale token for given user.');
        await this.users.update(tx.manager, user.id, { isActive: true });
      },
      { unaudited: ACCOUNTS_UNAUDITED },
    );
  }

  /** POST /auth/users/resend_activation/ (djoser): 204 whatever the email; only inactive accounts get one. */
  async resendActivation(email: string): Promise<void> {
    const user = await this.users.byEmail(email);
    if (user && !user.isActive) await this.sendActivation(user);
  }

  /** The refusal of resend_activation when activation is off (checked before the body, as djoser does). */
  assertActivationEnabled(): void {
    if (!this.config.ENABLE_EMAIL_ACTIVATION) throw new BadRequest('Email activation is not enabled.');
  }

  /** The token, or (the user has two-factor authentication) the challenge POST /auth/login/code/ completes. */
  async login(input: LoginInput, ip: string): Promise<{ key: string } | MfaChallenge> {
    const attempt = await this.lockout.attempt(input.email, ip, async () => {
      const user = await this.users.byEmail(input.email);
      // The same hash work whether or not the account exists (no enumeration by timing).
      const ok = await verifyLoginPassword(input.password, user?.isActive ? user.password : undefined);
      return ok && user ? user : null;
    });
    if (attempt.outcome === 'locked' || (attempt.outcome === 'rejected' && attempt.locked))
      throw new PermissionDenied(LOCKED_OUT_DETAIL);
    if (attempt.outcome === 'rejected')
      throw ValidationFailed.field('non_field_errors', 'Unable to log in with provided credentials.');
    const challenge = await this.mfa.challenge(attempt.value);
    return challenge ?? { key: await this.signIn(attempt.value) };
  }

  /** POST /auth/login/code/: the ephemeral token of a password login and a TOTP or backup code. */
  async loginWithCode(input: CodeLoginInput, ip: string): Promise<string> {
    const result = await this.mfa.secondFactor(input.ephemeral_token, input.code, ip);
    if (result.outcome === 'invalid_token') throw new MfaRefused(401, MFA_MESSAGES.invalidToken);
    if (result.outcome === 'locked' || (result.outcome === 'rejected' && result.locked))
      throw new PermissionDenied(LOCKED_OUT_DETAIL);
    if (result.outcome === 'rejected') throw new MfaRefused(401, MFA_MESSAGES.invalidCode);
    return this.signIn(result.user);
  }

  /** The user's token, with last_login set. */
  private signIn(user: User): Promise<string> {
    return this.uow.run(
      async (tx) => {
        await this.users.update(tx.manager, user.id, { lastLogin: new Date() });
        return this.auth.tokenFor(user, tx.manager);
      },
      { unaudited: 'last_login is not audited, as in Flagsmith' },
    );
  }

  /** PUT (every field optional anyway) or PATCH of the caller's own profile. */
  async updateMe(user: User, input: UpdateMeInput): Promise<User> {
    const columns: UserColumns = {};
    if (input.first_name !== undefined) columns.firstName = input.first_name;
    if (input.last_name !== undefined) columns.lastName = input.last_name;
    if (input.marketing_consent_given !== undefined)
      columns.marketingConsentGiven = input.marketing_consent_given;
    return this.uow.run(
      async (tx) => {
        await this.users.update(tx.manager, user.id, columns);
        const saved = await this.users.byId(user.id, tx.manager);
        if (!saved) throw new NotFound();
        return saved;
      },
      { unaudited: ACCOUNTS_UNAUDITED },
    );
  }

  async deleteMe(user: User, input: DeleteMeInput): Promise<void> {
    const usable = isUsablePassword(user.password);
    if (usable && input.current_password === undefined)
      throw ValidationFailed.field('current_password', MESSAGES.required);
    if (usable && !(await verifyPassword(input.current_password ?? '', user.password)))
      throw ValidationFailed.field('current_password', 'Invalid password.');
    await this.uow.run(
      (tx) => this.users.delete(tx.manager, user.id, input.delete_orphan_organisations ?? true),
      {
        unaudited: ACCOUNTS_UNAUDITED,
      },
    );
  }

  async setPassword(user: User, input: SetPasswordInput): Promise<void> {
    await this.uow.run(
      async (tx) => {
        // Checked against the password as stored now: two concurrent changes cannot both pass.
        const current = await this.users.lock(tx.manager, user.id);
        if (!current || !(await verifyPassword(input.current_password, current.password)))
          throw ValidationFailed.field('current_password', 'Invalid password.');
        await this.changePassword(tx.manager, current, input.new_password, input.re_new_password);
        user.password = current.password;
      },
      { unaudited: ACCOUNTS_UNAUDITED },
    );
  }

  private async changePassword(
    manager: EntityManager,
    user: User,
    next: string,
    again: string,
  ): Promise<void> {
    if (next !== again)
      throw ValidationFailed.field('non_field_errors', "The two password fields didn't match.");
    const problems = passwordProblems(next, user.email);
    if (problems.length) throw ValidationFailed.field('new_password', ...problems);
    user.password = await hashPassword(next);
    await this.users.update(manager, user.id, { password: user.password });
  }

  /** Always 204 for a well-formed email; sends the reset link to active users only. */
  async requestReset(email: string): Promise<void> {
    const user = await this.users.byEmail(email);
    if (!user || !user.isActive) return;
    if (!(await this.resetEmails.claim(user.id))) return;
    const link = await this.links.link(`password-reset/confirm/${this.resetPath(user)}`);
    await this.email.send({ to: user.email, ...passwordResetEmail(link) });
  }

  /** `<uid>/<token>` of a password-reset link for this user. */
  resetPath(user: User): string {
    return `${encodeUid(user.id)}/${makeResetToken(this.config.secretKey, user)}`;
  }

  async confirmReset(input: ResetConfirmInput): Promise<void> {
    const email = await this.uow.run(
      async (tx) => {
        // The token is derived from the stored password: checked on the locked row, it is used once.
        const user = await this.tokenUser(input, (id) => this.users.lock(tx.manager, id));
        await this.changePassword(tx.manager, user, input.new_password, input.re_new_password);
        return user.email;
      },
      { unaudited: ACCOUNTS_UNAUDITED },
    );
    await this.lockout.unlock(email);
  }

  // ---- the admin panel (Flagsmith's Django admin: no API route). Superusers change who may do what here, so
  // these writes are audited, unlike the self-service ones.

  /** A new account with an unusable password (its owner sets one through a password reset). */
  createByAdmin(principal: Principal, input: AdminUserInput): Promise<User> {
    return this.uow.run(async (tx) => {
      if (await this.users.byEmail(input.email, tx.manager)) throw new EmailTaken();
      const user = await this.users.insert(tx.manager, {
        email: input.email,
        password: unusablePassword(),
        ...adminUserColumns(input),
      });
      tx.audit({ log: `User created (admin panel): ${user.email}`, principal, after: adminUserJson(user) });
      return user;
    });
  }

  /** Writes the fields sent, on the locked row; an email taken by another account is refused. */
  updateByAdmin(principal: Principal, id: number, input: AdminUserUpdateInput): Promise<User> {
    return this.uow.run(async (tx) => {
      const current = await this.users.lock(tx.manager, id);
      if (!current) throw new NotFound();
      if (input.email !== undefined) {
        const clash = await this.users.byEmail(input.email, tx.manager);
        if (clash && clash.id !== id) throw new EmailTaken();
      }
      await this.users.update(tx.manager, id, {
        ...(input.email !== undefined ? { email: input.email } : {}),
        ...adminUserColumns(input),
      });
      const saved = (await this.users.byId(id, tx.manager))!;
      tx.audit({
        log: `User updated (admin panel): ${saved.email}`,
        principal,
        before: adminUserJson(current),
        after: adminUserJson(saved),
      });
      return saved;
    });
  }

  /** Deletes the account (organisations it leaves empty stay: the panel deletes those itself). */
  deleteByAdmin(principal: Principal, id: number): Promise<void> {
    return this.uow.run(async (tx) => {
      const current = await this.users.lock(tx.manager, id);
      if (!current) throw new NotFound();
      await this.users.delete(tx.manager, id, false);
      tx.audit({
        log: `User deleted (admin panel): ${current.email}`,
        principal,
        before: adminUserJson(current),
      });
    });
  }

  /** The panel's "Unlock login": clears the failed logins counting against the account, audited. */
  unlockLogin(principal: Principal, user: Pick<User, 'id' | 'email'>): Promise<number> {
    return this.uow.run(async (tx) => {
      const cleared = await this.lockout.unlock(user.email, tx.manager);
      tx.audit({ log: `User login unlocked (admin panel): ${user.email}`, principal, after: { cleared } });
      return cleared;
    });
  }

  /** The user a djoser uid/token pair stands for, or the field error djoser gives. */
  private async tokenUser(
    input: { uid: string; token: string },
    load: (id: number) => Promise<User | null>,
  ): Promise<User> {
    const id = decodeUid(input.uid);
    const user = id ? await load(id) : null;
    if (!user) throw ValidationFailed.field('uid', "Invalid user id or user doesn't exist.");
    if (!checkResetToken(this.config.secretKey, user, input.token))
      throw ValidationFailed.field('token', 'Invalid token for given user.');
    return user;
  }

  /** FLAGSMITH_DOMAIN or the first-run site domain as a URL ('' when neither is set). */
  siteUrl(): Promise<string> {
    return this.links.siteUrl();
  }
}
