import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { MasterApiKey } from '../organisations/organisation.entity';
import type { AuthToken } from '../users/user.entity';

/** Where user tokens and master API keys are looked up, and tokens issued. */
export interface CredentialStore {
  /** The token stored under `key`, with its user. */
  findToken(key: string): Promise<AuthToken | null>;
  findMasterKey(prefix: string): Promise<MasterApiKey | null>;
  /** The user's token, created on first use; `manager` joins a caller's transaction. */
  tokenFor(userId: number, manager?: EntityManager): Promise<string>;
  deleteToken(key: string): Promise<void>;
}

export const CREDENTIAL_STORE = Symbol('CredentialStore');

/**
 * auth_tokens and master_api_keys in PostgreSQL. Their entities are named, not imported: auth sits below users and
 * organisations (src/architecture.spec.ts), and src/entities.ts registers every entity with the DataSource.
 */
@Injectable()
export class CredentialsRepository implements CredentialStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  findToken(key: string): Promise<AuthToken | null> {
    return this.dataSource
      .getRepository<AuthToken>('AuthToken')
      .findOne({ where: { key }, relations: { user: true } });
  }

  findMasterKey(prefix: string): Promise<MasterApiKey | null> {
    return this.dataSource.getRepository<MasterApiKey>('MasterApiKey').findOneBy({ prefix });
  }

  /** DRF's Token.objects.get_or_create: concurrent first uses agree on one token. */
  async tokenFor(userId: number, manager: EntityManager = this.dataSource.manager): Promise<string> {
    const repo = manager.getRepository<AuthToken>('AuthToken');
    const existing = await repo.findOneBy({ userId });
    if (existing) return existing.key;
    const key = randomBytes(20).toString('hex');
    await repo.createQueryBuilder().insert().values({ key, userId }).orIgnore().execute();
    return (await repo.findOneByOrFail({ userId })).key;
  }

  async deleteToken(key: string): Promise<void> {
    await this.dataSource.getRepository<AuthToken>('AuthToken').delete({ key });
  }
}
