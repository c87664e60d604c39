import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '../..');
export const MAIN_JS = resolve(REPO_ROOT, 'dist/src/main.js');

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Resolves with the exit code once the process ends. */
  readonly exited: Promise<number | null>;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs the built server (`node dist/src/main.js`, built by `npm run build`, which the test command runs first)
 * as a separate process with exactly the given environment (plus PATH/HOME).
 */
export function spawnServer(
  env: Record<string, string>,
  cwd: string = REPO_ROOT,
  script = MAIN_JS,
  args: string[] = [],
): ServerProcess {
  return spawnCommand(process.execPath, [script, ...args], env, cwd);
}

/**
 * Runs any command (a shell line of the README or docker-compose.yml) like spawnServer: given env plus PATH/HOME.
 * `processGroup`: in a process group of its own, which stop() signals as a terminal's Ctrl-C does, and whose end
 * is when every process holding its output has exited (`npm start` does not wait for its child on a signal).
 */
export function spawnCommand(
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd: string = REPO_ROOT,
  options: { processGroup?: boolean } = {},
): ServerProcess {
  const child = spawn(command, args, {
    cwd,
    detached: options.processGroup === true,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    listeners.forEach((l) => l());
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((done) =>
    options.processGroup
      ? child.once('close', (code) => done(code))
      : child.once('exit', (code) => done(code)),
  );
  return {
    child,
    output: () => text,
    exited,
    waitForOutput(pattern, timeoutMs = 30000) {
      return new Promise((done, fail) => {
        const check = () => {
          if (pattern.test(text)) {
            cleanup();
            done();
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          fail(new Error(`timed out waiting for ${String(pattern)}; output so far:\n${text}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        void exited.then(() => {
          if (!pattern.test(text)) {
            cleanup();
            fail(new Error(`process exited before ${String(pattern)}; output:\n${text}`));
          }
        });
        listeners.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (options.processGroup && child.pid !== undefined) {
        try {
          process.kill(-child.pid, signal);
        } catch {
          // the group has ended already
        }
      } else if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
