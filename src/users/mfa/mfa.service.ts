import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { LoginLockoutService } from '../../auth/login-lockout.service';
import { hashPassword, verifyPassword } from '../../auth/passwords';
import { Principal } from '../../auth/principal';
import { CLOCK, Clock } from '../../common/clock';
import { DomainError, NotFound, ValidationFailed } from '../../common/domain-errors';
import { UnitOfWork, WriteContext } from '../../common/unit-of-work';
import { APP_CONFIG, AppConfig } from '../../config';
import { User } from '../user.entity';
import { MfaMethod } from './mfa.entity';
import { MfaMethodColumns, MfaRepository } from './mfa.repository';
import {
  looksLikeBackupCode,
  matchingStep,
  newBackupCodes,
  newSecret,
  openSecret,
  provisioningUri,
  sealSecret,
  SecretKey,
  secretKeyFrom,
} from './totp';

/** The one method Flagsmith has: an authenticator app (TOTP). */
export const APP_METHOD = 'app';
/** Flagsmith's UserTokenGenerator.EXPIRY_TIME: a second factor must follow the password within 15 minutes. */
export const EPHEMERAL_TOKEN_SECONDS = 15 * 60;

/** trench's messages. */
export const MFA_MESSAGES = {
  codeInvalidOrExpired: 'Code invalid or expired.',
  methodDoesNotExist: 'Requested MFA method does not exist.',
  alreadyActive: 'MFA method already active.',
  notEnabled: '2FA is not enabled.',
  invalidToken: 'Invalid or expired token.',
  invalidCode: 'Invalid or expired code.',
} as const;

/** trench's ErrorResponse: `{"error": "…"}`, 400 (or 401 from the login step). */
export class MfaRefused extends DomainError {
  constructor(
    readonly status: 400 | 401,
    readonly error: string,
  ) {
    super(error);
    this.name = 'MfaRefused';
  }
  body(): object {
    return { error: this.error };
  }
}

/** How a second-factor login step went. */
export type SecondFactorOutcome =
  | { readonly outcome: 'accepted'; readonly user: User }
  /** No such token, expired, spent, or its user is no longer active. */
  | { readonly outcome: 'invalid_token' }
  /** A wrong (or replayed) code, counted by the login lockout; `locked` when it reached the limit. */
  | { readonly outcome: 'rejected'; readonly locked: boolean }
  | { readonly outcome: 'locked' };

export interface Activation {
  readonly qr_link: string;
  readonly secret: string;
}

export interface MfaChallenge {
  readonly ephemeral_token: string;
  readonly method: string;
}

