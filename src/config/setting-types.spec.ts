import {
  bool,
  ConfigError,
  float,
  ignored,
  int,
  list,
  oneOf,
  optionalBool,
  optionalInt,
  optionalStr,
  splitList,
  str,
  throttleRate,
  url,
} from './setting-types';

const c = { doc: 'd', group: 'Server' as const };

/** Runs parse and returns the ConfigError it throws. */
function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('setting parsers', () => {
  describe('bool', () => {
    const spec = bool(true, c);
    it.each(['true', 'True', '1', 'yes', 'on', 'y', 't'])('"%s" → true', (raw) =>
      expect(spec.parse('X', raw)).toBe(true),
    );
    it.each(['false', 'False', '0', 'no', 'off', 'n', 'f'])('"%s" → false', (raw) =>
      expect(spec.parse('X', raw)).toBe(false),
    );
    it('unset or blank → the default', () => {
      expect(spec.parse('X', undefined)).toBe(true);
      expect(spec.parse('X', '  ')).toBe(true);
    });
    it('anything else → ConfigError naming the variable and the accepted words', () => {
      const err = errorOf(() => spec.parse('ENABLE_X', 'maybe'));
      expect(err.variable).toBe('ENABLE_X');
      expect(err.message).toBe('ENABLE_X: "maybe" is not a boolean (use true/false, 1/0, yes/no, on/off)');
    });
  });

  describe('int', () => {
    const spec = int(1000, { ...c, min: 0, max: 2000000 });
    it('parses integers with surrounding spaces and a sign', () => {
      expect(spec.parse('X', ' 42 ')).toBe(42);
      expect(spec.parse('X', '+7')).toBe(7);
    });
    it('unset → the default', () => expect(spec.parse('X', undefined)).toBe(1000));
    it.each(['abc', '1.5', '1e3', '12abc'])(
      '"%s" → ConfigError "is not an integer from 0 to 2000000"',
      (raw) => {
        expect(errorOf(() => spec.parse('LIMIT', raw)).message).toBe(
          `LIMIT: "${raw}" is not an integer from 0 to 2000000`,
        );
      },
    );
    it.each([
      ['-1', -1],
      ['2000001', 2000001],
    ])('%s → ConfigError "out of range"', (raw, value) => {
      expect(errorOf(() => spec.parse('LIMIT', raw)).message).toBe(
        `LIMIT: ${value} is out of range: must be an integer from 0 to 2000000`,
      );
    });
    it('a lower bound only is described as "≥ min"', () => {
      expect(errorOf(() => int(1, { ...c, min: 1 }).parse('N', 'x')).message).toBe(
        'N: "x" is not an integer ≥ 1',
      );
    });
  });

  describe('optionalBool', () => {
    const spec = optionalBool(c);
    it('optionalBool unset or blank → undefined, so the reader can choose', () => {
      expect(spec.parse('E', undefined)).toBeUndefined();
      expect(spec.parse('E', '  ')).toBeUndefined();
      expect(spec.defaultText).toBeUndefined();
    });
    it('optionalBool set → the boolean words as bool reads them', () => {
      expect(spec.parse('E', 'true')).toBe(true);
      expect(spec.parse('E', 'off')).toBe(false);
    });
    it('optionalBool with a non-boolean word → ConfigError naming the setting', () => {
      expect(() => spec.parse('E', 'maybe')).toThrow(/E.*not a boolean/);
    });
  });

  describe('optionalInt', () => {
    const spec = optionalInt({ ...c, min: 1, max: 65535 });
    it('unset → undefined; set → the number; out of range → error', () => {
      expect(spec.parse('P', undefined)).toBeUndefined();
      expect(spec.parse('P', '5432')).toBe(5432);
      expect(errorOf(() => spec.parse('P', '0')).variable).toBe('P');
    });
  });

  describe('float', () => {
    const spec = float(1.0, { ...c, min: 0, max: 1 });
    it('parses decimals, unset → default', () => {
      expect(spec.parse('R', '0.25')).toBe(0.25);
      expect(spec.parse('R', undefined)).toBe(1);
    });
    it('not a number / out of range → ConfigError naming the range', () => {
      expect(errorOf(() => spec.parse('R', 'half')).message).toBe('R: "half" is not a number from 0 to 1');
      expect(errorOf(() => spec.parse('R', '1.5')).message).toBe(
        'R: 1.5 is out of range: must be a number from 0 to 1',
      );
    });
  });

  describe('str / optionalStr', () => {
    it('unset or blank → default / undefined; otherwise the raw value', () => {
      expect(str('local', c).parse('E', undefined)).toBe('local');
      expect(str('local', c).parse('E', '')).toBe('local');
      expect(str('local', c).parse('E', 'production')).toBe('production');
      expect(optionalStr(c).parse('E', ' ')).toBeUndefined();
      expect(optionalStr(c).parse('E', 'x')).toBe('x');
    });
  });

  describe('oneOf', () => {
    const spec = oneOf(['memory', 'memcached', 'none'] as const, 'memory', {
      ...c,
      aliases: { 'django.core.cache.backends.dummy.DummyCache': 'none' },
    });
    it('accepts the values and the aliases', () => {
      expect(spec.parse('B', 'memcached')).toBe('memcached');
      expect(spec.parse('B', 'django.core.cache.backends.dummy.DummyCache')).toBe('none');
      expect(spec.parse('B', undefined)).toBe('memory');
    });
    it('is case-sensitive unless told otherwise', () => {
      expect(() => spec.parse('B', 'MEMORY')).toThrow(ConfigError);
      const level = oneOf(['DEBUG', 'INFO'] as const, 'INFO', { ...c, caseInsensitive: true });
      expect(level.parse('L', 'debug')).toBe('DEBUG');
    });
    it('anything else → ConfigError listing what is allowed', () => {
      expect(errorOf(() => spec.parse('B', 'redis')).message).toBe(
        'B: "redis" is not allowed; use one of: memory, memcached, none, django.core.cache.backends.dummy.DummyCache',
      );
    });
  });

  describe('list / splitList', () => {
    it('splits on the delimiter, trims and drops empty items', () => {
      expect(list([], c).parse('L', 'a, b,,c ,')).toEqual(['a', 'b', 'c']);
      expect(splitList('x;;y', ';')).toEqual(['x', 'y']);
    });
    it('unset → a copy of the default; set but empty → empty list', () => {
      const spec = list(['sentry-trace'], c);
      const a = spec.parse('L', undefined);
      a.push('mutated');
      expect(spec.parse('L', undefined)).toEqual(['sentry-trace']);
      expect(spec.parse('L', '')).toEqual([]);
      expect(spec.defaultText).toBe('sentry-trace');
    });
  });

  describe('url', () => {
    const spec = url('https://api.github.com', c);
    it('accepts http(s) URLs, unset → default', () => {
      expect(spec.parse('U', 'http://localhost:8086')).toBe('http://localhost:8086');
      expect(spec.parse('U', undefined)).toBe('https://api.github.com');
    });
    it('rejects non-URLs and other schemes, naming the variable', () => {
      expect(errorOf(() => spec.parse('U', 'not a url')).variable).toBe('U');
      expect(errorOf(() => spec.parse('U', 'ftp://x')).message).toBe('U: "ftp://x" must use http or https');
    });
  });

  describe('ignored', () => {
    it('accepts any value, is marked ignored and grouped as compatibility', () => {
      const spec = ignored({ doc: 'gunicorn' });
      expect(spec.parse('GUNICORN_WORKERS', '3')).toBe('3');
      expect(spec.ignored).toBe(true);
      expect(spec.group).toBe('Compatibility (ignored)');
    });
  });
});

