import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { escapeTag, InfluxWriter, toLineProtocol } from './influx-writer';

describe('InfluxDB line protocol', () => {
  it('toLineProtocol: measurement, escaped tags, integer field and second timestamp per line', () => {
    expect(
      toLineProtocol([
        {
          measurement: 'api_call',
          tags: { environment_id: 1, resource: 'flags' },
          field: 'request_count',
          value: 5,
          timestampSeconds: 1700000000,
        },
        {
          measurement: 'feature_evaluation',
          tags: { feature_id: 'a b,c=d' },
          field: 'request_count',
          value: 2,
          timestampSeconds: 1700000001,
        },
      ]),
    ).toBe(
      'api_call,environment_id=1,resource=flags request_count=5i 1700000000\n' +
        'feature_evaluation,feature_id=a\\ b\\,c\\=d request_count=2i 1700000001',
    );
  });

  it('escapeTag: backslashes are doubled before separators are escaped', () => {
    expect(escapeTag('a\\b c')).toBe('a\\\\b\\ c');
  });
});

describe('InfluxWriter against a local fake InfluxDB', () => {
  let server: Server;
  let url: string;
  const received: { url: string; auth: string | undefined; body: string }[] = [];
  let status = 204;

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ url: req.url ?? '', auth: req.headers.authorization, body });
        res.statusCode = status;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('write: POSTs to /api/v2/write with org, bucket, precision=s and the token', async () => {
    const writer = new InfluxWriter({ url, token: 'secret', org: 'acme', bucket: 'usage' });
    const ok = await writer.write([
      {
        measurement: 'api_call',
        tags: { resource: 'flags' },
        field: 'request_count',
        value: 1,
        timestampSeconds: 10,
      },
    ]);
    expect(ok).toBe(true);
    const last = received[received.length - 1];
    expect(last.url).toBe('/api/v2/write?org=acme&bucket=usage&precision=s');
    expect(last.auth).toBe('Token secret');
    expect(last.body).toBe('api_call,resource=flags request_count=1i 10');
  });

  it('write: a failing InfluxDB answer is reported as false, never thrown', async () => {
    status = 500;
    const writer = new InfluxWriter({ url, token: undefined, org: undefined, bucket: 'b' });
    await expect(
      writer.write([{ measurement: 'm', tags: {}, field: 'f', value: 1, timestampSeconds: 1 }]),
    ).resolves.toBe(false);
    status = 204;
  });

  it('write: an unreachable InfluxDB is reported as false, never thrown', async () => {
    const writer = new InfluxWriter({ url: 'http://127.0.0.1:1', token: 't', org: 'o', bucket: 'b' });
    await expect(
      writer.write([{ measurement: 'm', tags: {}, field: 'f', value: 1, timestampSeconds: 1 }]),
    ).resolves.toBe(false);
  });
});
