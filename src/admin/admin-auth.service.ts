import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LoginLockoutService } from '../auth/login-lockout.service';
import { verifyLoginPassword } from '../auth/passwords';
import { Principal } from '../auth/principal';
import { APP_CONFIG, AppConfig } from '../config';
import { MfaService } from '../users/mfa/mfa.service';
import { User } from '../users/user.entity';
import type { AdminSessionUser } from './adminjs';

/** Google sign-in is on when both the client id and secret are set. */
export function googleSignInEnabled(config: AppConfig): boolean {
  return !!config.OAUTH_CLIENT_ID && !!config.OAUTH_CLIENT_SECRET;
}

/**
 * Email + password sign-in is on when ENABLE_ADMIN_ACCESS_USER_PASS says so, and, when it is unset, whenever
 * Google sign-in is not configured: a fresh install can then sign in at once (Flagsmith defaults it to off
 * because its Django admin has its own login; ours would otherwise have no way in).
 */
export function passwordSignInEnabled(config: AppConfig): boolean {
  return config.ENABLE_ADMIN_ACCESS_USER_PASS ?? !googleSignInEnabled(config);
}

export const ADMIN_LOGIN_PATH = '/admin/login';
export const GOOGLE_START_PATH = '/admin/login/google';
export const GOOGLE_CALLBACK_PATH = '/admin/login/google/callback';
export const GOOGLE_COMPLETE_PATH = '/admin/login/google/complete';
/** Binds the OAuth round trip (state) and the session hand-off ticket to the browser that started it. */
export const OAUTH_STATE_COOKIE = 'flagport_admin_oauth_state';

const TICKET_TTL_SECONDS = 60;

/** How a step of the password sign-in went: in, a code to ask for (two-factor users), or refused. */
export type AdminSignIn =
  | { readonly kind: 'signed_in'; readonly user: AdminSessionUser }
  /** The password was right and the user has two-factor authentication: ask for a code. */
  | { readonly kind: 'second_factor'; readonly ephemeralToken: string; readonly wrongCode: boolean }
  | { readonly kind: 'refused' };

const REFUSED: AdminSignIn = { kind: 'refused' };

