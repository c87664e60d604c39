import { createServer, get, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { environmentUpdatedFrame, SseHub } from './sse-hub';

interface Client {
  readonly response: IncomingMessage;
  text(): string;
  readonly ended: Promise<void>;
}

/** An HTTP server whose every request becomes a stream of `hub` under the key in the path. */
async function serve(hub: SseHub): Promise<{ server: Server; open: (key: string) => Promise<Client> }> {
  const server = createServer((req, res) => {
    if (!hub.attach(req.url!.slice(1), res, { 'content-type': 'text/event-stream' })) {
      res.writeHead(503).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const open = (key: string) =>
    new Promise<Client>((resolve) => {
      get(`http://127.0.0.1:${port}/${key}`, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (c: string) => (text += c));
        const ended = new Promise<void>((r) => response.once('close', r));
        resolve({ response, text: () => text, ended });
      });
    });
  return { server, open };
}

const until = async (check: () => boolean, ms = 2000) => {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('SseHub', () => {
  let hub: SseHub;
  let server: Server;
  let open: (key: string) => Promise<Client>;

  const start = async (options: Partial<ConstructorParameters<typeof SseHub>[0]> = {}) => {
    hub = new SseHub({ keepAliveMs: 60_000, maxStreamMs: 0, maxBufferedBytes: 65536, ...options });
    ({ server, open } = await serve(hub));
  };

  afterEach(async () => {
    hub.closeAll();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('send: writes the frame to every stream of the key and to no other', async () => {
    await start();
    const [a1, a2, b] = [await open('a'), await open('a'), await open('b')];
    await until(() => hub.size === 3);
    expect(hub.send('a', environmentUpdatedFrame('1700000000.5'))).toBe(2);
    const frame = 'event: environment_updated\ndata: {"updated_at": 1700000000.5}\n\n';
    await until(() => a1.text().includes(frame) && a2.text().includes(frame));
    expect(b.text()).not.toContain('environment_updated');
  });

  it('keep-alive: one shared timer writes a comment to every open stream', async () => {
    await start({ keepAliveMs: 50 });
    const [a, b] = [await open('a'), await open('b')];
    await until(() => a.text().split(': keepalive').length > 2 && b.text().includes(': keepalive'));
  });

  it('maximum stream age: the stream is ended so that the client reconnects', async () => {
    await start({ maxStreamMs: 100 });
    const client = await open('a');
    const started = Date.now();
    await client.ended;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(hub.size).toBe(0);
  });

  it('a client that disconnects is forgotten (and the keys with it)', async () => {
    await start();
    const client = await open('a');
    await until(() => hub.size === 1);
    client.response.destroy();
    await until(() => hub.size === 0);
    expect(hub.has('a')).toBe(false);
  });

  it('closeKey ends the streams of one key only', async () => {
    await start();
    const [a, b] = [await open('a'), await open('b')];
    await until(() => hub.size === 2);
    hub.closeKey('a');
    await a.ended;
    expect(hub.keys()).toEqual(['b']);
    expect(b.response.destroyed).toBe(false);
  });

  it('closeAll ends every stream and refuses new ones', async () => {
    await start();
    const a = await open('a');
    await until(() => hub.size === 1);
    hub.closeAll();
    await a.ended;
    expect(hub.closing).toBe(true);
    const refused = await open('a');
    expect(refused.response.statusCode).toBe(503);
  });
});