const SIGN_IN_UNAUDITED = 'sign-ins are not audited, as in Flagsmith';
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Two-factor authentication with an authenticator app (Flagsmith's custom_auth/mfa, django-trench): enrolment
 * (activate, confirm with a first code, which answers the backup codes), deactivation, and the second step of a
 * password login (an ephemeral token, then a TOTP or backup code). A TOTP code is accepted once: each method keeps
 * the last time step it accepted. The rules of codes and secrets are in totp.ts.
 */
@Injectable()
export class MfaService {
  private readonly key: SecretKey;

  constructor(
    private readonly methods: MfaRepository,
    private readonly uow: UnitOfWork,
    @Inject(APP_CONFIG) config: Pick<AppConfig, 'secretKey' | 'secretKeyGenerated'>,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly lockout: LoginLockoutService,
  ) {
    this.key = secretKeyFrom(config.secretKey, config.secretKeyGenerated);
  }

  activeMethods(user: User): Promise<MfaMethod[]> {
    return this.methods.listActive(user.id);
  }

  /**
   * POST /auth/{method}/activate/: the method, inactive, with its secret (a pending one is kept, as trench's
   * get_or_create does). An active method is refused: its secret is never shown again.
   */
  async activate(user: User, name: string): Promise<Activation> {
    if (name !== APP_METHOD) throw new NotFound();
    return this.uow.run(
      async (tx) => {
        const now = new Date(this.clock.now());
        let method = await this.methods.lock(tx.manager, user.id, name);
        method ??= await this.methods.insertIfMissing(tx.manager, {
          userId: user.id,
          name,
          secret: sealSecret(newSecret(), this.key),
          now,
        });
        if (method.isActive) throw new MfaRefused(400, MFA_MESSAGES.alreadyActive);
        let secret = openSecret(method.secret, this.key);
        if (secret === null) {
          // Sealed under another DJANGO_SECRET_KEY: unreadable, so a new pending secret replaces it.
          secret = newSecret();
          await this.methods.update(tx.manager, method.id, {
            secret: sealSecret(secret, this.key),
            updatedAt: now,
          });
        }
        return { qr_link: provisioningUri(secret, user.email), secret };
      },
      { unaudited: 'a pending enrolment changes nothing yet; its confirmation is audited' },
    );
  }

  /** POST /auth/{method}/activate/confirm/: a first code makes the method active; answers its backup codes. */
  async confirm(principal: Principal, user: User, name: string, code: string): Promise<string[]> {
    const backupCodes = newBackupCodes();
    await this.uow.run(async (tx) => {
      const now = this.clock.now();
      const method = await this.methods.lock(tx.manager, user.id, name);
      if (!method) throw ValidationFailed.field('code', MFA_MESSAGES.methodDoesNotExist);
      if (method.isActive) throw ValidationFailed.field('code', MFA_MESSAGES.alreadyActive);
      const step = this.totpStep(method, code, now);
      if (step === null) throw ValidationFailed.field('code', MFA_MESSAGES.codeInvalidOrExpired);
      const isPrimary = !(await this.methods.primaryExists(tx.manager, user.id));
      // Hashed once the code is good: a wrong code costs no scrypt work.
      const hashes = await Promise.all(backupCodes.map((c) => hashPassword(c)));
      await this.methods.update(tx.manager, method.id, {
        isActive: true,
        isPrimary,
        backupCodes: hashes.join(','),
        lastUsedStep: step,
        updatedAt: new Date(now),
      });
      this.auditChange(tx, principal, user, name, true);
    });
    return backupCodes;
  }

  /**
   * POST /auth/{method}/deactivate/. The dashboard sends no body (trench asks for nothing but the session);
   * a `code` that is sent must be a valid TOTP or backup code.
   */
  async deactivate(principal: Principal, user: User, name: string, code?: string): Promise<void> {
    await this.uow.run(async (tx) => {
      const now = this.clock.now();
      const method = await this.methods.lock(tx.manager, user.id, name);
      if (!method) throw new MfaRefused(400, MFA_MESSAGES.methodDoesNotExist);
      if (!method.isActive) throw new MfaRefused(400, MFA_MESSAGES.notEnabled);
      const spent = code === undefined ? {} : await this.spendCode(method, code, now);
      if (spent === null) throw new MfaRefused(400, MFA_MESSAGES.invalidCode);
      await this.methods.update(tx.manager, method.id, {
        ...spent,
        isActive: false,
        isPrimary: false,
        backupCodes: '',
        updatedAt: new Date(now),
      });
      this.auditChange(tx, principal, user, name, false);
    });
  }

  /**
   * After a correct password: the challenge to answer instead of a token when the user has an active primary
   * method, else null (sign in at once).
   */
  async challenge(user: User): Promise<MfaChallenge | null> {
    const method = await this.methods.primaryActive(user.id);
    if (!method) return null;
    const token = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    await this.uow.run(
      (tx) =>
        this.methods.insertToken(
          tx.manager,
          hashToken(token),
          user.id,
          new Date(now + EPHEMERAL_TOKEN_SECONDS * 1000),
          new Date(now),
        ),
      { unaudited: SIGN_IN_UNAUDITED },
    );
    return { ephemeral_token: token, method: method.name };
  }

  /**
   * The second step of a password login (POST /auth/login/code/, the admin panel's code form): a wrong code is a
   * failed login for the lockout; a good one spends the token and the code.
   */
  async secondFactor(token: string, code: string, ip: string): Promise<SecondFactorOutcome> {
    const tokenHash = hashToken(token);
    const user = await this.methods.tokenUser(tokenHash, new Date(this.clock.now()));
    if (!user || !user.isActive) return { outcome: 'invalid_token' };
    const attempt = await this.lockout.attempt(user.email, ip, () => this.spendToken(tokenHash, user, code));
    if (attempt.outcome === 'accepted') return { outcome: 'accepted', user };
    return attempt;
  }

  private spendToken(tokenHash: string, user: User, code: string): Promise<User | null> {
    return this.uow.run(
      async (tx) => {
        const now = this.clock.now();
        const token = await this.methods.lockToken(tx.manager, tokenHash);
        if (!token || token.userId !== user.id || token.expiresAt.getTime() <= now) return null;
        for (const method of await this.methods.lockActive(tx.manager, user.id)) {
          const spent = await this.spendCode(method, code, now);
          if (spent === null) continue;
          await this.methods.update(tx.manager, method.id, { ...spent, updatedAt: new Date(now) });
          await this.methods.deleteToken(tx.manager, tokenHash);
          return user;
        }
        return null;
      },
      { unaudited: SIGN_IN_UNAUDITED },
    );
  }

  /**
   * What accepting `code` for `method` writes (the TOTP step it used, or the backup codes without the one used),
   * or null when it is not a valid code now: wrong, outside the window, a replay of an accepted step, a used
   * backup code.
   */
  private async spendCode(method: MfaMethod, code: string, now: number): Promise<MfaMethodColumns | null> {
    const step = this.totpStep(method, code, now);
    if (step !== null) return { lastUsedStep: step };
    if (!looksLikeBackupCode(code)) return null;
    const hashes = method.backupCodes ? method.backupCodes.split(',') : [];
    for (const hash of hashes)
      if (await verifyPassword(code, hash))
        return { backupCodes: hashes.filter((h) => h !== hash).join(',') };
    return null;
  }

  /** The (not yet accepted) time step `code` is the TOTP code of, or null. */
  private totpStep(method: MfaMethod, code: string, now: number): number | null {
    const secret = openSecret(method.secret, this.key);
    const step = secret === null ? null : matchingStep(secret, code, now);
    if (step === null || (method.lastUsedStep !== null && step <= method.lastUsedStep)) return null;
    return step;
  }

  private auditChange(tx: WriteContext, principal: Principal, user: User, name: string, enabled: boolean) {
    tx.audit({
      log: `Two-factor authentication (${name}) ${enabled ? 'enabled' : 'disabled'} for user: ${user.email}`,
      principal,
    });
  }
}
