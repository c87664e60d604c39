import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, LessThanOrEqual } from 'typeorm';
import { User } from '../user.entity';
import { MfaEphemeralToken, MfaMethod } from './mfa.entity';

/** The columns a write may set on a method (entity property names). */
export type MfaMethodColumns = Partial<
  Pick<MfaMethod, 'secret' | 'isPrimary' | 'isActive' | 'backupCodes' | 'lastUsedStep' | 'updatedAt'>
>;

export interface NewMfaMethod {
  readonly userId: number;
  readonly name: string;
  readonly secret: string;
  readonly now: Date;
}

/**
 * Every SQL statement about two-factor methods and ephemeral tokens. Writes take the unit of work's manager;
 * reads outside a write use the primary. MfaService holds the rules; an in-memory twin is in mfa.service.spec.ts.
 */
@Injectable()
export class MfaRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The user's active methods, primary first (GET /auth/mfa/user-active-methods/). */
  listActive(userId: number): Promise<MfaMethod[]> {
    return this.dataSource
      .getRepository(MfaMethod)
      .find({ where: { userId, isActive: true }, order: { isPrimary: 'DESC', id: 'ASC' } });
  }

  /** The active primary method, which a password login asks a code of. */
  primaryActive(userId: number): Promise<MfaMethod | null> {
    return this.dataSource.getRepository(MfaMethod).findOneBy({ userId, isActive: true, isPrimary: true });
  }

  /** The user's method of that name, locked FOR NO KEY UPDATE until the transaction ends. */
  lock(manager: EntityManager, userId: number, name: string): Promise<MfaMethod | null> {
    return manager
      .getRepository(MfaMethod)
      .findOne({ where: { userId, name }, lock: { mode: 'for_no_key_update' } });
  }

  /** The user's active methods, locked: a code is checked and spent against them. */
  lockActive(manager: EntityManager, userId: number): Promise<MfaMethod[]> {
    return manager.getRepository(MfaMethod).find({
      where: { userId, isActive: true },
      order: { isPrimary: 'DESC', id: 'ASC' },
      lock: { mode: 'for_no_key_update' },
    });
  }

  async primaryExists(manager: EntityManager, userId: number): Promise<boolean> {
    return manager.getRepository(MfaMethod).existsBy({ userId, isPrimary: true });
  }

  /**
   * Inserts the method unless the user has one of that name (two first activations at once: one row, no
   * unique-violation error), then returns the row as stored, locked.
   */
  async insertIfMissing(manager: EntityManager, method: NewMfaMethod): Promise<MfaMethod> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(MfaMethod)
      .values({
        userId: method.userId,
        name: method.name,
        secret: method.secret,
        createdAt: method.now,
        updatedAt: method.now,
      })
      .orIgnore()
      .execute();
    const stored = await this.lock(manager, method.userId, method.name);
    if (!stored) throw new Error('the method inserted is not there');
    return stored;
  }

  /** Writes exactly these columns and returns the row as stored. */
  async update(manager: EntityManager, id: number, columns: MfaMethodColumns): Promise<MfaMethod> {
    if (Object.keys(columns).length) await manager.getRepository(MfaMethod).update({ id }, columns);
    return manager.getRepository(MfaMethod).findOneByOrFail({ id });
  }

  /** Stores a new ephemeral token (by its hash) and sweeps the expired ones. */
  async insertToken(manager: EntityManager, tokenHash: string, userId: number, expiresAt: Date, now: Date) {
    const repo = manager.getRepository(MfaEphemeralToken);
    await repo.delete({ expiresAt: LessThanOrEqual(now) });
    await repo.insert({ tokenHash, userId, expiresAt });
  }

  /** The user an unexpired token stands for (read only: the login step locks it again). */
  async tokenUser(tokenHash: string, now: Date): Promise<User | null> {
    const token = await this.dataSource
      .getRepository(MfaEphemeralToken)
      .findOne({ where: { tokenHash }, relations: { user: true } });
    return token && token.expiresAt.getTime() > now.getTime() ? token.user : null;
  }

  /** The token's row, locked: two logins presenting it cannot both spend it. */
  lockToken(manager: EntityManager, tokenHash: string): Promise<MfaEphemeralToken | null> {
    return manager
      .getRepository(MfaEphemeralToken)
      .findOne({ where: { tokenHash }, lock: { mode: 'for_no_key_update' } });
  }

  async deleteToken(manager: EntityManager, tokenHash: string): Promise<void> {
    await manager.getRepository(MfaEphemeralToken).delete({ tokenHash });
  }
}
