import { AdminAuthService, readCookie, sameSecret } from './admin-auth.service';
import { maskSecret } from './entity-resource';
import { AppConfig } from '../config';

function service(secret = 'a-secret-key') {
  const config = { secretKey: secret, ENABLE_ADMIN_ACCESS_USER_PASS: false } as unknown as AppConfig;
  return new AdminAuthService(undefined as never, config, undefined as never);
}

describe('admin SSO tickets', () => {
  it('carry the user id once, only with the state cookie they were issued for', () => {
    const auth = service();
    const ticket = auth.issueTicket(42, 'state-1');
    expect(auth.redeemTicket(ticket, 'state-2')).toBeUndefined();
    expect(auth.redeemTicket(ticket, 'state-1')).toBe(42);
    expect(auth.redeemTicket(ticket, 'state-1')).toBeUndefined(); // single use
  });

  it('are refused when tampered with, expired or signed with another key', () => {
    const auth = service();
    const ticket = auth.issueTicket(42, 's');
    const [id, exp, digest, mac] = ticket.split('.');
    expect(auth.redeemTicket(`43.${exp}.${digest}.${mac}`, 's')).toBeUndefined();
    expect(auth.redeemTicket(service('other').issueTicket(42, 's'), 's')).toBeUndefined();
    expect(auth.redeemTicket(`${id}.${exp}.${digest}`, 's')).toBeUndefined();
    jest.useFakeTimers({ now: Date.now() + 61_000 });
    try {
      expect(auth.redeemTicket(ticket, 's')).toBeUndefined();
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('admin helpers', () => {
  it('reads one cookie and compares secrets', () => {
    expect(readCookie('a=1; flagport_admin_oauth_state=xyz%3D; b=2', 'flagport_admin_oauth_state')).toBe(
      'xyz=',
    );
    expect(readCookie(undefined, 'a')).toBeUndefined();
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abd')).toBe(false);
    expect(sameSecret(undefined, 'abc')).toBe(false);
  });

  it('masks keys', () => {
    expect(maskSecret('ser.AbCdEfGhIjKlMnOpQrStUv')).toBe('ser.AbCd…');
    expect(maskSecret('2xwYCLHDdyAv7mMp7LHu6S')).toBe('2xwY…');
    expect(maskSecret(null)).toBeNull();
  });
});
