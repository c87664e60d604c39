import { hashApiKey, masterKeyProblem } from './credentials';

describe('masterKeyProblem expiry boundary', () => {
  const key = (expiryDate: Date | null) => ({ hashedKey: hashApiKey('k'), revoked: false, expiryDate });
  const at = Date.UTC(2024, 0, 1);

  it('a key 1 ms before its expiry date → valid', () => {
    expect(masterKeyProblem(key(new Date(at + 1)), 'k', at)).toBeNull();
  });

  it('a key at its expiry date → invalid', () => {
    expect(masterKeyProblem(key(new Date(at)), 'k', at)).toBe('Invalid API key.');
  });

  it('a key without an expiry date → valid whenever', () => {
    expect(masterKeyProblem(key(null), 'k', at + 1e12)).toBeNull();
  });
});
