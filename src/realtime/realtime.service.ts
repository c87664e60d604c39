import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ChangeFeed } from '../changes/change-feed';
import { ENVIRONMENT_CHANGED_CHANNEL } from '../changes/channels';
import { APP_CONFIG, AppConfig } from '../config';
import { EnvironmentChangesService } from '../environments/environment-changes.service';
import { environmentUpdatedFrame, SseHub } from './sse-hub';

export const KEEPALIVE_INTERVAL_MS = 20_000;
/** A client that has not read this much of its stream is dropped (events are ~60 bytes). */
const MAX_BUFFERED_BYTES = 64 * 1024;

/** Epoch seconds with microseconds, as text: the same rendering as X-Flagsmith-Document-Updated-At. */
const UPDATED_AT_EPOCH = `to_char(extract(epoch FROM e.updated_at), 'FM9999999999990.000000')`;

interface EnvironmentState {
  readonly api_key: string;
  readonly updated_at: string;
  readonly enabled: boolean;
}

/** What a `flagport_environment_changed` payload says, as far as streams are concerned. */
export interface StreamNotice {
  /** Client keys of the environments that changed. */
  readonly apiKeys: string[];
  /** Set by queue-change: push this value instead of reading the environments. */
  readonly updatedAt: string | undefined;
}

/** Reads a channel payload; undefined when it cannot be read (then every stream's environment is re-read). */
export function streamNoticeOf(payload: string): StreamNotice | undefined {
  try {
    const parsed = JSON.parse(payload) as { api_keys?: unknown; sse_updated_at?: unknown } | null;
    if (!parsed || !Array.isArray(parsed.api_keys)) return undefined;
    const apiKeys = parsed.api_keys.filter((k): k is string => typeof k === 'string');
    const at = parsed.sse_updated_at;
    return { apiKeys, updatedAt: typeof at === 'string' && isEpochSeconds(at) ? at : undefined };
  } catch {
    return undefined;
  }
}

/** A non-negative decimal number (what may be written into the event as a JSON number). */
export function isEpochSeconds(text: string): boolean {
  return /^\d{1,12}(\.\d{1,9})?$/.test(text);
}

/**
 * Real-time flag updates (docs/contracts/realtime.md): the streams of this instance, fed by THE change notification that
 * the SDK caches use. Changes made in this process arrive through `EnvironmentChangesService.onChange`, changes made
 * by any instance through the change feed (`flagport_environment_changed`, src/changes); both are handled the same way: for the changed
 * environments that have streams here, one query reads `updated_at` and the project's `enable_realtime_updates`,
 * and each stream of an enabled environment gets `environment_updated` with that `updated_at` (once: the second
 * path finds the value already sent). Project-wide changes arrive as one notice for all of the project's
 * environments. An environment that no longer exists has its streams ended.
 */
@Injectable()
export class RealtimeService implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Realtime');
  readonly hub: SseHub;
  /** Last `updated_at` read and pushed per key: the in-process event and the NOTIFY of one change send one event. */
  private readonly lastSent = new Map<string, number>();
  /** Last queue-change value per key (the local push and the NOTIFY echo of one call send one event). */
  private readonly lastQueued = new Map<string, string>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly changes: EnvironmentChangesService,
    private readonly feed: ChangeFeed,
  ) {
    this.hub = new SseHub({
      keepAliveMs: KEEPALIVE_INTERVAL_MS,
      maxStreamMs: config.SSE_MAX_STREAM_SECONDS * 1000,
      maxBufferedBytes: MAX_BUFFERED_BYTES,
    });
  }

  onModuleInit(): void {
    this.unsubscribe.push(
      this.changes.onChange((change) => this.refresh(change.apiKeys)),
      this.feed.on(ENVIRONMENT_CHANGED_CHANNEL, (payload) => this.onNotification(payload)),
      this.feed.onResync(() => this.refresh(this.hub.keys())),
    );
  }

  /** Before the HTTP server closes: streams never finish on their own, so end them here. */
  beforeApplicationShutdown(): void {
    this.hub.closeAll();
  }

  onApplicationShutdown(): void {
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
  }

  /** The token queue-change accepts (`Authorization: Token <token>`), if one is configured. */
  get authenticationToken(): string | undefined {
    return this.config.SSE_AUTHENTICATION_TOKEN || undefined;
  }

  /**
   * Upstream's queue-change: every instance pushes `updatedAt` (epoch seconds text) to the streams of `key`.
   * Published on the change channel with no environment ids, so the caches drop nothing.
   */
  async queueChange(key: string, updatedAt: string): Promise<void> {
    this.pushQueued(key, updatedAt);
    await this.dataSource.query('SELECT pg_notify($1, $2)', [
      ENVIRONMENT_CHANGED_CHANNEL,
      JSON.stringify({ environment_ids: [], api_keys: [key], sse_updated_at: updatedAt }),
    ]);
  }

  private onNotification(payload: string): void {
    const notice = streamNoticeOf(payload);
    if (notice === undefined) {
      this.refresh(this.hub.keys());
    } else if (notice.updatedAt !== undefined) {
      for (const key of notice.apiKeys) this.pushQueued(key, notice.updatedAt);
    } else {
      this.refresh(notice.apiKeys);
    }
  }

  /** Reads the environments of these keys that have streams here and pushes what changed. */
  private refresh(apiKeys: readonly string[]): void {
    const keys = apiKeys.filter((key) => this.hub.has(key));
    if (keys.length === 0) return;
    void this.read(keys).then(
      (rows) => {
        const found = new Set<string>();
        for (const row of rows) {
          found.add(row.api_key);
          if (row.enabled) this.push(row.api_key, row.updated_at);
        }
        for (const key of keys) {
          if (found.has(key)) continue;
          this.lastSent.delete(key);
          this.hub.closeKey(key);
        }
      },
      (err: unknown) =>
        this.logger.warn(
          `cannot read changed environments for real-time updates: ${err instanceof Error ? err.message : String(err)}`,
        ),
    );
  }

  private read(keys: readonly string[]): Promise<EnvironmentState[]> {
    return this.dataSource.query<EnvironmentState[]>(
      `SELECT e.api_key, ${UPDATED_AT_EPOCH} AS updated_at, p.enable_realtime_updates AS enabled
         FROM environments e JOIN projects p ON p.id = e.project_id
        WHERE e.api_key = ANY($1)`,
      [keys],
    );
  }

  /** Sends `environment_updated` to the streams of `key` unless this or a newer value was sent already. */
  private push(key: string, updatedAt: string): void {
    if (!this.hub.has(key)) {
      this.lastSent.delete(key);
      return;
    }
    const value = Number(updatedAt);
    const last = this.lastSent.get(key);
    if (last !== undefined && value <= last) return;
    this.lastSent.set(key, value);
    this.hub.send(key, environmentUpdatedFrame(updatedAt));
  }

  /** queue-change: sends the given value as upstream's SSE service does (whenever it differs from the last one). */
  private pushQueued(key: string, updatedAt: string): void {
    if (!this.hub.has(key)) {
      this.lastQueued.delete(key);
      return;
    }
    if (this.lastQueued.get(key) === updatedAt) return;
    this.lastQueued.set(key, updatedAt);
    this.hub.send(key, environmentUpdatedFrame(updatedAt));
  }
}
