import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { MasterApiKey } from './organisation.entity';

export type MasterApiKeyChanges = Partial<Pick<MasterApiKey, 'name' | 'expiryDate' | 'revoked' | 'isAdmin'>>;

/** SQL of master API keys. Writes take the unit of work's manager. */
@Injectable()
export class MasterApiKeysRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  insert(
    key: Pick<MasterApiKey, 'organisationId' | 'name' | 'expiryDate' | 'isAdmin' | 'prefix' | 'hashedKey'>,
    db: EntityManager,
  ): Promise<MasterApiKey> {
    const repo = db.getRepository(MasterApiKey);
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

  get(id: number, db: EntityManager = this.dataSource.manager): Promise<MasterApiKey> {
    return db.getRepository(MasterApiKey).findOneByOrFail({ id });
  }

  /** Writes the changes to the key if it is still live; false when it is not (revoked meanwhile). */
  async updateLive(id: number, changes: MasterApiKeyChanges, db: EntityManager): Promise<boolean> {
    const result = await db.getRepository(MasterApiKey).update({ id, revoked: false }, changes);
    return !!result.affected;
  }

  async revoke(id: number, db: EntityManager): Promise<void> {
    await db.getRepository(MasterApiKey).update({ id }, { revoked: true });
  }
}
