import { randomBytes } from 'node:crypto';
import type { MasterApiKey } from '../organisations/organisation.entity';
import type { AuthToken, User } from '../users/user.entity';
import { CredentialStore } from './credentials.repository';

/** CredentialStore in one process's memory (unit tests): tokens by key, master API keys by prefix. */
export class InMemoryCredentials implements CredentialStore {
  readonly tokens = new Map<string, AuthToken>();
  readonly masterKeys = new Map<string, MasterApiKey>();

  constructor(private readonly users: ReadonlyMap<number, User> = new Map()) {}

  findToken(key: string): Promise<AuthToken | null> {
    return Promise.resolve(this.tokens.get(key) ?? null);
  }

  findMasterKey(prefix: string): Promise<MasterApiKey | null> {
    return Promise.resolve(this.masterKeys.get(prefix) ?? null);
  }

  tokenFor(userId: number): Promise<string> {
    for (const token of this.tokens.values()) if (token.userId === userId) return Promise.resolve(token.key);
    const user = this.users.get(userId);
    if (!user) return Promise.reject(new Error(`no user ${userId}`));
    const key = randomBytes(20).toString('hex');
    this.tokens.set(key, { key, userId, user, created: new Date() });
    return Promise.resolve(key);
  }

  deleteToken(key: string): Promise<void> {
    this.tokens.delete(key);
    return Promise.resolve();
  }
}
