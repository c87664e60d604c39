/**
 * Strict SemVer 2.0.0 parsing and precedence, matching what the node engine gets from npm `semver`
 * (`eq/gt/gte/lt/lte` on strict, non-loose versions): optional leading `v`, surrounding whitespace trimmed,
 * at most 256 characters, build metadata ignored for precedence.
 */

const MAX_LENGTH = 256;

const NUMERIC = '0|[1-9]\\d*';
const PRERELEASE_ID = `(?:\\d*[a-zA-Z-][a-zA-Z0-9-]*|${NUMERIC})`;
const BUILD_ID = '[a-zA-Z0-9-]+';
const SEMVER_PATTERN = new RegExp(
  `^v?(${NUMERIC})\\.(${NUMERIC})\\.(${NUMERIC})` +
    `(?:-(${PRERELEASE_ID}(?:\\.${PRERELEASE_ID})*))?` +
    `(?:\\+${BUILD_ID}(?:\\.${BUILD_ID})*)?$`,
);
const ALL_DIGITS = /^[0-9]+$/;

export interface SemVer {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Numeric identifiers below MAX_SAFE_INTEGER are numbers, everything else stays a string. */
  readonly prerelease: readonly (string | number)[];
  /** Canonical `major.minor.patch[-prerelease]` (no build metadata). */
  readonly version: string;
}

/** Parses a strict semantic version; returns null when npm `semver` would throw. */
export function parseSemver(input: unknown): SemVer | null {
  if (typeof input !== 'string' || input.length > MAX_LENGTH) return null;
  const match = SEMVER_PATTERN.exec(input.trim());
  if (!match) return null;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  const patch = Number(match[3]);
  if (major > Number.MAX_SAFE_INTEGER || minor > Number.MAX_SAFE_INTEGER || patch > Number.MAX_SAFE_INTEGER) {
    return null;
  }
  const prerelease: (string | number)[] = [];
  if (match[4]) {
    for (const id of match[4].split('.')) {
      const asNumber = ALL_DIGITS.test(id) ? Number(id) : NaN;
      prerelease.push(asNumber >= 0 && asNumber < Number.MAX_SAFE_INTEGER ? asNumber : id);
    }
  }
  let version = `${major}.${minor}.${patch}`;
  if (prerelease.length > 0) version += `-${prerelease.join('.')}`;
  return { major, minor, patch, prerelease, version };
}

const cache = new Map<string, SemVer | null>();
const CACHE_LIMIT = 10_000;

/** parseSemver() memoised for strings (trait values repeat a lot across evaluations). */
export function parseSemverCached(input: unknown): SemVer | null {
  if (typeof input !== 'string') return null;
  let parsed = cache.get(input);
  if (parsed === undefined) {
    parsed = parseSemver(input);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(input, parsed);
  }
  return parsed;
}

function compareNumbers(a: number, b: number): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

/** Pre-release identifier precedence: numeric < alphanumeric; numerics by value, others by code units. */
function compareIdentifiers(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return compareNumbers(a, b);
  const aNumeric = ALL_DIGITS.test(String(a));
  const bNumeric = ALL_DIGITS.test(String(b));
  if (aNumeric && bNumeric) return compareNumbers(Number(a), Number(b));
  if (aNumeric) return -1;
  if (bNumeric) return 1;
  const as = String(a);
  const bs = String(b);
  return as === bs ? 0 : as < bs ? -1 : 1;
}

function comparePrerelease(a: SemVer, b: SemVer): number {
  if (a.prerelease.length > 0 && b.prerelease.length === 0) return -1;
  if (a.prerelease.length === 0 && b.prerelease.length > 0) return 1;
  for (let i = 0; ; i++) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    if (x === undefined && y === undefined) return 0;
    if (y === undefined) return 1;
    if (x === undefined) return -1;
    if (x !== y) return compareIdentifiers(x, y);
  }
}

/** -1, 0 or 1 by SemVer precedence. */
export function compareSemver(a: SemVer, b: SemVer): number {
  if (a.version === b.version) return 0;
  return (
    compareNumbers(a.major, b.major) ||
    compareNumbers(a.minor, b.minor) ||
    compareNumbers(a.patch, b.patch) ||
    comparePrerelease(a, b)
  );
}
