import { ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort } from './pg-cluster';

/** A memcached of one test's own (not the run's shared TEST_MEMCACHED_LOCATION), to stop and start under an app. */
export interface MemcachedServer {
  /** host:port, as ENVIRONMENT_CACHE_LOCATION takes it. */
  readonly location: string;
  /** Starts it again on the same port (after `stop`). */
  start(): Promise<void>;
  /** Stops this process (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
}

function accepting(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((done, fail) => {
    const attempt = () => {
      const socket = createConnection(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        done();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) fail(new Error(`memcached on port ${port} did not start`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** Starts memcached (installed by .ci/run) on a free 127.0.0.1 port. */
export async function startMemcached(): Promise<MemcachedServer> {
  const port = await freePort();
  const args = ['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '16'];
  if (process.getuid?.() === 0) args.push('-u', 'nobody');
  let child: ChildProcess | undefined;
  const server: MemcachedServer = {
    location: `127.0.0.1:${port}`,
    async start() {
      if (child) return;
      const proc = spawn('memcached', args, { stdio: 'ignore' });
      child = proc;
      proc.once('exit', () => {
        if (child === proc) child = undefined;
      });
      await accepting(port, 5000);
    },
    stop() {
      const proc = child;
      if (!proc) return Promise.resolve();
      return new Promise((done) => {
        proc.once('exit', () => done());
        proc.kill('SIGTERM');
      });
    },
  };
  await server.start();
  return server;
}
