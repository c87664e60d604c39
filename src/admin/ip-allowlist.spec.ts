import { ConfigError } from '../config/setting-types';
import { compileIpAllowlist, isAdminPath, normaliseAddress } from './ip-allowlist';

describe('admin IP allowlist', () => {
  it('matches addresses and CIDR ranges, IPv4 and IPv6, and IPv4-mapped clients', () => {
    const allowed = compileIpAllowlist(['127.0.0.1', '10.0.0.0/8', '2001:db8::/32', '::1'])!;
    expect(allowed('127.0.0.1')).toBe(true);
    expect(allowed('::ffff:127.0.0.1')).toBe(true);
    expect(allowed('10.200.3.4')).toBe(true);
    expect(allowed('2001:db8:1::5')).toBe(true);
    expect(allowed('::1')).toBe(true);
    expect(allowed('127.0.0.2')).toBe(false);
    expect(allowed('11.0.0.1')).toBe(false);
    expect(allowed('2001:db9::1')).toBe(false);
    expect(allowed('not-an-ip')).toBe(false);
  });

  it('is off when the list is empty', () => {
    expect(compileIpAllowlist([])).toBeNull();
  });

  it('refuses entries that are not addresses or ranges, naming the variable', () => {
    for (const bad of ['localhost', '10.0.0.0/33', '10.0.0.0/x', '::1/129', '1.2.3']) {
      expect(() => compileIpAllowlist([bad])).toThrow(ConfigError);
      expect(() => compileIpAllowlist([bad])).toThrow(/ALLOWED_ADMIN_IP_ADDRESSES/);
    }
  });

  it('route patterns: covers /admin and everything under it, nothing else', () => {
    for (const url of [
      '/admin',
      '/admin/',
      '/admin/*',
      '/admin/login',
      '/admin/frontend/assets/app.bundle.js',
    ])
      expect(isAdminPath(url)).toBe(true);
    for (const url of ['/administrator', '/api/v1/admin', '/', '/adminx/'])
      expect(isAdminPath(url)).toBe(false);
  });

  it('normalises IPv4-mapped IPv6', () => {
    expect(normaliseAddress('::FFFF:10.1.2.3')).toBe('10.1.2.3');
    expect(normaliseAddress('::ffff:abcd')).toBe('::ffff:abcd');
  });
});
