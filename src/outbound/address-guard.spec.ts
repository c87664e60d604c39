import type { LookupAddress } from 'node:dns';
import { AddressGuard, InternalAddressError, parseCidr } from './address-guard';

const guard = new AddressGuard([]);

describe('AddressGuard', () => {
  it.each([
    ['127.0.0.1', 'IPv4 loopback'],
    ['127.255.255.254', 'IPv4 loopback, end of the /8'],
    ['0.0.0.0', 'unspecified'],
    ['10.1.2.3', 'RFC 1918 10/8'],
    ['172.16.0.1', 'RFC 1918 172.16/12'],
    ['172.31.255.255', 'RFC 1918 172.16/12, last'],
    ['192.168.1.1', 'RFC 1918 192.168/16'],
    ['169.254.169.254', 'link-local: cloud metadata'],
    ['100.64.0.1', 'CGNAT'],
    ['100.127.255.255', 'CGNAT, last'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast (SSDP)'],
    ['255.255.255.255', 'broadcast'],
    ['::1', 'IPv6 loopback'],
    ['::', 'IPv6 unspecified'],
    ['fc00::1', 'IPv6 ULA fc00::/7'],
    ['fd12:3456::1', 'IPv6 ULA fd'],
    ['fe80::1', 'IPv6 link-local'],
    ['ff02::1', 'IPv6 multicast'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback, dotted'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback, hex'],
    ['::ffff:169.254.169.254', 'IPv4-mapped metadata'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['64:ff9b::7f00:1', 'NAT64 of loopback'],
  ])('%s (%s) → refused', (address) => {
    expect(guard.permits(address)).toBe(false);
  });

  it.each([
    ['93.184.216.34', 'public IPv4'],
    ['8.8.8.8', 'public IPv4'],
    ['172.32.0.1', 'just past 172.16/12'],
    ['100.128.0.1', 'just past CGNAT'],
    ['2606:2800:220:1:248:1893:25c8:1946', 'public IPv6'],
    ['::ffff:8.8.8.8', 'IPv4-mapped public'],
  ])('%s (%s) → allowed', (address) => {
    expect(guard.permits(address)).toBe(true);
  });

  it('not an address → refused', () => {
    expect(guard.permits('localhost')).toBe(false);
    expect(guard.permits('')).toBe(false);
  });

  it.each([
    ['http://127.0.0.1/', true],
    ['http://127.1/', true], // short form, normalised by the URL parser
    ['http://2130706433/', true], // decimal
    ['http://0x7f.0.0.1/', true], // hex octet
    ['http://0177.0.0.1/', true], // octal octet
    ['http://[::1]:8080/hook', true],
    ['http://[::ffff:127.0.0.1]/', true],
    ['http://[::ffff:a9fe:a9fe]/', true], // mapped 169.254.169.254
    ['http://169.254.169.254/latest/meta-data/', true],
    ['https://0.0.0.0/', true],
    ['https://example.com/hook', false], // a name: checked when called
    ['https://93.184.216.34/', false],
    ['not a url', false],
  ])('save-time check of %s → refused %s', (url, refused) => {
    expect(guard.refusesLiteral(url)).toBe(refused);
  });

  it('WEBHOOK_ALLOWED_NETWORKS → the listed networks are allowed, the rest stays refused', () => {
    const allowing = new AddressGuard(['127.0.0.1/32', 'fd00::/8', '10.1.0.0/16']);
    expect(allowing.permits('127.0.0.1')).toBe(true);
    expect(allowing.permits('::ffff:127.0.0.1')).toBe(true);
    expect(allowing.permits('127.0.0.2')).toBe(false);
    expect(allowing.permits('fd12::1')).toBe(true);
    expect(allowing.permits('10.1.200.3')).toBe(true);
    expect(allowing.permits('10.2.0.1')).toBe(false);
    expect(allowing.refusesLiteral('http://127.0.0.1:9000/')).toBe(false);
  });

  it('a name resolving to a private address among public ones → refused, naming the address', async () => {
    const answers: LookupAddress[] = [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.5', family: 4 },
    ];
    const resolving = new AddressGuard([], () => Promise.resolve(answers));
    await expect(resolving.resolve('rebind.example')).rejects.toThrow(InternalAddressError);
    await expect(resolving.resolve('rebind.example')).rejects.toThrow(/10\.0\.0\.5/);
  });

  it('a name resolving to public addresses only → those addresses, handed to the connection', async () => {
    const answers: LookupAddress[] = [{ address: '93.184.216.34', family: 4 }];
    const resolving = new AddressGuard([], () => Promise.resolve(answers));
    const got = await new Promise<string>((resolve, reject) =>
      resolving.lookup()('hooks.example', {}, (err, address) =>
        err ? reject(err) : resolve(address as string),
      ),
    );
    expect(got).toBe('93.184.216.34');
  });

  it('localhost (the system resolver) → refused', async () => {
    await expect(guard.resolve('localhost')).rejects.toThrow(InternalAddressError);
  });

  it.each(['10.0.0.0/8', '::1', '::/0', '192.168.0.0/33', 'abc/8', '10.0.0.0/8/1', '10.0.0.0/x'])(
    'parseCidr(%s)',
    (text) => {
      const valid = ['10.0.0.0/8', '::1', '::/0'].includes(text);
      if (valid) expect(parseCidr(text).prefix).toBeGreaterThanOrEqual(0);
      else expect(() => parseCidr(text)).toThrow(/not a CIDR/);
    },
  );
});
