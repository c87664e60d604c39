import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Relation } from 'typeorm';
import { TIMESTAMP } from '../common/entity-helpers';
import { User } from '../users/user.entity';

export type OneTimeKeyPurpose = 'state' | 'code';

/**
 * Single-use OAuth values, kept in the database so that every instance behind a load balancer sees them:
 * `state` rows record the nonce of each OAuth state the callback has accepted (a replay finds the row), `code`
 * rows are the one-time codes the redirect flow hands to the frontend for POST /auth/oauth/exchange/.
 * Only a SHA-256 of the value is stored. Rows past `expires_at` are meaningless and swept on insert.
 */
@Entity({ name: 'oauth_one_time_keys' })
export class OAuthOneTimeKey {
  @PrimaryColumn({ name: 'key_hash', type: 'varchar', length: 64 })
  keyHash!: string;

  @Column({ type: 'varchar', length: 10 })
  purpose!: OneTimeKeyPurpose;

  @Column({ name: 'user_id', type: 'integer', nullable: true })
  userId!: number | null;

  @ManyToOne(() => User, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'user_id' })
  user!: Relation<User> | null;

  @Column({ name: 'is_new_user', type: 'boolean', default: false })
  isNewUser!: boolean;

  @Index('IDX_oauth_one_time_keys_expires_at')
  @Column({ name: 'expires_at', type: TIMESTAMP })
  expiresAt!: Date;
}
