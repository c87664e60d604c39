import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  Relation,
} from 'typeorm';
import { newUuid, TIMESTAMP } from '../common/entity-helpers';

export type AuthType = 'EMAIL' | 'GITHUB' | 'GOOGLE';
export type SignUpType = 'NO_INVITE' | 'INVITE_EMAIL' | 'INVITE_LINK';

/** A dashboard user (Flagsmith's FFAdminUser). Email is unique ignoring case (expression index in the migration). */
@Entity({ name: 'users' })
@Index('UQ_users_email_lower', { synchronize: false })
export class User {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'uuid', unique: true })
  uuid: string = newUuid();

  @Column({ type: 'varchar', length: 254 })
  email!: string;

  /** `scrypt$…` hash; a value starting with "!" is unusable (no password login). */
  @Column({ type: 'varchar', length: 255 })
  password!: string;

  @Column({ name: 'first_name', type: 'varchar', length: 150, default: '' })
  firstName!: string;

  @Column({ name: 'last_name', type: 'varchar', length: 150, default: '' })
  lastName!: string;

  @Column({ name: 'is_superuser', type: 'boolean', default: false })
  isSuperuser!: boolean;

  @Column({ name: 'is_staff', type: 'boolean', default: false })
  isStaff!: boolean;

  @Column({ name: 'is_active', type: 'boolean', default: true })
  isActive!: boolean;

  @Column({ name: 'auth_type', type: 'varchar', length: 20, default: 'EMAIL' })
  authType!: AuthType;

  @Column({ name: 'sign_up_type', type: 'varchar', length: 100, nullable: true })
  signUpType!: SignUpType | null;

  /** Flagsmith's default (consent is part of its terms of service). */
  @Column({ name: 'marketing_consent_given', type: 'boolean', default: true })
  marketingConsentGiven!: boolean;

  /** JSON text of the dashboard's onboarding answers (PATCH /auth/users/me/onboarding/), as Flagsmith stores it. */
  @Column({ name: 'onboarding_data', type: 'text', nullable: true })
  onboardingData!: string | null;

  @Column({ name: 'github_user_id', type: 'varchar', length: 100, nullable: true })
  githubUserId!: string | null;

  @Column({ name: 'google_user_id', type: 'varchar', length: 100, nullable: true })
  googleUserId!: string | null;

  @CreateDateColumn({ name: 'date_joined', type: TIMESTAMP })
  dateJoined!: Date;

  @Column({ name: 'last_login', type: TIMESTAMP, nullable: true })
  lastLogin!: Date | null;
}

/** A DRF-style API token: `Authorization: Token <key>`. One per user (login returns the existing one). */
@Entity({ name: 'auth_tokens' })
export class AuthToken {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  key!: string;

  @Column({ name: 'user_id', type: 'integer', unique: true })
  userId!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user!: Relation<User>;

  @CreateDateColumn({ type: TIMESTAMP })
  created!: Date;
}

/**
 * Failed-login bookkeeping (django-axes' AccessAttempt): one row per (username, ip) pair;
 * `username` is the lower-cased email tried, `ip` the client address.
 */
@Entity({ name: 'login_failures' })
@Index('UQ_login_failures_username_ip', ['username', 'ipAddress'], { unique: true })
export class LoginFailure {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 254 })
  username!: string;

  @Column({ name: 'ip_address', type: 'varchar', length: 64 })
  @Index('IDX_login_failures_ip')
  ipAddress!: string;

  @Column({ name: 'failures_since_start', type: 'integer', default: 0 })
  failuresSinceStart!: number;

  @Column({ name: 'attempt_time', type: TIMESTAMP })
  attemptTime!: Date;
}
