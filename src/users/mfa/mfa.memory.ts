import type { EntityManager } from 'typeorm';
import type { User } from '../user.entity';
import { MfaEphemeralToken, MfaMethod } from './mfa.entity';
import type { MfaMethodColumns, MfaRepository, NewMfaMethod } from './mfa.repository';

/** MfaRepository in memory, for service specs: rows by id, tokens by hash, users handed in by the test. */
export class InMemoryMfa {
  readonly methods = new Map<number, MfaMethod>();
  readonly tokens = new Map<string, MfaEphemeralToken>();
  readonly users = new Map<number, User>();
  private nextId = 1;

  private copy(method: MfaMethod): MfaMethod {
    return Object.assign(new MfaMethod(), method);
  }
  private find(userId: number, name: string): MfaMethod | undefined {
    return [...this.methods.values()].find((m) => m.userId === userId && m.name === name);
  }
  private active(userId: number): MfaMethod[] {
    return [...this.methods.values()]
      .filter((m) => m.userId === userId && m.isActive)
      .sort((a, b) => Number(b.isPrimary) - Number(a.isPrimary) || a.id - b.id)
      .map((m) => this.copy(m));
  }

  listActive(userId: number) {
    return Promise.resolve(this.active(userId));
  }
  primaryActive(userId: number) {
    return Promise.resolve(this.active(userId).find((m) => m.isPrimary) ?? null);
  }
  lock(_m: EntityManager, userId: number, name: string) {
    const found = this.find(userId, name);
    return Promise.resolve(found ? this.copy(found) : null);
  }
  lockActive(_m: EntityManager, userId: number) {
    return Promise.resolve(this.active(userId));
  }
  primaryExists(_m: EntityManager, userId: number) {
    return Promise.resolve([...this.methods.values()].some((m) => m.userId === userId && m.isPrimary));
  }
  insertIfMissing(_m: EntityManager, method: NewMfaMethod) {
    if (!this.find(method.userId, method.name)) {
      const row = Object.assign(new MfaMethod(), {
        id: this.nextId++,
        userId: method.userId,
        name: method.name,
        secret: method.secret,
        isPrimary: false,
        isActive: false,
        backupCodes: '',
        lastUsedStep: null,
        createdAt: method.now,
        updatedAt: method.now,
      });
      this.methods.set(row.id, row);
    }
    return Promise.resolve(this.copy(this.find(method.userId, method.name)!));
  }
  update(_m: EntityManager, id: number, columns: MfaMethodColumns) {
    const row = Object.assign(this.methods.get(id)!, columns);
    return Promise.resolve(this.copy(row));
  }
  insertToken(_m: EntityManager, tokenHash: string, userId: number, expiresAt: Date, now: Date) {
    for (const [hash, token] of this.tokens) if (token.expiresAt <= now) this.tokens.delete(hash);
    this.tokens.set(tokenHash, Object.assign(new MfaEphemeralToken(), { tokenHash, userId, expiresAt }));
    return Promise.resolve();
  }
  tokenUser(tokenHash: string, now: Date) {
    const token = this.tokens.get(tokenHash);
    const valid = token && token.expiresAt.getTime() > now.getTime();
    return Promise.resolve(valid ? (this.users.get(token.userId) ?? null) : null);
  }
  lockToken(_m: EntityManager, tokenHash: string) {
    const token = this.tokens.get(tokenHash);
    return Promise.resolve(token ? Object.assign(new MfaEphemeralToken(), token) : null);
  }
  deleteToken(_m: EntityManager, tokenHash: string) {
    this.tokens.delete(tokenHash);
    return Promise.resolve();
  }

  asRepository(): MfaRepository {
    return this as unknown as MfaRepository;
  }
}
