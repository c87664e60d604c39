import { createServer } from 'node:net';
import { DataSource } from 'typeorm';
import { isUpdate, openSse } from './realtime-support';
import { startTestApp } from './support/app';
import { seedSdkFixture } from './support/sdk-fixtures';
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

describe('real-time streams and graceful shutdown (built server, SIGTERM)', () => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    if (server && server.child.exitCode === null) await server.stop('SIGKILL');
  });

  it('SIGTERM with open event streams: the streams are ended and the process exits 0 well within the grace period', async () => {
    const seeded = await startTestApp();
    const fixture = await seedSdkFixture(seeded.app.get(DataSource), {
      project: { enableRealtimeUpdates: true },
    });
    await seeded.close();

    const port = await freePort();
    server = spawnServer({
      DATABASE_URL: seeded.databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      ENABLE_TELEMETRY: 'false',
      DJANGO_SECRET_KEY: 'x'.repeat(60),
      SHUTDOWN_GRACE_SECONDS: '20',
    });
    await server.waitForOutput(/listening on/);
    const streams = await Promise.all(
      [1, 2, 3].map(() => openSse(`http://127.0.0.1:${port}/sse/environments/${fixture.clientKey}/stream`)),
    );
    await Promise.all(streams.map((s) => s.next(isUpdate)));

    const started = Date.now();
    server.child.kill('SIGTERM');
    await Promise.all(streams.map((s) => s.ended));
    const code = await server.exited;
    expect([code, server.output()]).toEqual([0, expect.stringMatching(/\] stopped\n/)]);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
