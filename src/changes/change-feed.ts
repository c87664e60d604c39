/**
 * The change feed: ONE LISTEN connection per instance, shared by every cache that must hear about writes made by
 * other instances (the SDK environment and identity caches, the real-time streams).
 *
 * This file is the state machine only (connect, dispatch, reconnect with back-off, resync after a reconnect);
 * the connection and the timer are given, so it runs under unit tests without PostgreSQL (see pg-listen.ts for
 * the real connection).
 */

/** An open LISTEN connection. */
export interface ListenConnection {
  /** Ends the connection; `onLost` is not called for it afterwards. */
  close(): Promise<void>;
}

export interface ListenEvents {
  /** A NOTIFY payload on one of the channels. */
  notification(channel: string, payload: string): void;
  /** The connection broke (error or end). Called at most once per connection. */
  lost(err: Error | undefined): void;
}

/** Opens a connection that LISTENs on `channels`; rejects when it cannot. */
export type ListenConnector = (
  channels: readonly string[],
  events: ListenEvents,
) => Promise<ListenConnection>;

/** setTimeout as the feed uses it (a fake in tests). Returns a cancel function. */
export type Schedule = (run: () => void, delayMs: number) => () => void;

export interface FeedLog {
  warn(message: string): void;
  error(message: string): void;
}

export const MIN_BACKOFF_MS = 200;
export const MAX_BACKOFF_MS = 10_000;

export type NotificationHandler = (payload: string) => void;

export const realSchedule: Schedule = (run, delayMs) => {
  const timer = setTimeout(run, delayMs);
  timer.unref();
  return () => clearTimeout(timer);
};

/**
 * Subscribers register per channel (`on`) and for resyncs (`onResync`): after the connection was lost (or the
 * first attempt failed) and is back, every resync handler runs, since anything notified meanwhile is lost.
 * A handler that throws is logged and does not keep the others from running.
 */
export class ChangeFeed {
  private readonly handlers = new Map<string, Set<NotificationHandler>>();
  private readonly resyncHandlers = new Set<() => void>();
  private connection: ListenConnection | undefined;
  private cancelRetry: (() => void) | undefined;
  private backoffMs = MIN_BACKOFF_MS;
  private stopped = false;
  /** Set when notifications may have been missed: the next successful connect resyncs. */
  private missed = false;
  private everConnected = false;

  constructor(
    readonly channels: readonly string[],
    private readonly connector: ListenConnector,
    private readonly log: FeedLog,
    private readonly schedule: Schedule = realSchedule,
  ) {
    for (const channel of channels) this.handlers.set(channel, new Set());
  }

  /** Whether the LISTEN connection is up right now. */
  get connected(): boolean {
    return this.connection !== undefined;
  }

  /** The delay before the next reconnect attempt. */
  get nextRetryMs(): number {
    return this.backoffMs;
  }

  /** Handles NOTIFY payloads of one of `channels`; returns an unsubscribe function. */
  on(channel: string, handler: NotificationHandler): () => void {
    const set = this.handlers.get(channel);
    if (set === undefined) throw new Error(`the change feed does not listen on ${channel}`);
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Runs after a reconnect (notifications may have been missed); returns an unsubscribe function. */
  onResync(handler: () => void): () => void {
    this.resyncHandlers.add(handler);
    return () => this.resyncHandlers.delete(handler);
  }

  /** Connects (retrying in the background on failure); resolves after the first attempt. */
  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelRetry?.();
    this.cancelRetry = undefined;
    const connection = this.connection;
    this.connection = undefined;
    await connection?.close().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let connection: ListenConnection | undefined;
    const events: ListenEvents = {
      notification: (channel, payload) => {
        if (connection !== undefined && this.connection === connection) this.dispatch(channel, payload);
      },
      lost: (err) => {
        if (connection !== undefined && this.connection === connection) this.dropped(connection, err);
      },
    };
    try {
      connection = await this.connector(this.channels, events);
    } catch (err) {
      this.missed = true;
      this.log.warn(`cannot LISTEN for environment changes (${message(err)}); retrying`);
      this.retryLater();
      return;
    }
    if (this.stopped) {
      await connection.close().catch(() => undefined);
      return;
    }
    this.connection = connection;
    this.backoffMs = MIN_BACKOFF_MS;
    const resync = this.everConnected || this.missed;
    this.everConnected = true;
    this.missed = false;
    if (resync) {
      this.log.warn('listening for environment changes again; dropping cached environments');
      for (const handler of this.resyncHandlers) this.safely(handler);
    }
  }

  private dispatch(channel: string, payload: string): void {
    const set = this.handlers.get(channel);
    if (set === undefined) return;
    for (const handler of set) this.safely(() => handler(payload));
  }

  private dropped(connection: ListenConnection, err: Error | undefined): void {
    this.connection = undefined;
    this.missed = true;
    void connection.close().catch(() => undefined);
    if (this.stopped) return;
    this.log.warn(`environment change listener lost its connection${err ? ` (${err.message})` : ''}`);
    this.retryLater();
  }

  private retryLater(): void {
    if (this.stopped || this.cancelRetry) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    this.cancelRetry = this.schedule(() => {
      this.cancelRetry = undefined;
      void this.connect();
    }, delay);
  }

  private safely(run: () => void): void {
    try {
      run();
    } catch (err) {
      this.log.error(`change feed subscriber failed: ${message(err)}`);
    }
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
