import { connect, createServer, Socket } from 'node:net';
import { createTestDatabase } from './support/database';
import { ServerProcess, spawnServer } from './support/server-process';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Opens a connection and sends a request whose body is not complete yet: the request is in flight. */
function openPartialRequest(port: number, body: string, sent: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `POST /health/liveness/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, sent)}`,
        () => resolve(socket),
      );
    });
    socket.once('error', reject);
  });
}

function readAll(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString('utf8')));
    socket.on('close', () => resolve(text));
  });
}

describe('graceful shutdown on SIGTERM', () => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    if (server && server.child.exitCode === null) await server.stop('SIGKILL');
  });

  it('SIGTERM: stops accepting, lets an in-flight request finish, closes pools, exits 0 with "stopped"', async () => {
    const port = await freePort();
    server = spawnServer({
      DATABASE_URL: await createTestDatabase(),
      PORT: String(port),
      HOST: '127.0.0.1',
      ENABLE_TELEMETRY: 'false',
      DJANGO_SECRET_KEY: 'x'.repeat(60),
    });
    await server.waitForOutput(/listening on/);

    const body = '{"probe": "in flight"}';
    const socket = await openPartialRequest(port, body, 5);
    const response = readAll(socket);
    await new Promise((r) => setTimeout(r, 100));

    server.child.kill('SIGTERM');
    await server.waitForOutput(/SIGTERM received/);
    await new Promise((r) => setTimeout(r, 300));
    expect(server.child.exitCode).toBeNull(); // still waiting for the in-flight request

    const refused = await fetch(`http://127.0.0.1:${port}/health/liveness/`).then(
      () => 'accepted',
      () => 'refused',
    );
    expect(refused).toBe('refused');

    socket.write(body.slice(5));
    const raw = await response;
    expect(raw).toMatch(/^HTTP\/1\.1 404 /); // POST on a GET-only route, answered in full
    expect(raw).toContain('{"detail":"Not found."}');

    const code = await server.exited;
    expect([code, server.output()]).toEqual([0, expect.stringMatching(/\] stopped\n/)]);
  });

  it('log reader gone (stdout and stderr closed), then requests and SIGTERM: the server keeps serving, then exits 0', async () => {
    const port = await freePort();
    server = spawnServer({
      DATABASE_URL: await createTestDatabase(),
      PORT: String(port),
      HOST: '127.0.0.1',
      ENABLE_TELEMETRY: 'false',
      DJANGO_SECRET_KEY: 'x'.repeat(60),
      ACCESS_LOG_LOCATION: '-',
    });
    await server.waitForOutput(/listening on/);
    // What a terminal or a supervisor that dies does to the pipes it reads the log from.
    server.child.stdout?.destroy();
    server.child.stderr?.destroy();
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/health/liveness/`);
      expect(res.status).toBe(200);
    }
    server.child.kill('SIGTERM');
    const exited = await Promise.race([
      server.exited,
      new Promise<string>((r) => setTimeout(() => r('still running 15 s after SIGTERM'), 15_000)),
    ]);
    expect(exited).toBe(0);
  }, 60_000);
});
