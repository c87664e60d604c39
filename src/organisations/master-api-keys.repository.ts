import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MasterApiKey } from './organisation.entity';

export type MasterApiKeyChanges = Partial<Pick<MasterApiKey, 'name' | 'expiryDate' | 'revoked' | 'isAdmin'>>;

/** SQL of master API keys. */
@Injectable()
export class MasterApiKeysRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  insert(
    key: Pick<MasterApiKey, 'organisationId' | 'name' | 'expiryDate' | 'isAdmin' | 'prefix' | 'hashedKey'>,
  ): Promise<MasterApiKey> {
    const repo = this.dataSource.getRepository(MasterApiKey);
    return repo.save(repo.create(key));
  }

  live(organisationId: number): Promise<MasterApiKey[]> {
    return this.dataSource
      .getRepository(MasterApiKey)
      .find({ where: { organisationId, revoked: false }, order: { id: 'ASC' } });
  }

  findLive(organisationId: number, prefix: string): Promise<MasterApiKey | null> {
    return this.dataSource.getRepository(MasterApiKey).findOneBy({ prefix, organisationId, revoked: false });
  }

  get(id: number): Promise<MasterApiKey> {
    return this.dataSource.getRepository(MasterApiKey).findOneByOrFail({ id });
  }

  /** Writes the changes to the key if it is still live; false when it is not (revoked meanwhile). */
  async updateLive(id: number, changes: MasterApiKeyChanges): Promise<boolean> {
    const result = await this.dataSource.getRepository(MasterApiKey).update({ id, revoked: false }, changes);
    return !!result.affected;
  }

  async revoke(id: number): Promise<void> {
    await this.dataSource.getRepository(MasterApiKey).update({ id }, { revoked: true });
  }
}
