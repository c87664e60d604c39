import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  Relation,
  Unique,
} from 'typeorm';
import { TIMESTAMP } from '../../common/entity-helpers';
import { User } from '../user.entity';

/**
 * A user's two-factor method (Flagsmith's trench MFAMethod): only "app" (TOTP) exists. Created inactive by
 * POST /auth/app/activate/, active once a code confirms it. The secret is stored sealed (totp.ts) and never
 * serialised; backup codes are kept as scrypt hashes, each deleted when used.
 */
@Entity({ name: 'mfa_methods' })
@Unique('UQ_mfa_methods_user_name', ['userId', 'name'])
export class MfaMethod {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'user_id', type: 'integer' })
  userId!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user!: Relation<User>;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'varchar', length: 255 })
  secret!: string;

  @Column({ name: 'is_primary', type: 'boolean', default: false })
  isPrimary!: boolean;

  @Column({ name: 'is_active', type: 'boolean', default: false })
  isActive!: boolean;

  /** scrypt hashes of the unused backup codes, comma-separated (as Flagsmith keeps them). */
  @Column({ name: 'backup_codes', type: 'text', default: '' })
  backupCodes!: string;

  /** The last TOTP time step accepted: a code of this step or an earlier one is a replay. */
  @Column({ name: 'last_used_step', type: 'integer', nullable: true })
  lastUsedStep!: number | null;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: TIMESTAMP })
  updatedAt!: Date;
}

/**
 * The ephemeral token a password login answers when a second factor is needed: single-use (deleted by the login
 * it completes), expiring, shared by every instance. Only a SHA-256 of the token is stored; expired rows are
 * swept on insert.
 */
@Entity({ name: 'mfa_ephemeral_tokens' })
export class MfaEphemeralToken {
  @PrimaryColumn({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @Column({ name: 'user_id', type: 'integer' })
  userId!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user!: Relation<User>;

  @Index('IDX_mfa_ephemeral_tokens_expires_at')
  @Column({ name: 'expires_at', type: TIMESTAMP })
  expiresAt!: Date;
}
