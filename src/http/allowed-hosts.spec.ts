import { compileAllowedHosts, domainOf, headerNameFromMeta } from './allowed-hosts';

describe('allowed hosts (Django semantics)', () => {
  it('"*" anywhere in the list allows every host, so the check is skipped (null)', () => {
    expect(compileAllowedHosts(['*'])).toBeNull();
    expect(compileAllowedHosts(['a.example', '*'])).toBeNull();
  });

  it('an empty list refuses every host', () => {
    const check = compileAllowedHosts([])!;
    expect(check('localhost')).toBe(false);
  });

  it('exact names match case-insensitively, ignoring the port and a trailing dot', () => {
    const check = compileAllowedHosts(['API.example.com'])!;
    expect(check('api.example.com')).toBe(true);
    expect(check('Api.Example.Com:8443')).toBe(true);
    expect(check('api.example.com.')).toBe(true);
    expect(check('www.api.example.com')).toBe(false);
    expect(check('example.com')).toBe(false);
  });

  it('".example.com" matches the domain and every subdomain, not look-alikes', () => {
    const check = compileAllowedHosts(['.example.com'])!;
    expect(check('example.com')).toBe(true);
    expect(check('a.b.example.com:80')).toBe(true);
    expect(check('badexample.com')).toBe(false);
    expect(check('example.com.evil.org')).toBe(false);
  });

  it('IPv4 and bracketed IPv6 hosts work; malformed Host values never match', () => {
    const check = compileAllowedHosts(['127.0.0.1', '[::1]'])!;
    expect(check('127.0.0.1:8000')).toBe(true);
    expect(check('[::1]:8000')).toBe(true);
    expect(check('')).toBe(false);
    expect(check('127.0.0.1 evil')).toBe(false);
    expect(check('a_b.example')).toBe(false);
  });

  it('domainOf strips port and trailing dot and rejects invalid syntax', () => {
    expect(domainOf('Flags.Example.com.:8000')).toBe('flags.example.com');
    expect(domainOf('[2001:db8::1]:443')).toBe('[2001:db8::1]');
    expect(domainOf('bad host')).toBe('');
  });

  it('SECURE_PROXY_SSL_HEADER_NAME in Django META spelling maps to the HTTP header', () => {
    expect(headerNameFromMeta('HTTP_X_FORWARDED_PROTO')).toBe('x-forwarded-proto');
    expect(headerNameFromMeta('http_x_scheme')).toBe('x-scheme');
    expect(headerNameFromMeta('X_FORWARDED_SSL')).toBe('x-forwarded-ssl');
  });
});
