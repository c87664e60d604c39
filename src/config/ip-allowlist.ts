import { BlockList, isIP } from 'node:net';
import { ConfigError } from './setting-types';

/** `::ffff:10.0.0.1` → `10.0.0.1`, so IPv4 rules match IPv4 clients of a dual-stack listener. */
export function normaliseAddress(address: string): string {
  const lower = address.trim().toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

/**
 * Compiles ALLOWED_ADMIN_IP_ADDRESSES (addresses or CIDR ranges, IPv4 or IPv6) into a predicate; null = no
 * restriction. Throws ConfigError for an entry that is neither.
 */
export function compileIpAllowlist(entries: readonly string[]): ((address: string) => boolean) | null {
  if (entries.length === 0) return null;
  const list = new BlockList();
  for (const raw of entries) {
    const entry = raw.trim();
    const slash = entry.indexOf('/');
    const address = normaliseAddress(slash === -1 ? entry : entry.slice(0, slash));
    const family = isIP(address);
    const prefix = slash === -1 ? undefined : Number(entry.slice(slash + 1));
    const maxPrefix = family === 4 ? 32 : 128;
    if (
      family === 0 ||
      (prefix !== undefined && (!Number.isInteger(prefix) || prefix < 0 || prefix > maxPrefix))
    ) {
      throw new ConfigError(
        'ALLOWED_ADMIN_IP_ADDRESSES',
        `"${entry}" is not an IP address or CIDR range (e.g. 10.0.0.5, 10.0.0.0/8, ::1)`,
      );
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, prefix, type);
  }
  return (client: string) => {
    const address = normaliseAddress(client);
    const family = isIP(address);
    if (family === 0) return false;
    return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
}