/** Sign-in rules of the admin panel: who may enter, password checks with the API's lockout, SSO hand-off. */
@Injectable()
export class AdminAuthService {
  private readonly logger = new Logger('AdminAuth');
  private readonly ticketKey: Buffer;
  private readonly usedTickets = new Map<string, number>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly lockout: LoginLockoutService,
    private readonly mfa: MfaService,
  ) {
    this.ticketKey = createHash('sha256').update(`flagport.admin-sso.${config.secretKey}`).digest();
  }

  get passwordEnabled(): boolean {
    return passwordSignInEnabled(this.config);
  }

  get googleEnabled(): boolean {
    return googleSignInEnabled(this.config);
  }

  /** A secret of at least 32 characters for @fastify/session, derived from DJANGO_SECRET_KEY. */
  sessionSecret(): string {
    return createHash('sha256').update(`flagport.admin-session.${this.config.secretKey}`).digest('hex');
  }

  private findByEmail(email: string): Promise<User | null> {
    return this.dataSource
      .getRepository(User)
      .createQueryBuilder('u')
      .where('lower(u.email) = lower(:email)', { email })
      .getOne();
  }

  /** The session payload of a user allowed in the panel: active superusers only. */
  sessionUser(user: User | null): AdminSessionUser | null {
    if (!user || !user.isActive || !user.isSuperuser) return null;
    return { id: String(user.id), email: user.email, title: user.email };
  }

  /**
   * ENABLE_ADMIN_ACCESS_USER_PASS sign-in, counted by the same lockout as POST /api/v1/auth/login/. A superuser
   * with two-factor authentication is asked for a code next (codeSignIn), as the API's login is.
   */
  async passwordSignIn(email: unknown, password: unknown, ip: string): Promise<AdminSignIn> {
    if (!this.passwordEnabled) return REFUSED;
    if (typeof email !== 'string' || typeof password !== 'string' || !email || email.length > 254)
      return REFUSED;
    const attempt = await this.lockout.attempt(email, ip, async () => {
      const user = await this.findByEmail(email);
      const ok = await verifyLoginPassword(password, user?.isActive ? user.password : undefined);
      return ok && user ? user : null;
    });
    if (attempt.outcome === 'locked') {
      this.logger.warn(`admin sign-in refused for a locked-out account from ${ip}`);
      return REFUSED;
    }
    if (attempt.outcome === 'rejected') return REFUSED;
    const user = attempt.value;
    if (!this.sessionUser(user)) {
      this.logger.warn(`admin sign-in refused for ${user.email}: not a superuser`);
      return REFUSED;
    }
    const challenge = await this.mfa.challenge(user);
    if (challenge)
      return { kind: 'second_factor', ephemeralToken: challenge.ephemeral_token, wrongCode: false };
    return this.signIn(user);
  }

  /** The second step for a two-factor superuser: the ephemeral token of the first and a TOTP or backup code. */
  async codeSignIn(ephemeralToken: unknown, code: unknown, ip: string): Promise<AdminSignIn> {
    if (!this.passwordEnabled || typeof ephemeralToken !== 'string' || typeof code !== 'string')
      return REFUSED;
    const result = await this.mfa.secondFactor(ephemeralToken, code.trim(), ip);
    if (result.outcome === 'rejected' && !result.locked)
      return { kind: 'second_factor', ephemeralToken, wrongCode: true };
    if (result.outcome !== 'accepted') {
      this.logger.warn(`admin sign-in refused at the second factor (${result.outcome}) from ${ip}`);
      return REFUSED;
    }
    return this.sessionUser(result.user) ? this.signIn(result.user) : REFUSED;
  }

  private async signIn(user: User): Promise<AdminSignIn> {
    await this.dataSource.getRepository(User).update({ id: user.id }, { lastLogin: new Date() });
    const allowed = this.sessionUser(user);
    return allowed ? { kind: 'signed_in', user: allowed } : REFUSED;
  }

  /** Google sign-in: an existing active superuser whose verified email Google reports. */
  async googleLogin(email: string | undefined, verified: boolean, googleId: string): Promise<User | null> {
    if (!email || !verified) return null;
    const user = await this.findByEmail(email);
    if (!this.sessionUser(user)) {
      this.logger.warn(`admin Google sign-in refused for ${email}: not an active superuser`);
      return null;
    }
    await this.dataSource
      .getRepository(User)
      .update({ id: user!.id }, { lastLogin: new Date(), googleUserId: user!.googleUserId ?? googleId });
    return user;
  }

  /** Re-checks a session on every admin request: deactivated or demoted users are out at once. */
  async stillAllowed(id: number): Promise<User | null> {
    const user = await this.dataSource.getRepository(User).findOneBy({ id });
    return this.sessionUser(user) ? user : null;
  }

  /** The author of panel writes. */
  async principal(id: number | undefined): Promise<Principal> {
    const user = id === undefined ? null : await this.stillAllowed(id);
    if (!user) throw new Error('Your admin session has ended; sign in again.');
    return { kind: 'user', user, tokenKey: '' };
  }

  newState(): string {
    return randomBytes(24).toString('base64url');
  }

  /** A one-minute, single-use ticket carrying the user from the Nest callback into the AdminJS session. */
  issueTicket(userId: number, state: string): string {
    const body = `${userId}.${Math.floor(Date.now() / 1000) + TICKET_TTL_SECONDS}.${stateDigest(state)}`;
    return `${body}.${createHmac('sha256', this.ticketKey).update(body).digest('base64url')}`;
  }

  /** The user id of a valid, unused ticket presented with the state cookie it was issued for. */
  redeemTicket(ticket: unknown, state: string | undefined): number | undefined {
    if (typeof ticket !== 'string' || !state) return undefined;
    const parts = ticket.split('.');
    if (parts.length !== 4) return undefined;
    const [id, exp, digest, mac] = parts;
    const expected = createHmac('sha256', this.ticketKey).update(`${id}.${exp}.${digest}`).digest();
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const now = Math.floor(Date.now() / 1000);
    if (!(Number(exp) >= now) || digest !== stateDigest(state)) return undefined;
    for (const [used, until] of this.usedTickets) if (until < now) this.usedTickets.delete(used);
    if (this.usedTickets.has(mac)) return undefined;
    this.usedTickets.set(mac, Number(exp));
    const userId = Number(id);
    return Number.isInteger(userId) ? userId : undefined;
  }
}

const stateDigest = (state: string) => createHash('sha256').update(state).digest('base64url').slice(0, 22);

/** One cookie's value from a Cookie header (the root Fastify instance has no cookie plugin). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export function sameSecret(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
