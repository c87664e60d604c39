import { isIP } from 'node:net';
import { networkInterfaces, NetworkInterfaceInfo } from 'node:os';
import type { TelemetryJson } from '../telemetry-receiver/telemetry.schemas';

/**
 * What an install reports at startup (Flagsmith's TelemetrySerializer fields, plus the external address the
 * deployment document lists, docs/contracts/deployment.md); the receiver's schema is the same.
 */
export type TelemetryData = TelemetryJson;

/** Django's env.bool() truth values for DEBUG. */
export function debugEnabled(raw: string | undefined): boolean {
  return raw !== undefined && ['true', '1', 'yes', 'on', 'y', 't'].includes(raw.trim().toLowerCase());
}

/**
 * The first public address on this machine's network interfaces (IPv4 preferred), without asking any outside
 * service; undefined behind NAT or in a pod network, where every address is private.
 */
export function findExternalIp(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): string | undefined {
  const addresses = Object.values(interfaces)
    .flatMap((list) => list ?? [])
    .filter((info) => !info.internal && isPublicAddress(info.address));
  const v4 = addresses.find((info) => info.family === 'IPv4');
  return (v4 ?? addresses[0])?.address;
}

/** False for loopback, private, link-local, CGNAT, unique-local, documentation and unspecified ranges. */
export function isPublicAddress(address: string): boolean {
  const version = isIP(address);
  if (version === 4) {
    const [a, b] = address.split('.').map(Number);
    if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
    if (a === 100 && b >= 64 && b <= 127) return false; // CGNAT
    if (a === 169 && b === 254) return false; // link-local
    if (a === 172 && b >= 16 && b <= 31) return false;
    if (a === 192 && b === 168) return false;
    if (a === 192 && b === 0) return false; // IETF protocol assignments, TEST-NET-1
    if (a === 198 && (b === 18 || b === 19 || b === 51)) return false; // benchmarking, TEST-NET-2
    if (a === 203 && b === 0) return false; // TEST-NET-3
    return true;
  }
  if (version === 6) {
    const lower = address.toLowerCase();
    if (lower === '::' || lower === '::1') return false;
    if (lower.startsWith('::ffff:')) return isPublicAddress(lower.slice(7));
    const first = parseInt(lower.split(':')[0] || '0', 16);
    if ((first & 0xfe00) === 0xfc00) return false; // unique local fc00::/7
    if ((first & 0xffc0) === 0xfe80) return false; // link-local fe80::/10
    if ((first & 0xff00) === 0xff00) return false; // multicast
    if (lower.startsWith('2001:db8:') || lower.startsWith('2001:0db8:')) return false; // documentation
    return (first & 0xe000) === 0x2000; // global unicast 2000::/3
  }
  return false;
}
