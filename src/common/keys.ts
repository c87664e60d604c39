import { randomBytes } from 'node:crypto';

/** shortuuid's alphabet (no 0, 1, I, O, l): environment client keys look like Flagsmith's. */
const ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** `length` characters from the shortuuid alphabet, uniformly (rejection sampling). */
export function shortUuid(length = 22): string {
  let out = '';
  const limit = 256 - (256 % ALPHABET.length);
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit) out += ALPHABET[byte % ALPHABET.length];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A client-side environment key: 22 shortuuid characters. */
export const newEnvironmentKey = (): string => shortUuid(22);
/** A server-side environment key: "ser." + 22 shortuuid characters. */
export const newServerKey = (): string => `ser.${shortUuid(22)}`;
