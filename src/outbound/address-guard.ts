import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * The SSRF guard of every outbound call a tenant can aim (webhooks now; integrations, feature health and imports
 * from URLs go through it too): internal addresses are refused unless the operator allowed their network
 * (WEBHOOK_ALLOWED_NETWORKS). A name is resolved, every address it has is checked, and the connection is made to
 * the checked address (`lookup` below), so a second answer of the DNS (rebinding) is never used.
 */

/** Networks no tenant may reach: loopback, private, link-local (cloud metadata), CGNAT, multicast, reserved. */
const INTERNAL_V4: [string, number][] = [
  ['0.0.0.0', 8], // "this network", 0.0.0.0
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, 169.254.169.254 metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];
const INTERNAL_V6: [string, number][] = [
  ['::', 128], // unspecified
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
  ['64:ff9b::', 96], // NAT64 of any IPv4 address: not reachable as a public v6 host
];

function blockListOf(v4: [string, number][], v6: [string, number][]): BlockList {
  const list = new BlockList();
  for (const [net, prefix] of v4) list.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of v6) list.addSubnet(net, prefix, 'ipv6');
  return list;
}

const INTERNAL = blockListOf(INTERNAL_V4, INTERNAL_V6);

/** `a.b.c.d/n` or `v6::/n` (a bare address is /32 or /128); throws on anything else. */
export function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [address, prefixText, ...rest] = text.trim().split('/');
  const version = isIP(address);
  if (!version || rest.length) throw new Error(`"${text}" is not a CIDR network`);
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d+$/.test(prefixText ?? String(max)) || prefix > max)
    throw new Error(`"${text}" is not a CIDR network`);
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** Thrown when a URL aims at an address that is not allowed. */
export class InternalAddressError extends Error {}

/** Flagsmith's message for a refused address (core/validators.py). */
export const INTERNAL_ADDRESS_MESSAGE = 'URLs must not target internal or private network addresses.';

type Resolver = (host: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (host) =>
  new Promise((resolve, reject) =>
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses) =>
      err ? reject(err) : resolve(addresses),
    ),
  );

export class AddressGuard {
  private readonly allowed: BlockList;

  /** `allowedNetworks`: CIDRs reachable even when internal (WEBHOOK_ALLOWED_NETWORKS). */
  constructor(
    allowedNetworks: readonly string[],
    private readonly resolver: Resolver = systemResolver,
  ) {
    this.allowed = new BlockList();
    for (const cidr of allowedNetworks) {
      const { address, prefix, family } = parseCidr(cidr);
      this.allowed.addSubnet(address, prefix, family);
    }
  }

  /** Whether a literal address (v4, v6, IPv4-mapped v6) may be connected to. */
  permits(address: string): boolean {
    const version = isIP(address);
    if (!version) return false;
    const family = version === 4 ? 'ipv4' : 'ipv6';
    // BlockList matches an IPv4-mapped v6 address (::ffff:127.0.0.1, ::ffff:7f00:1) against the v4 rules too.
    if (this.allowed.check(address, family)) return true;
    return !INTERNAL.check(address, family);
  }

  /** The URL's host as a literal address, or null for a name (brackets of a v6 literal removed). */
  static literalHost(url: URL): string | null {
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    return isIP(host) ? host : null;
  }

  /** Save-time check: a literal address that is not allowed; a name is checked when it is called. */
  refusesLiteral(url: string): boolean {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return false; // not a URL: the field's own check answers
    }
    const literal = AddressGuard.literalHost(parsed);
    return literal !== null && !this.permits(literal);
  }

  /** Every address of `host`; throws InternalAddressError when any one of them is not allowed. */
  async resolve(host: string): Promise<LookupAddress[]> {
    if (isIP(host)) {
      if (!this.permits(host)) throw new InternalAddressError(`${host}: ${INTERNAL_ADDRESS_MESSAGE}`);
      return [{ address: host, family: isIP(host) }];
    }
    const addresses = await this.resolver(host);
    if (!addresses.length) throw new InternalAddressError(`${host} has no address`);
    const refused = addresses.find((a) => !this.permits(a.address));
    if (refused)
      throw new InternalAddressError(`${host} resolves to ${refused.address}: ${INTERNAL_ADDRESS_MESSAGE}`);
    return addresses;
  }

  /** A `lookup` for http(s).request: resolves and checks, then connects to the first checked address. */
  lookup(): LookupFunction {
    return (hostname, options, callback) => {
      this.resolve(hostname).then(
        (addresses) => {
          if ((options as { all?: boolean }).all)
            (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
          else callback(null, addresses[0].address, addresses[0].family);
        },
        (err: Error) => callback(err as NodeJS.ErrnoException, '', 0),
      );
    };
  }
}
