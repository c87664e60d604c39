import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { AddressGuard } from '../outbound/address-guard';
import {
  DELIVERY_ID_HEADER,
  postSignedJson,
  RefusedDeliveryError,
  RetryableDeliveryError,
  sendSignedJson,
} from './signed-post';

const guard = new AddressGuard(['127.0.0.1/32']);

/** A receiver on 127.0.0.1 handling each request with `handle`; closed (its connections too) after the test. */
async function receiver(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server: Server = createServer(handle);
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}
const servers: Server[] = [];
afterEach(() => {
  servers.splice(0).forEach((s) => {
    s.closeAllConnections();
    s.close();
  });
});

describe('sendSignedJson', () => {
  it('a receiver that sends its status, then trickles its body → rejected at the deadline, retryable', async () => {
    const url = await receiver((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-length': 1000 });
      // A byte every 50 ms: a socket idle timeout would never fire.
      const drip = setInterval(() => (res.destroyed ? clearInterval(drip) : res.write('.')), 50);
      res.on('close', () => clearInterval(drip));
    });
    const started = Date.now();
    const sent = sendSignedJson(guard, url, '{}', 's', { timeoutMs: 300 });
    await expect(sent).rejects.toBeInstanceOf(RetryableDeliveryError);
    await expect(sent).rejects.toThrow('no answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('extra headers → sent with the signature; the answer → its status', async () => {
    let headers: IncomingMessage['headers'] = {};
    const url = await receiver((req, res) => {
      headers = req.headers;
      req.resume();
      res.statusCode = 202;
      res.end();
    });
    expect(
      await sendSignedJson(guard, url, '{"a":1}', 's', { headers: { [DELIVERY_ID_HEADER]: '42' } }),
    ).toBe(202);
    expect(headers['x-flagport-delivery-id']).toBe('42');
    expect(headers['x-flagsmith-signature']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('an internal literal address without an allowance → refused before any connection, final', async () => {
    await expect(
      sendSignedJson(new AddressGuard([]), 'http://127.0.0.1:9/', '{}', ''),
    ).rejects.toBeInstanceOf(RefusedDeliveryError);
  });
});

describe('postSignedJson', () => {
  it.each([
    [503, 'retryable', RetryableDeliveryError],
    [404, 'final', RefusedDeliveryError],
  ])('a receiver answering %i → a %s failure with the status', async (status, _name, kind) => {
    const url = await receiver((req, res) => {
      req.resume();
      res.statusCode = status;
      res.end();
    });
    const sent = postSignedJson(guard, url, '{}', '');
    await expect(sent).rejects.toBeInstanceOf(kind);
    await expect(sent).rejects.toMatchObject({ status });
  });
});
