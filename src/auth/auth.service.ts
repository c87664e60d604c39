import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { User } from '../users/user.entity';
import {
  INVALID_API_KEY,
  INVALID_TOKEN,
  masterKeyPrefix,
  masterKeyProblem,
  parseAuthorization,
  tokenLookupKey,
  tokenProblem,
} from './credentials';
import { CREDENTIAL_STORE, CredentialStore } from './credentials.repository';
import { Principal } from './principal';

export { hashApiKey } from './credentials';

/** Who an Authorization header authenticates, or the 401 detail saying why it does not. */
export type Authentication =
  { readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly detail: string };

/** Resolves `Authorization` headers and issues tokens. The rules are in credentials.ts. */
@Injectable()
export class AuthService {
  constructor(@Inject(CREDENTIAL_STORE) private readonly store: CredentialStore) {}

  async authenticate(header: string | undefined): Promise<Authentication> {
    const presented = parseAuthorization(header);
    if (presented.scheme === 'none') return { ok: false, detail: presented.detail };
    if (presented.scheme === 'api-key') {
      const prefix = masterKeyPrefix(presented.key);
      const key = prefix ? await this.store.findMasterKey(prefix) : null;
      const problem = masterKeyProblem(key, presented.key, Date.now());
      if (problem !== null || key === null) return { ok: false, detail: problem ?? INVALID_API_KEY };
      return { ok: true, principal: { kind: 'master_key', key } };
    }
    const token = await this.store.findToken(tokenLookupKey(presented.key));
    const problem = tokenProblem(token, presented.key);
    if (problem !== null || token === null) return { ok: false, detail: problem ?? INVALID_TOKEN };
    return { ok: true, principal: { kind: 'user', user: token.user, tokenKey: token.key } };
  }

  /** The user's token, created on first use (DRF's Token.objects.get_or_create). */
  tokenFor(user: User, manager?: EntityManager): Promise<string> {
    return this.store.tokenFor(user.id, manager);
  }

  deleteToken(key: string): Promise<void> {
    return this.store.deleteToken(key);
  }
}
