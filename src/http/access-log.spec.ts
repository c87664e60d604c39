import { AccessRecord, accessJsonRecord, clfTime, compileAccessLogFormat } from './access-log';

const record = (over: Partial<AccessRecord> = {}): AccessRecord => ({
  remoteAddress: '10.0.0.1',
  method: 'POST',
  url: '/api/v1/identities/?identifier=x',
  httpVersion: '1.1',
  status: 201,
  bytes: 512,
  durationMs: 12.3456,
  requestHeaders: { referer: 'https://app/', 'user-agent': 'sdk/1.0', 'x-env': 'abc' },
  responseHeader: (name) => ({ 'content-type': 'application/json' })[name],
  nowMs: Date.UTC(2026, 10, 26, 8, 56, 30),
  ...over,
});

describe('access log format (gunicorn atoms)', () => {
  it('renders gunicorn’s default format', () => {
    const render = compileAccessLogFormat('%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"');
    expect(render(record())).toBe(
      '10.0.0.1 - - [26/Nov/2026:08:56:30 +0000] "POST /api/v1/identities/?identifier=x HTTP/1.1" 201 512 "https://app/" "sdk/1.0"',
    );
  });

  it('renders every atom: m U q H B T D M L, request and response headers', () => {
    const render = compileAccessLogFormat(
      '%(m)s|%(U)s|%(q)s|%(H)s|%(B)s|%(T)s|%(D)s|%(M)s|%(L)s|%({X-Env}i)s|%({content-type}o)s|%({missing}i)s',
    );
    expect(render(record()).split('|')).toEqual([
      'POST',
      '/api/v1/identities/',
      'identifier=x',
      'HTTP/1.1',
      '512',
      '0',
      '12346',
      '12',
      '0.012346',
      'abc',
      'application/json',
      '-',
    ]);
  });

  it('unknown size: b is "-", B is 0; no referer or user agent: "-"', () => {
    const render = compileAccessLogFormat('%(b)s %(B)s %(f)s %(a)s');
    expect(render(record({ bytes: undefined, requestHeaders: {} }))).toBe('- 0 - -');
  });

  it('unknown atoms print "-", %% prints %, quotes in values are escaped', () => {
    const render = compileAccessLogFormat('%(nope)s 100%% "%(a)s"');
    expect(render(record({ requestHeaders: { 'user-agent': 'say "hi"' } }))).toBe('- 100% "say \\"hi\\""');
  });

  it('clfTime formats UTC as [dd/Mon/yyyy:HH:MM:SS +0000] and changes every second', () => {
    const t = Date.UTC(2026, 0, 5, 1, 2, 3);
    expect(clfTime(t)).toBe('[05/Jan/2026:01:02:03 +0000]');
    expect(clfTime(t + 1000)).toBe('[05/Jan/2026:01:02:04 +0000]');
  });

  it('the JSON record carries the rendered line and Flagsmith’s access fields', () => {
    const json = JSON.parse(accessJsonRecord('LINE', record(), 'rid-1'));
    expect(json).toMatchObject({
      level: 'info',
      msg: 'LINE',
      request_id: 'rid-1',
      method: 'POST',
      path: '/api/v1/identities/?identifier=x',
      status: '201',
      remote_ip: '10.0.0.1',
      user_agent: 'sdk/1.0',
      duration_in_ms: 12,
      response_size_in_bytes: 512,
      time: '2026-11-26T08:56:30.000Z',
    });
  });
});
