import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Password hashes: `scrypt$<N>$<r>$<p>$<salt b64>$<hash b64>` (Node's crypto.scrypt, 64-byte key).
 * A hash starting with "!" is unusable: nobody can log in with a password until one is set via reset.
 */
const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 64;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_LENGTH, { N: n, r, p, maxmem: 256 * n * r }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * A hash of no one's password, with the same parameters as real ones: logins for an unknown email, an inactive
 * account or an unusable password are checked against it, so every failed login costs the same scrypt work
 * and its timing does not tell whether the account exists. Its key is random: nothing matches it.
 */
export const DUMMY_PASSWORD_HASH = `scrypt$${N}$${R}$${P}$${randomBytes(16).toString('base64')}$${randomBytes(KEY_LENGTH).toString('base64')}`;

/**
 * Whether `password` is the password of an account whose stored hash is `hash` (undefined for no account).
 * Always derives one scrypt key, whether or not there is an account to compare with.
 */
export async function verifyLoginPassword(password: string, hash: string | undefined): Promise<boolean> {
  const usable = hash !== undefined && isUsablePassword(hash);
  const matches = await verifyPassword(password, usable ? hash : DUMMY_PASSWORD_HASH);
  return usable && matches;
}

export function unusablePassword(): string {
  return `!${randomBytes(20).toString('hex')}`;
}

export function isUsablePassword(hash: string): boolean {
  return hash.startsWith('scrypt$');
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4], 'base64');
  const expected = Buffer.from(parts[5], 'base64');
  const key = await derive(password, salt, n, r, p);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** Django's password validators that matter here (length, all-numeric). Returns error messages. */
export function passwordProblems(password: string, email?: string): string[] {
  const problems: string[] = [];
  if (password.length < 8)
    problems.push('This password is too short. It must contain at least 8 characters.');
  if (/^\d+$/.test(password)) problems.push('This password is entirely numeric.');
  if (email && password.toLowerCase() === email.toLowerCase())
    problems.push('The password is too similar to the email address.');
  if (['password', 'password1', '12345678', 'qwertyui', '123456789'].includes(password.toLowerCase()))
    problems.push('This password is too common.');
  return problems;
}

/**
 * Password-reset tokens à la Django: `<timestamp base36>-<hmac>` over the user id, current password hash,
 * last login and timestamp, keyed by DJANGO_SECRET_KEY. Changing the password (or logging in) invalidates it.
 */
export const RESET_TOKEN_TTL_SECONDS = 3 * 24 * 3600;

interface ResetSubject {
  id: number;
  password: string;
  lastLogin: Date | null;
}

function resetHmac(secret: string, user: ResetSubject, ts: number): string {
  const lastLogin = user.lastLogin ? String(user.lastLogin.getTime()) : '';
  return createHmac('sha256', `flagport.password-reset.${secret}`)
    .update(`${user.id}|${user.password}|${lastLogin}|${ts}`)
    .digest('hex')
    .slice(0, 40);
}

export function makeResetToken(secret: string, user: ResetSubject, now = Date.now()): string {
  const ts = Math.floor(now / 1000);
  return `${ts.toString(36)}-${resetHmac(secret, user, ts)}`;
}

export function checkResetToken(
  secret: string,
  user: ResetSubject,
  token: string,
  now = Date.now(),
): boolean {
  const match = /^([0-9a-z]{1,13})-([0-9a-f]{40})$/.exec(token);
  if (!match) return false;
  const ts = parseInt(match[1], 36);
  if (Math.floor(now / 1000) - ts > RESET_TOKEN_TTL_SECONDS) return false;
  const expected = Buffer.from(resetHmac(secret, user, ts));
  const given = Buffer.from(match[2]);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export const encodeUid = (id: number): string => Buffer.from(String(id)).toString('base64url');
export function decodeUid(uid: string): number | undefined {
  const text = Buffer.from(uid, 'base64url').toString('utf8');
  return /^\d{1,10}$/.test(text) ? Number(text) : undefined;
}
