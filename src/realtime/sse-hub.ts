import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** The only event the flagsmith JS client listens for (`addEventListener('environment_updated', …)`). */
export const ENVIRONMENT_UPDATED_EVENT = 'environment_updated';

const KEEPALIVE = Buffer.from(': keepalive\n\n');
const OPENED = Buffer.from(': connected\n\n');
const CLOSING = Buffer.from(': closing\n\n');

/** `event: environment_updated` with `{"updated_at": <epoch seconds>}`; `updatedAt` is a JSON number as text. */
export function environmentUpdatedFrame(updatedAt: string): Buffer {
  return Buffer.from(`event: ${ENVIRONMENT_UPDATED_EVENT}\ndata: {"updated_at": ${updatedAt}}\n\n`);
}

export interface SseHubOptions {
  /** Interval of the `: keepalive` comment sent on every open stream. */
  readonly keepAliveMs: number;
  /** Streams are ended after this long so that clients reconnect (0 = never). */
  readonly maxStreamMs: number;
  /** A stream whose unsent output grows past this (a client that stopped reading) is dropped. */
  readonly maxBufferedBytes: number;
}

interface Stream {
  readonly key: string;
  readonly res: ServerResponse;
  expiry: NodeJS.Timeout | undefined;
}

/**
 * The open Server-Sent-Events streams of this process, by environment (client) key. An idle stream costs its
 * socket and one small object: one shared timer writes the keep-alive comment to all of them, a broadcast writes
 * one pre-encoded frame to each stream of the key, and a stream is forgotten as soon as its connection closes.
 */
export class SseHub {
  private readonly byKey = new Map<string, Set<Stream>>();
  private open = 0;
  private keepAlive: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: SseHubOptions) {}

  /** Open streams in this process. */
  get size(): number {
    return this.open;
  }

  /** Whether `closeAll` was called (no new streams are accepted). */
  get closing(): boolean {
    return this.closed;
  }

  /** Keys with at least one open stream. */
  keys(): string[] {
    return [...this.byKey.keys()];
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /**
   * Starts the event stream on `res` (status, headers, `first` frame or a comment) and keeps it until the client
   * goes away, the maximum age passes or the hub closes. Returns false when the hub is closing (nothing written).
   */
  attach(key: string, res: ServerResponse, headers: OutgoingHttpHeaders, first?: Buffer): boolean {
    if (this.closed) return false;
    res.writeHead(200, headers);
    res.write(first ?? OPENED);
    const stream: Stream = { key, res, expiry: undefined };
    let set = this.byKey.get(key);
    if (set === undefined) this.byKey.set(key, (set = new Set()));
    set.add(stream);
    this.open++;
    if (this.options.maxStreamMs > 0) {
      stream.expiry = setTimeout(() => this.end(stream), this.options.maxStreamMs);
      stream.expiry.unref();
    }
    res.once('close', () => this.forget(stream));
    this.startKeepAlive();
    return true;
  }

  /** Writes `frame` to every stream of `key`; returns how many got it. */
  send(key: string, frame: Buffer): number {
    const set = this.byKey.get(key);
    if (set === undefined) return 0;
    let sent = 0;
    for (const stream of set) if (this.write(stream, frame)) sent++;
    return sent;
  }

  /** Ends every stream of `key` (its environment is gone). */
  closeKey(key: string): void {
    const set = this.byKey.get(key);
    if (set) for (const stream of [...set]) this.end(stream);
  }

  /** Ends every stream and refuses new ones (shutdown): clients reconnect, to another instance. */
  closeAll(): void {
    this.closed = true;
    for (const set of [...this.byKey.values()]) for (const stream of [...set]) this.end(stream);
    this.stopKeepAlive();
  }

  private write(stream: Stream, frame: Buffer): boolean {
    const { res } = stream;
    if (res.destroyed || res.writableEnded) return false;
    if (res.writableLength > this.options.maxBufferedBytes) {
      res.destroy();
      return false;
    }
    res.write(frame);
    return true;
  }

  private end(stream: Stream): void {
    if (!stream.res.writableEnded && !stream.res.destroyed) stream.res.end(CLOSING);
    this.forget(stream);
  }

  private forget(stream: Stream): void {
    const set = this.byKey.get(stream.key);
    if (!set?.delete(stream)) return;
    if (set.size === 0) this.byKey.delete(stream.key);
    if (stream.expiry) clearTimeout(stream.expiry);
    this.open--;
    if (this.open === 0) this.stopKeepAlive();
  }

  private startKeepAlive(): void {
    if (this.keepAlive !== undefined) return;
    this.keepAlive = setInterval(() => {
      for (const set of this.byKey.values()) for (const stream of set) this.write(stream, KEEPALIVE);
    }, this.options.keepAliveMs);
    this.keepAlive.unref();
  }

  private stopKeepAlive(): void {
    if (this.keepAlive === undefined) return;
    clearInterval(this.keepAlive);
    this.keepAlive = undefined;
  }
}