describe('throttleRate (DRF parse_rate)', () => {
  const spec = throttleRate('20/min', { doc: 'x', group: 'Security' });
  it.each([
    ['20/min', 20, 60],
    ['5/s', 5, 1],
    ['5/second', 5, 1],
    ['100/hour', 100, 3600],
    ['1000/day', 1000, 86400],
    [' 3 / m ', 3, 60],
  ])('parses %j as %d per %d seconds', (raw, requests, seconds) => {
    expect(spec.parse('LOGIN_THROTTLE_RATE', raw)).toMatchObject({ requests, seconds });
  });
  it('unset is the default, or no throttle when there is none', () => {
    expect(spec.parse('LOGIN_THROTTLE_RATE', undefined)).toMatchObject({ requests: 20, seconds: 60 });
    expect(throttleRate(undefined, { doc: 'x', group: 'Security' }).parse('USER_THROTTLE_RATE', '')).toBe(
      undefined,
    );
  });
  it.each(['20', '20/week', 'x/min', '0/min', '-1/min', '20/'])('refuses %j naming the variable', (raw) => {
    expect(() => spec.parse('LOGIN_THROTTLE_RATE', raw)).toThrow(
      /^LOGIN_THROTTLE_RATE: .*not a throttle rate/,
    );
  });
});
