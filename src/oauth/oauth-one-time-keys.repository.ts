import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { OAuthOneTimeKey } from './oauth-one-time-key.entity';
import { STATE_TTL_SECONDS } from './oauth-state';

/** How long the frontend has to exchange the one-time code it received in the redirect. */
export const CODE_TTL_SECONDS = 60;

const hashOf = (purpose: string, value: string): string =>
  createHash('sha256').update(`${purpose}:${value}`).digest('hex');

/**
 * Every SQL statement about OAuth state nonces and one-time codes (see OAuthOneTimeKey). Each check-and-use is one
 * atomic statement of its own, outside any unit of work: these are short-lived keys, not audited domain objects.
 */
@Injectable()
export class OAuthOneTimeKeysRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Records a state nonce as used; false when it already was (a replayed callback). */
  async useStateNonce(nonce: string): Promise<boolean> {
    await this.sweep();
    const rows = await this.dataSource.query<unknown[]>(
      `INSERT INTO oauth_one_time_keys (key_hash, purpose, expires_at) VALUES ($1, 'state', $2)
       ON CONFLICT (key_hash) DO NOTHING RETURNING key_hash`,
      [hashOf('state', nonce), new Date(Date.now() + (STATE_TTL_SECONDS + 60) * 1000)],
    );
    return rows.length === 1;
  }

  /** A new single-use code standing for the user's login; only its hash is stored. */
  async issueCode(userId: number, isNewUser: boolean): Promise<string> {
    await this.sweep();
    const code = randomBytes(32).toString('base64url');
    await this.dataSource.getRepository(OAuthOneTimeKey).insert({
      keyHash: hashOf('code', code),
      purpose: 'code',
      userId,
      isNewUser,
      expiresAt: new Date(Date.now() + CODE_TTL_SECONDS * 1000),
    });
    return code;
  }

  /** Deletes the code and returns what it stood for; undefined when unknown, used or expired. */
  async redeemCode(code: string): Promise<{ userId: number; isNewUser: boolean } | undefined> {
    const rows = await this.dataSource.query<{ user_id: number | null; is_new_user: boolean }[]>(
      // A CTE so the driver returns the rows (a bare DELETE … RETURNING comes back as [rows, count]).
      `WITH used AS (
         DELETE FROM oauth_one_time_keys
          WHERE key_hash = $1 AND purpose = 'code' AND expires_at > now()
          RETURNING user_id, is_new_user)
       SELECT user_id, is_new_user FROM used`,
      [hashOf('code', code)],
    );
    const row = rows[0];
    return row && row.user_id !== null ? { userId: row.user_id, isNewUser: row.is_new_user } : undefined;
  }

  /** Drops expired rows (cheap: indexed on expires_at, and there are only ever a few). */
  private async sweep(): Promise<void> {
    await this.dataSource.query(`DELETE FROM oauth_one_time_keys WHERE expires_at < now()`);
  }
}
