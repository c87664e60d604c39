import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type OAuthProvider = 'github' | 'google';
export const OAUTH_PROVIDERS: readonly OAuthProvider[] = ['github', 'google'];

/** How long a user may take at the provider between the login redirect and the callback. */
export const STATE_TTL_SECONDS = 10 * 60;

/** What the login redirect carries through the provider and back, signed so it cannot be altered. */
export interface OAuthStatePayload {
  readonly provider: OAuthProvider;
  /** Random, single-use: the callback records it so a replayed state is refused. */
  readonly nonce: string;
  /** Unix seconds after which the callback refuses this state. */
  readonly expires: number;
  readonly inviteHash?: string;
  readonly signUpType?: string;
}

const signature = (secret: string, body: string): Buffer =>
  createHmac('sha256', `flagport.oauth-state.${secret}`).update(body).digest();

/** `<base64url JSON>.<base64url HMAC-SHA256>` keyed by DJANGO_SECRET_KEY. */
export function signState(
  secret: string,
  fields: { provider: OAuthProvider; inviteHash?: string; signUpType?: string },
  now = Date.now(),
): string {
  const payload: OAuthStatePayload = {
    provider: fields.provider,
    nonce: randomBytes(16).toString('base64url'),
    expires: Math.floor(now / 1000) + STATE_TTL_SECONDS,
    ...(fields.inviteHash ? { inviteHash: fields.inviteHash } : {}),
    ...(fields.signUpType ? { signUpType: fields.signUpType } : {}),
  };
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${signature(secret, body).toString('base64url')}`;
}

export type StateCheck =
  | { readonly ok: true; readonly payload: OAuthStatePayload }
  | { readonly ok: false; readonly reason: string };

/** Checks signature, provider and expiry. Whether the nonce was already used is the caller's (database) check. */
export function verifyState(
  secret: string,
  provider: OAuthProvider,
  state: unknown,
  now = Date.now(),
): StateCheck {
  if (typeof state !== 'string' || state.length > 2048) return { ok: false, reason: 'missing state' };
  const dot = state.indexOf('.');
  if (dot <= 0) return { ok: false, reason: 'malformed state' };
  const body = state.slice(0, dot);
  const given = Buffer.from(state.slice(dot + 1), 'base64url');
  const expected = signature(secret, body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'bad signature' };
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed state' };
  }
  if (!isPayload(payload)) return { ok: false, reason: 'malformed state' };
  if (payload.provider !== provider) return { ok: false, reason: 'state issued for another provider' };
  if (payload.expires < Math.floor(now / 1000)) return { ok: false, reason: 'expired state' };
  return { ok: true, payload };
}

function isPayload(value: unknown): value is OAuthStatePayload {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    OAUTH_PROVIDERS.includes(v.provider as OAuthProvider) &&
    typeof v.nonce === 'string' &&
    typeof v.expires === 'number' &&
    (v.inviteHash === undefined || typeof v.inviteHash === 'string') &&
    (v.signUpType === undefined || typeof v.signUpType === 'string')
  );
}
