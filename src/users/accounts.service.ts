import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
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
  verifyLoginPassword,
  verifyPassword,
} from '../auth/passwords';
import { Principal } from '../auth/principal';
import { badRequestDetail, fieldError, forbidden } from '../common/errors';
import { BodyReader } from '../common/validation';
import { APP_CONFIG, AppConfig } from '../config';
import { EmailService } from '../email/email.service';
import { SiteLinks } from '../email/site-links';
import { activationEmail, passwordResetEmail } from '../email/templates';
import { Invite, InviteLink, OrganisationMembership } from '../organisations/organisation.entity';
import { InvitesService } from '../organisations/invites.service';
import { ResetEmailQuotaService } from '../throttling/reset-email-quota.service';
import { SignUpType, User } from './user.entity';

const SIGN_UP_TYPES: readonly SignUpType[] = ['NO_INVITE', 'INVITE_EMAIL', 'INVITE_LINK'];
const ALLOW_ANY = 'rest_framework.permissions.AllowAny';
export const REGISTRATION_WITHOUT_INVITE_DETAIL =
  'User registration without an invite is disabled for this installation.';

/** Registration, login, password changes and resets, self-service profile (docs/contracts/admin-api.md §1). */
@Injectable()
export class AccountsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly auth: AuthService,
    private readonly lockout: LoginLockoutService,
    private readonly resetEmails: ResetEmailQuotaService,
    private readonly email: EmailService,
    private readonly invites: InvitesService,
    private readonly links: SiteLinks,
  ) {}

  findByEmail(email: string, manager: EntityManager = this.dataSource.manager): Promise<User | null> {
    return manager
      .getRepository(User)
      .createQueryBuilder('u')
      .where('lower(u.email) = lower(:email)', { email })
      .getOne();
  }

  /** Who may call POST /auth/users/ (USER_CREATE_PERMISSIONS). */
  mayRegister(caller: Principal | undefined): boolean {
    if (this.config.USER_CREATE_PERMISSIONS.includes(ALLOW_ANY)) return true;
    return caller?.kind === 'user' && (caller.user.isSuperuser || caller.user.isStaff);
  }

  async register(body: unknown): Promise<{ user: User; key: string }> {
    const v = new BodyReader(body);
    const email = v.email('email');
    const password = v.string('password', { trim: false, maxLength: 128 });
    const firstName = v.string('first_name', { maxLength: 150, optional: true, allowBlank: true }) ?? '';
    const lastName = v.string('last_name', { maxLength: 150, optional: true, allowBlank: true }) ?? '';
    const signUpType = v.choice('sign_up_type', SIGN_UP_TYPES, { optional: true, nullable: true });
    const inviteHash = v.string('invite_hash', { optional: true, nullable: true, maxLength: 100 });
    const superuser = v.boolean('superuser', { optional: true }) ?? false;
    const marketing = v.boolean('marketing_consent_given', { optional: true }) ?? false;
    if (password !== undefined) {
      const problems = passwordProblems(password, email);
      if (problems.length) v.errors.password = problems;
    }
    v.assertValid();

    const created = await this.dataSource.transaction(async (manager) => {
      if (await this.findByEmail(email!, manager)) {
        throw new BadRequestException({
          email: 'Email already exists. Please log in.',
        });
      }
      const invited = await this.hasInvite(manager, email!, inviteHash ?? undefined);
      if ((this.config.PREVENT_SIGNUP || !this.config.ALLOW_REGISTRATION_WITHOUT_INVITE) && !invited) {
        throw forbidden(REGISTRATION_WITHOUT_INVITE_DETAIL);
      }
      const userCount = await manager.getRepository(User).count();
      if (superuser && userCount > 0) {
        throw fieldError('superuser', 'A superuser can only be created when no users exist.');
      }
      const repo = manager.getRepository(User);
      const user = await repo.save(
        repo.create({
          email: email!,
          password: await hashPassword(password!),
          firstName,
          lastName,
          signUpType: signUpType ?? (inviteHash ? 'INVITE_LINK' : 'NO_INVITE'),
          marketingConsentGiven: marketing,
          isSuperuser: superuser,
          isStaff: superuser,
          // ENABLE_EMAIL_ACTIVATION: inactive until the emailed link is followed (not the first superuser).
          isActive: !this.config.ENABLE_EMAIL_ACTIVATION || superuser,
          lastLogin: new Date(),
        }),
      );
      if (inviteHash) await this.invites.acceptInviteHash(manager, user, inviteHash);
      const key = await this.auth.tokenFor(user, manager);
      return { user, key };
    });
    if (!created.user.isActive) await this.sendActivation(created.user);
    return created;
  }

  private async sendActivation(user: User): Promise<void> {
    const url = await this.links.link(`activate/${this.resetPath(user)}`);
    await this.email.send({ to: user.email, ...activationEmail(url) });
  }

  /** POST /auth/users/activation/ (djoser): the uid/token of the activation email make the account active. */
  async activate(body: unknown): Promise<void> {
    const v = new BodyReader(body);
    const uid = v.string('uid');
    const token = v.string('token');
    v.assertValid();
    const id = decodeUid(uid!);
    const user = id ? await this.dataSource.getRepository(User).findOneBy({ id }) : null;
    if (!user) throw fieldError('uid', "Invalid user id or user doesn't exist.");
    if (!checkResetToken(this.config.secretKey, user, token!))
      throw fieldError('token', 'Invalid token for given user.');
    if (user.isActive) throw forbidden('Stale token for given user.');
    await this.dataSource.getRepository(User).update({ id: user.id }, { isActive: true });
  }

  /** POST /auth/users/resend_activation/ (djoser): 204 whatever the email; only inactive accounts get one. */
  async resendActivation(body: unknown): Promise<void> {
    if (!this.config.ENABLE_EMAIL_ACTIVATION) throw badRequestDetail('Email activation is not enabled.');
    const v = new BodyReader(body);
    const email = v.email('email');
    v.assertValid();
    const user = await this.findByEmail(email!);
    if (user && !user.isActive) await this.sendActivation(user);
  }

  /** Whether a sign-up for this email counts as invited: an email invite, or a valid invite link hash. */
  async hasInvite(manager: EntityManager, email: string, hash?: string): Promise<boolean> {
    const byEmail = await manager
      .getRepository(Invite)
      .createQueryBuilder('i')
      .where('lower(i.email) = lower(:email)', { email })
      .getExists();
    if (byEmail) return true;
    if (!hash) return false;
    const link = await manager.getRepository(InviteLink).findOneBy({ hash });
    return !!link && (link.expiresAt === null || link.expiresAt.getTime() > Date.now());
  }

  async login(body: unknown, ip: string): Promise<string> {
    const v = new BodyReader(body);
    const email = v.string('email', { maxLength: 254 });
    const password = v.string('password', { trim: false, maxLength: 128 });
    v.assertValid();
    const attempt = await this.lockout.attempt(email!, ip, async () => {
      const user = await this.findByEmail(email!);
      // The same hash work whether or not the account exists (no enumeration by timing).
      const ok = await verifyLoginPassword(password!, user?.isActive ? user.password : undefined);
      return ok && user ? user : null;
    });
    if (attempt.outcome === 'locked' || (attempt.outcome === 'rejected' && attempt.locked))
      throw forbidden(LOCKED_OUT_DETAIL);
    if (attempt.outcome === 'rejected')
      throw fieldError('non_field_errors', 'Unable to log in with provided credentials.');
    const user = attempt.value;
    await this.dataSource.getRepository(User).update({ id: user.id }, { lastLogin: new Date() });
    return this.auth.tokenFor(user);
  }

  async updateMe(user: User, body: unknown, partial: boolean): Promise<User> {
    const v = new BodyReader(body, { partial });
    const firstName = v.string('first_name', { maxLength: 150, allowBlank: true, optional: true });
    const lastName = v.string('last_name', { maxLength: 150, allowBlank: true, optional: true });
    const marketing = v.boolean('marketing_consent_given', { optional: true });
    v.assertValid();
    if (firstName !== undefined) user.firstName = firstName;
    if (lastName !== undefined) user.lastName = lastName;
    if (marketing !== undefined) user.marketingConsentGiven = marketing;
    return this.dataSource.getRepository(User).save(user);
  }

  async deleteMe(user: User, body: unknown): Promise<void> {
    const v = new BodyReader(body);
    const current = v.string('current_password', { trim: false, optional: !isUsablePassword(user.password) });
    const deleteOrphans = v.boolean('delete_orphan_organisations', { optional: true }) ?? true;
    v.assertValid();
    if (isUsablePassword(user.password) && !(await verifyPassword(current ?? '', user.password))) {
      throw fieldError('current_password', 'Invalid password.');
    }
    await this.dataSource.transaction(async (manager) => {
      const orgIds = (await manager.getRepository(OrganisationMembership).findBy({ userId: user.id })).map(
        (m) => m.organisationId,
      );
      await manager.getRepository(User).delete({ id: user.id });
      if (deleteOrphans && orgIds.length) {
        await manager.query(
          `DELETE FROM organisations o WHERE o.id = ANY($1)
             AND NOT EXISTS (SELECT 1 FROM organisation_memberships m WHERE m.organisation_id = o.id)`,
          [orgIds],
        );
      }
    });
  }

  async setPassword(user: User, body: unknown): Promise<void> {
    const v = new BodyReader(body);
    const current = v.string('current_password', { trim: false });
    const next = v.string('new_password', { trim: false, maxLength: 128 });
    const again = v.string('re_new_password', { trim: false, maxLength: 128 });
    v.assertValid();
    if (!(await verifyPassword(current!, user.password)))
      throw fieldError('current_password', 'Invalid password.');
    await this.changePassword(user, next!, again!);
  }

  private async changePassword(user: User, next: string, again: string): Promise<void> {
    if (next !== again) throw fieldError('non_field_errors', "The two password fields didn't match.");
    const problems = passwordProblems(next, user.email);
    if (problems.length) throw fieldError('new_password', ...problems);
    user.password = await hashPassword(next);
    await this.dataSource.getRepository(User).update({ id: user.id }, { password: user.password });
  }

  /** Always 204 for a well-formed email; sends the reset link to active users only. */
  async requestReset(body: unknown): Promise<void> {
    const v = new BodyReader(body);
    const email = v.email('email');
    v.assertValid();
    const user = await this.findByEmail(email!);
    if (!user || !user.isActive) return;
    if (!(await this.resetEmails.claim(user.id))) return;
    const link = await this.links.link(`password-reset/confirm/${this.resetPath(user)}`);
    await this.email.send({ to: user.email, ...passwordResetEmail(link) });
  }

  /** `<uid>/<token>` of a password-reset link for this user. */
  resetPath(user: User): string {
    return `${encodeUid(user.id)}/${makeResetToken(this.config.secretKey, user)}`;
  }

  async confirmReset(body: unknown): Promise<void> {
    const v = new BodyReader(body);
    const uid = v.string('uid');
    const token = v.string('token');
    const next = v.string('new_password', { trim: false, maxLength: 128 });
    const again = v.string('re_new_password', { trim: false, maxLength: 128 });
    v.assertValid();
    const id = decodeUid(uid!);
    const user = id ? await this.dataSource.getRepository(User).findOneBy({ id }) : null;
    if (!user) throw fieldError('uid', "Invalid user id or user doesn't exist.");
    if (!checkResetToken(this.config.secretKey, user, token!))
      throw fieldError('token', 'Invalid token for given user.');
    await this.changePassword(user, next!, again!);
    await this.lockout.unlock(user.email);
  }

  /** FLAGSMITH_DOMAIN or the first-run site domain as a URL ('' when neither is set). */
  siteUrl(): Promise<string> {
    return this.links.siteUrl();
  }
}
