import { createCipheriv, createDecipheriv, createHash, randomBytes, randomInt } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

/**
 * The app (TOTP) method as pure functions: secrets, otpauth:// links, code checks by time step, the sealed form a
 * secret is stored in, and backup codes. Flagsmith's values: 32 base32 characters of secret (pyotp
 * random_base32(32), 160 bits), SHA-1, 6 digits, 30-second steps, issuer "Flagsmith"; 5 backup codes of 10
 * letters and digits.
 */
export const ISSUER = 'Flagsmith';
export const STEP_SECONDS = 30;
/**
 * Steps either side of now a code is accepted for (RFC 6238 §5.2's one step of network delay). Flagsmith allows
 * ±30 steps (VALIDITY_PERIOD 600 / 20, a quarter of an hour either way); flagport keeps the RFC's window.
 */
export const WINDOW_STEPS = 1;
export const BACKUP_CODES_QUANTITY = 5;
export const BACKUP_CODE_LENGTH = 10;
const BACKUP_CODE_CHARACTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const SECRET_BYTES = 20;

const totp = (secret: string, label = '') =>
  new TOTP({
    issuer: ISSUER,
    label,
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: STEP_SECONDS,
  });

export function newSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

/** The otpauth:// link an authenticator app reads from the QR code (Flagsmith's `qr_link`). */
export function provisioningUri(secret: string, email: string): string {
  return totp(secret, email).toString();
}

/** The time step a moment falls in. */
export const stepAt = (nowMs: number): number => Math.floor(nowMs / 1000 / STEP_SECONDS);

/** The code of a time step (what an authenticator shows then); for tests and the CLI. */
export function codeAt(secret: string, nowMs: number): string {
  return totp(secret).generate({ timestamp: nowMs });
}

/** The time step `code` is the code of, within the window around `nowMs`, or null when it is none of them. */
export function matchingStep(secret: string, code: string, nowMs: number): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totp(secret).validate({ token: code, timestamp: nowMs, window: WINDOW_STEPS });
  return delta === null ? null : stepAt(nowMs) + delta;
}

/** Whether `code` has the form of a backup code (so that a TOTP code never costs the backup codes' hashing). */
export const looksLikeBackupCode = (code: string): boolean =>
  code.length === BACKUP_CODE_LENGTH && /^[A-Za-z0-9]+$/.test(code);

export function newBackupCodes(): string[] {
  const codes = new Set<string>();
  while (codes.size < BACKUP_CODES_QUANTITY) {
    let code = '';
    for (let i = 0; i < BACKUP_CODE_LENGTH; i++)
      code += BACKUP_CODE_CHARACTERS[randomInt(BACKUP_CODE_CHARACTERS.length)];
    codes.add(code);
  }
  return [...codes];
}

/**
 * A TOTP secret as stored. With DJANGO_SECRET_KEY set, AES-256-GCM under a key derived from it
 * (`aes256gcm:<iv>.<tag>.<ciphertext>`, base64url); with a key generated for this process only (it would be lost
 * at the next start, and every enrolled user with it) the secret is kept as `plain:<secret>`. Flagsmith stores
 * it in plain text.
 */
export type SecretKey = Buffer | null;

export function secretKeyFrom(djangoSecretKey: string, generated: boolean): SecretKey {
  return generated ? null : createHash('sha256').update(`flagport.mfa-secret.${djangoSecretKey}`).digest();
}

export function sealSecret(secret: string, key: SecretKey): string {
  if (!key) return `plain:${secret}`;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  const parts = [iv, cipher.getAuthTag(), sealed].map((b) => b.toString('base64url'));
  return `aes256gcm:${parts.join('.')}`;
}

/** The secret, or null when it cannot be read (sealed under another DJANGO_SECRET_KEY, or not ours). */
export function openSecret(stored: string, key: SecretKey): string | null {
  if (stored.startsWith('plain:')) return stored.slice('plain:'.length);
  if (!stored.startsWith('aes256gcm:') || !key) return null;
  const parts = stored.slice('aes256gcm:'.length).split('.');
  if (parts.length !== 3) return null;
  const [iv, tag, sealed] = parts.map((p) => Buffer.from(p, 'base64url'));
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(sealed), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
