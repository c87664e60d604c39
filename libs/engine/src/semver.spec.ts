import { compareSemver, parseSemver, type SemVer } from './semver';

function parse(text: string): SemVer {
  const version = parseSemver(text);
  if (version === null) throw new Error(`not a version: ${text}`);
  return version;
}

const compare = (a: string, b: string): number => compareSemver(parse(a), parse(b));

describe('parseSemver', () => {
  it.each([
    '1.2.3',
    '0.0.0',
    'v1.2.3',
    ' 1.2.3 ',
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-0.3.7',
    '1.0.0-x-y-z.--',
  ])('%j → a version', (text) => {
    expect(parseSemver(text)).not.toBeNull();
  });

  it.each([
    '1.2',
    '1',
    '01.2.3',
    '1.02.3',
    '1.2.3-01',
    '1.2.3-',
    '1.2.3+',
    '=1.2.3',
    'V1.2.3',
    '1.2.3.4',
    'a.b.c',
    '',
    '1.2.3 beta',
    '9007199254740992.0.0',
  ])('%j → null (npm semver would throw)', (text) => {
    expect(parseSemver(text)).toBeNull();
  });

  it('string longer than 256 characters → null even when it is a valid version', () => {
    const long = `1.2.3-${'a'.repeat(251)}`;
    expect(long.length).toBe(257);
    expect(parseSemver(long)).toBeNull();
    expect(parseSemver(long.slice(0, 256))).not.toBeNull();
  });

  it('non-string input → null', () => {
    expect(parseSemver(123)).toBeNull();
    expect(parseSemver(null)).toBeNull();
    expect(parseSemver(true)).toBeNull();
  });

  it('numeric pre-release identifiers → numbers; build metadata → dropped from the canonical version', () => {
    expect(parse('v1.2.3-beta.11+build.5')).toEqual({
      major: 1,
      minor: 2,
      patch: 3,
      prerelease: ['beta', 11],
      version: '1.2.3-beta.11',
    });
  });
});

describe('compareSemver', () => {
  it('semver.org precedence chain → strictly increasing', () => {
    const chain = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.1',
      '1.1.0',
      '2.0.0',
      '10.0.0',
    ];
    for (let i = 0; i + 1 < chain.length; i++) {
      expect(compare(chain[i], chain[i + 1])).toBe(-1);
      expect(compare(chain[i + 1], chain[i])).toBe(1);
    }
  });

  it('versions differing only in build metadata or a leading v → equal', () => {
    expect(compare('1.0.0+a', '1.0.0+b')).toBe(0);
    expect(compare('v1.0.0', '1.0.0')).toBe(0);
  });

  it('numeric identifiers → compared by value, not as text ("1.10.0" > "1.9.0")', () => {
    expect(compare('1.10.0', '1.9.0')).toBe(1);
    expect(compare('1.0.0-rc.10', '1.0.0-rc.9')).toBe(1);
  });
});
