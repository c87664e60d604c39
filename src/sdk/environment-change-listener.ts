import { Logger } from '@nestjs/common';
import { Client, Notification } from 'pg';

export interface ChangeListenerHandlers {
  /** A NOTIFY payload on one of the channels. */
  onNotification(payload: string, channel: string): void;
  /** The connection was lost and is back: notifications may have been missed in between. */
  onResync(): void;
}

const MIN_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 10_000;

/**
 * A dedicated PostgreSQL connection that `LISTEN`s on one or more channels. When the connection drops (database restart,
 * network) it reconnects with exponential backoff and then reports `onResync`, since anything notified while it
 * was away is lost.
 */
export class PgChannelListener {
  private readonly logger = new Logger('EnvironmentChangeListener');
  private client: Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private backoffMs = MIN_BACKOFF_MS;
  private stopped = false;
  private everConnected = false;
  private lost = false;

  constructor(
    private readonly connectionString: string,
    private readonly channels: string | readonly string[],
    private readonly handlers: ChangeListenerHandlers,
  ) {}

  /** Whether the LISTEN connection is up right now. */
  get connected(): boolean {
    return this.client !== undefined;
  }

  /** Connects (retrying in the background on failure); resolves after the first attempt. */
  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({
      connectionString: this.connectionString,
      keepAlive: true,
      application_name: 'flagport-listen',
      connectionTimeoutMillis: 5000,
    });
    const channels: readonly string[] = typeof this.channels === 'string' ? [this.channels] : this.channels;
    client.on('notification', (message: Notification) => {
      if (channels.includes(message.channel))
        this.handlers.onNotification(message.payload ?? '', message.channel);
    });
    client.on('error', (err: Error) => this.dropped(client, err));
    client.on('end', () => this.dropped(client, undefined));
    try {
      await client.connect();
      for (const channel of channels) await client.query(`LISTEN "${channel}"`);
    } catch (err) {
      client.removeAllListeners('end');
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
      this.lost = true;
      this.logger.warn(`cannot LISTEN for environment changes (${message(err)}); retrying`);
      this.schedule();
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.backoffMs = MIN_BACKOFF_MS;
    if (this.everConnected || this.lost) {
      this.logger.warn('listening for environment changes again; dropping cached environments');
      this.lost = false;
      this.handlers.onResync();
    }
    this.everConnected = true;
  }

  private dropped(client: Client, err: Error | undefined): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.lost = true;
    client.removeAllListeners('notification');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.stopped) return;
    this.logger.warn(`environment change listener lost its connection${err ? ` (${err.message})` : ''}`);
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, delay);
    this.timer.unref();
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
