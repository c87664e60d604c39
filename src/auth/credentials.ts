import { createHash } from 'node:crypto';

/**
 * DRF's TokenAuthentication and Flagsmith's MasterAPIKeyAuthentication as pure functions: what an Authorization
 * header presents, and why a stored credential does not match it (the 401 detail), `now` in epoch milliseconds.
 */

export const NOT_PROVIDED = 'Authentication credentials were not provided.';
export const NO_CREDENTIALS = 'Invalid token header. No credentials provided.';
export const INVALID_TOKEN = 'Invalid token.';
export const INACTIVE_USER = 'User inactive or deleted.';
export const INVALID_API_KEY = 'Invalid API key.';

export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/** What an Authorization header presents, or the 401 detail when it presents nothing usable. */
export type PresentedCredential =
  | { readonly scheme: 'token'; readonly key: string }
  | { readonly scheme: 'api-key'; readonly key: string }
  | { readonly scheme: 'none'; readonly detail: string };

export function parseAuthorization(header: string | undefined): PresentedCredential {
  const match = /^\s*(Token|Api-Key|Bearer)\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) {
    const bare = !!header && /^\s*(Token|Api-Key)\s*$/i.test(header);
    return { scheme: 'none', detail: bare ? NO_CREDENTIALS : NOT_PROVIDED };
  }
  const scheme = match[1].toLowerCase();
  // Bearer is not an authentication scheme of the management API (OAuth access tokens are exchanged first).
  if (scheme === 'bearer') return { scheme: 'none', detail: NOT_PROVIDED };
  return { scheme: scheme === 'api-key' ? 'api-key' : 'token', key: match[2] };
}

/** Tokens are stored in 40-character keys: a longer one is looked up by its first 40 and then fails to match. */
export const tokenLookupKey = (presented: string): string => presented.slice(0, 40);

/** Master API keys are `<8-character prefix>.<secret>`; null when the key cannot be one. */
export function masterKeyPrefix(presented: string): string | null {
  const prefix = presented.split('.')[0];
  return prefix.length === 8 ? prefix : null;
}

export interface StoredToken {
  readonly key: string;
  readonly user: { readonly isActive: boolean };
}

/** Why a stored token does not authenticate `presented` (null: it does). */
export function tokenProblem(token: StoredToken | null, presented: string): string | null {
  if (!token || token.key !== presented) return INVALID_TOKEN;
  if (!token.user.isActive) return INACTIVE_USER;
  return null;
}

export interface StoredMasterKey {
  readonly hashedKey: string;
  readonly revoked: boolean;
  readonly expiryDate: Date | null;
}

/** Why a stored master API key does not authenticate `presented` (null: it does). Expired at its expiry date. */
export function masterKeyProblem(key: StoredMasterKey | null, presented: string, now: number): string | null {
  if (!key || key.hashedKey !== hashApiKey(presented) || key.revoked) return INVALID_API_KEY;
  if (key.expiryDate !== null && key.expiryDate.getTime() <= now) return INVALID_API_KEY;
  return null;
}
