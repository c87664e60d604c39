import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { unauthorized } from '../common/errors';
import { MasterApiKey } from '../organisations/organisation.entity';
import { AuthToken, User } from '../users/user.entity';
import { Principal } from './principal';

export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/** Resolves `Authorization` headers and issues tokens. */
@Injectable()
export class AuthService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The principal for an Authorization header; throws 401 for a missing or invalid credential. */
  async authenticate(header: string | undefined): Promise<Principal> {
    const match = /^\s*(Token|Api-Key|Bearer)\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) {
      if (header && /^\s*(Token|Api-Key)\s*$/i.test(header))
        throw unauthorized('Invalid token header. No credentials provided.');
      throw unauthorized();
    }
    const scheme = match[1].toLowerCase();
    const credential = match[2];
    if (scheme === 'api-key') return this.masterKeyPrincipal(credential);
    if (scheme === 'bearer') throw unauthorized();
    const token = await this.dataSource.getRepository(AuthToken).findOne({
      where: { key: credential.slice(0, 40) },
      relations: { user: true },
    });
    if (!token || token.key !== credential) throw unauthorized('Invalid token.');
    if (!token.user.isActive) throw unauthorized('User inactive or deleted.');
    return { kind: 'user', user: token.user, tokenKey: token.key };
  }

  private async masterKeyPrincipal(credential: string): Promise<Principal> {
    const prefix = credential.split('.')[0];
    const key =
      prefix.length === 8 ? await this.dataSource.getRepository(MasterApiKey).findOneBy({ prefix }) : null;
    if (
      !key ||
      key.hashedKey !== hashApiKey(credential) ||
      key.revoked ||
      (key.expiryDate !== null && key.expiryDate.getTime() <= Date.now())
    ) {
      throw unauthorized('Invalid API key.');
    }
    return { kind: 'master_key', key };
  }

  /** The user's token, created on first use (DRF's Token.objects.get_or_create). */
  async tokenFor(user: User, manager: EntityManager = this.dataSource.manager): Promise<string> {
    const repo = manager.getRepository(AuthToken);
    const existing = await repo.findOneBy({ userId: user.id });
    if (existing) return existing.key;
    const key = randomBytes(20).toString('hex');
    await repo.createQueryBuilder().insert().values({ key, userId: user.id }).orIgnore().execute();
    return (await repo.findOneByOrFail({ userId: user.id })).key;
  }

  async deleteToken(key: string): Promise<void> {
    await this.dataSource.getRepository(AuthToken).delete({ key });
  }
}
