import { signState, STATE_TTL_SECONDS, verifyState } from './oauth-state';

const SECRET = 'unit-test-secret';

describe('OAuth state', () => {
  it('round-trips provider, invite hash and sign-up type with a fresh nonce each time', () => {
    const a = signState(SECRET, { provider: 'github', inviteHash: 'h1', signUpType: 'INVITE_LINK' });
    const b = signState(SECRET, { provider: 'github' });
    const checkA = verifyState(SECRET, 'github', a);
    const checkB = verifyState(SECRET, 'github', b);
    expect(checkA).toMatchObject({
      ok: true,
      payload: { provider: 'github', inviteHash: 'h1', signUpType: 'INVITE_LINK' },
    });
    expect(checkA.ok && checkB.ok && checkA.payload.nonce !== checkB.payload.nonce).toBe(true);
  });

  it('refuses another secret, another provider, an altered body, and junk', () => {
    const state = signState(SECRET, { provider: 'google' });
    expect(verifyState('other-secret', 'google', state)).toEqual({ ok: false, reason: 'bad signature' });
    expect(verifyState(SECRET, 'github', state)).toEqual({
      ok: false,
      reason: 'state issued for another provider',
    });
    const [body, sig] = state.split('.');
    const altered = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), inviteHash: 'x' }),
    ).toString('base64url');
    expect(verifyState(SECRET, 'google', `${altered}.${sig}`).ok).toBe(false);
    for (const junk of [undefined, '', '.', 'abc', `${body}.`, ['a'], 'x'.repeat(5000)])
      expect(verifyState(SECRET, 'google', junk).ok).toBe(false);
  });

  it('expires after STATE_TTL_SECONDS', () => {
    const issued = Date.now();
    const state = signState(SECRET, { provider: 'github' }, issued);
    expect(verifyState(SECRET, 'github', state, issued + STATE_TTL_SECONDS * 1000).ok).toBe(true);
    expect(verifyState(SECRET, 'github', state, issued + (STATE_TTL_SECONDS + 2) * 1000)).toEqual({
      ok: false,
      reason: 'expired state',
    });
  });
});
