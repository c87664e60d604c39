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
import { TIMESTAMP } from '../common/entity-helpers';
import type { User } from '../users/user.entity';

/**
 * One throttle's sliding log (DRF SimpleRateThrottle's history) for one (scope, client): the times of the
 * requests it let through within the rate's duration. Kept in PostgreSQL so that every instance shares it.
 */
@Entity({ name: 'request_throttles' })
export class RequestThrottle {
  /** "login", "signup", "user", "master_api_key". */
  @PrimaryColumn({ type: 'varchar', length: 32 })
  scope!: string;

  /** Who is counted: a client IP, "user:<id>" or a master API key id. */
  @PrimaryColumn({ type: 'varchar', length: 128 })
  ident!: string;

  @Column({ type: TIMESTAMP, array: true })
  hits!: Date[];

  /** When every hit has left the window: the row can be deleted. */
  @Index('IDX_request_throttles_expires_at')
  @Column({ name: 'expires_at', type: TIMESTAMP })
  expiresAt!: Date;
}

/** A password-reset email sent (Flagsmith's UserPasswordResetRequest): counted for MAX_PASSWORD_RESET_EMAILS. */
@Entity({ name: 'password_reset_requests' })
@Index('IDX_password_reset_requests_user_requested', ['userId', 'requestedAt'])
export class PasswordResetRequest {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'user_id', type: 'integer' })
  userId!: number;

  @ManyToOne('User', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user!: Relation<User>;

  @CreateDateColumn({ name: 'requested_at', type: TIMESTAMP })
  requestedAt!: Date;
}
