/** A minimal Server-Sent-Events reader over fetch, for tests that need the raw stream (status, headers, comments). */
export interface SseFrame {
  readonly event: string | undefined;
  readonly data: string | undefined;
  readonly comment: string | undefined;
  readonly at: number;
}

export interface SseStream {
  readonly status: number;
  readonly headers: Headers;
  /** Every frame so far, in order. */
  readonly frames: SseFrame[];
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  /** The next frame (after the ones already seen by earlier calls) that matches, or rejects after timeoutMs. */
  next(match: (frame: SseFrame) => boolean, timeoutMs?: number): Promise<SseFrame>;
  /** Waits `ms` and returns the frames that arrived meanwhile. */
  during(ms: number): Promise<SseFrame[]>;
  close(): void;
}

function parseFrame(block: string): SseFrame {
  let event: string | undefined;
  let data: string | undefined;
  let comment: string | undefined;
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) comment = line.slice(1).trim();
    else if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data = (data === undefined ? '' : `${data}\n`) + line.slice(5).trim();
  }
  return { event, data, comment, at: Date.now() };
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const abort = new AbortController();
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  const frames: SseFrame[] = [];
  const waiters = new Set<() => void>();
  let cursor = 0;
  let buffer = '';
  const ended = (async () => {
    if (!res.body) return;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let split = buffer.indexOf('\n\n');
        while (split !== -1) {
          frames.push(parseFrame(buffer.slice(0, split)));
          buffer = buffer.slice(split + 2);
          split = buffer.indexOf('\n\n');
        }
        waiters.forEach((w) => w());
      }
    } catch {
      // aborted
    } finally {
      waiters.forEach((w) => w());
    }
  })();
  let finished = false;
  void ended.then(() => (finished = true));

  return {
    status: res.status,
    headers: res.headers,
    frames,
    ended,
    next(match, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          while (cursor < frames.length) {
            const frame = frames[cursor++];
            if (match(frame)) {
              cleanup();
              resolve(frame);
              return;
            }
          }
          if (finished) {
            cleanup();
            reject(new Error('stream ended'));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching frame within ${timeoutMs} ms; frames: ${JSON.stringify(frames)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async during(ms) {
      const start = frames.length;
      await new Promise((r) => setTimeout(r, ms));
      cursor = frames.length;
      return frames.slice(start);
    },
    close() {
      abort.abort();
    },
  };
}

export const isUpdate = (frame: SseFrame): boolean => frame.event === 'environment_updated';

export function updatedAtOf(frame: SseFrame): number {
  return (JSON.parse(frame.data ?? '{}') as { updated_at: number }).updated_at;
}
