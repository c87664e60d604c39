import { epochSecondsOf } from './realtime.routes';
import { isEpochSeconds, streamNoticeOf } from './realtime.service';

describe('epochSecondsOf (queue-change updated_at)', () => {
  it.each([
    ['2031-02-03T04:05:06.123456+00:00', `${Date.UTC(2031, 1, 3, 4, 5, 6) / 1000}.123456`],
    ['2031-02-03T04:05:06Z', `${Date.UTC(2031, 1, 3, 4, 5, 6) / 1000}.000000`],
    ['2031-02-03 04:05:06.5', `${Date.UTC(2031, 1, 3, 4, 5, 6) / 1000}.500000`],
    ['2031-02-03T06:05:06.1+02:00', `${Date.UTC(2031, 1, 3, 4, 5, 6) / 1000}.100000`],
    [1718000000.25, '1718000000.25'],
  ])('%s → %s (microseconds kept)', (input, expected) => {
    expect(epochSecondsOf(input)).toBe(expected);
  });

  it.each([['yesterday'], [''], [null], [undefined], [-1], ['2031-13-45T99:00:00Z'], [{}]])(
    '%p is refused',
    (input) => {
      expect(epochSecondsOf(input)).toBeUndefined();
    },
  );
});

describe('streamNoticeOf (change channel payload)', () => {
  it('reads the client keys of a change', () => {
    expect(streamNoticeOf('{"environment_ids":[1],"api_keys":["k1","k2"]}')).toEqual({
      apiKeys: ['k1', 'k2'],
      updatedAt: undefined,
    });
  });

  it('reads a queued value, only when it is a plain number', () => {
    expect(streamNoticeOf('{"environment_ids":[],"api_keys":["k"],"sse_updated_at":"12.5"}')?.updatedAt).toBe(
      '12.5',
    );
    expect(
      streamNoticeOf('{"environment_ids":[],"api_keys":["k"],"sse_updated_at":"1}"}')?.updatedAt,
    ).toBeUndefined();
  });

  it('an unreadable payload is undefined (every stream is re-read)', () => {
    expect(streamNoticeOf('not json')).toBeUndefined();
    expect(streamNoticeOf('{"environment_ids":[1]}')).toBeUndefined();
  });

  it('isEpochSeconds accepts what may be written as a JSON number', () => {
    expect([isEpochSeconds('1718000000.123456'), isEpochSeconds('1e9'), isEpochSeconds('-1')]).toEqual([
      true,
      false,
      false,
    ]);
  });
});
