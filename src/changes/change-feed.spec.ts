import {
  ChangeFeed,
  MAX_BACKOFF_MS,
  MIN_BACKOFF_MS,
  type ListenConnection,
  type ListenConnector,
  type ListenEvents,
  type Schedule,
} from './change-feed';

/** A connector whose attempts the test answers one by one, and a timer the test fires by hand. */
class FakeDatabase {
  readonly attempts: { channels: readonly string[]; events: ListenEvents; answer: (ok: boolean) => void }[] =
    [];
  readonly open = new Set<FakeConnection>();
  readonly timers: { run: () => void; delayMs: number; cancelled: boolean }[] = [];
  readonly warnings: string[] = [];
  readonly errors: string[] = [];

  readonly connector: ListenConnector = (channels, events) =>
    new Promise<ListenConnection>((resolve, reject) => {
      this.attempts.push({
        channels,
        events,
        answer: (ok) => {
          if (!ok) return reject(new Error('connection refused'));
          const connection = new FakeConnection(events, this.open);
          this.open.add(connection);
          resolve(connection);
        },
      });
    });

  readonly schedule: Schedule = (run, delayMs) => {
    const timer = { run, delayMs, cancelled: false };
    this.timers.push(timer);
    return () => (timer.cancelled = true);
  };

  feed(channels: readonly string[] = ['env', 'identity']): ChangeFeed {
    return new ChangeFeed(
      channels,
      this.connector,
      { warn: (m) => this.warnings.push(m), error: (m) => this.errors.push(m) },
      this.schedule,
    );
  }

  /** Answers the latest connection attempt and lets the feed react. */
  async answer(ok: boolean): Promise<void> {
    this.attempts[this.attempts.length - 1].answer(ok);
    await flush();
  }

  /** Fires the pending reconnect timer; returns its delay. */
  async fireTimer(): Promise<number> {
    const timer = this.timers.find((t) => !t.cancelled && t.run !== noop);
    if (!timer) throw new Error('no timer pending');
    const { run, delayMs } = timer;
    timer.run = noop;
    run();
    await flush();
    return delayMs;
  }

  get pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled && t.run !== noop).length;
  }

  get connection(): FakeConnection {
    const [only] = [...this.open];
    if (!only || this.open.size !== 1) throw new Error(`${this.open.size} connections open`);
    return only;
  }
}

class FakeConnection implements ListenConnection {
  constructor(
    private readonly events: ListenEvents,
    private readonly open: Set<FakeConnection>,
  ) {}
  notify(channel: string, payload: string): void {
    this.events.notification(channel, payload);
  }
  /** The backend was terminated. */
  kill(): void {
    this.events.lost(new Error('terminating connection due to administrator command'));
  }
  close(): Promise<void> {
    this.open.delete(this);
    return Promise.resolve();
  }
}

const noop = (): void => undefined;
const flush = () => new Promise<void>((r) => setImmediate(r));

/** Starts a feed and answers its first attempt. */
async function started(db: FakeDatabase, feed: ChangeFeed, ok = true): Promise<void> {
  const start = feed.start();
  await db.answer(ok);
  await start;
}

describe('ChangeFeed', () => {
  it('connects once, LISTENing on every channel, and dispatches payloads by channel', async () => {
    const db = new FakeDatabase();
    const feed = db.feed();
    const env: string[] = [];
    const identity: string[] = [];
    feed.on('env', (p) => env.push(`a:${p}`));
    feed.on('env', (p) => env.push(`b:${p}`));
    feed.on('identity', (p) => identity.push(p));
    await started(db, feed);
    db.connection.notify('env', '{"environment_ids":[1]}');
    db.connection.notify('identity', 'x');
    db.connection.notify('other', 'ignored');
    expect({
      attempts: db.attempts.map((a) => a.channels),
      env,
      identity,
      connected: feed.connected,
    }).toEqual({
      attempts: [['env', 'identity']],
      env: ['a:{"environment_ids":[1]}', 'b:{"environment_ids":[1]}'],
      identity: ['x'],
      connected: true,
    });
  });

  it('subscribing to a channel it does not listen on → throws (a typo would otherwise hear nothing)', () => {
    expect(() => new FakeDatabase().feed(['env']).on('envv', noop)).toThrow(/does not listen on envv/);
  });

  it('first connection → no resync; connection lost → reconnect after back-off, then one resync', async () => {
    const db = new FakeDatabase();
    const feed = db.feed();
    let resyncs = 0;
    feed.onResync(() => resyncs++);
    await started(db, feed);
    expect(resyncs).toBe(0);

    db.connection.kill();
    expect({ connected: feed.connected, open: db.open.size, resyncs }).toEqual({
      connected: false,
      open: 0,
      resyncs: 0,
    });
    expect(await db.fireTimer()).toBe(MIN_BACKOFF_MS);
    await db.answer(true);
    expect({ connected: feed.connected, resyncs, attempts: db.attempts.length }).toEqual({
      connected: true,
      resyncs: 1,
      attempts: 2,
    });
    expect(db.warnings).toEqual([
      'environment change listener lost its connection (terminating connection due to administrator command)',
      'listening for environment changes again; dropping cached environments',
    ]);
  });

  it('reconnect attempts that fail → back-off doubles up to the maximum, resets after a success', async () => {
    const db = new FakeDatabase();
    const feed = db.feed();
    await started(db, feed, false);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      delays.push(await db.fireTimer());
      await db.answer(false);
    }
    expect(delays).toEqual([200, 400, 800, 1600, 3200, 6400, MAX_BACKOFF_MS, MAX_BACKOFF_MS]);
    await db.fireTimer();
    await db.answer(true);
    db.connection.kill();
    expect(await db.fireTimer()).toBe(MIN_BACKOFF_MS);
  });

  it('the first attempt fails → the connection that finally opens resyncs (changes may have been missed)', async () => {
    const db = new FakeDatabase();
    const feed = db.feed();
    let resyncs = 0;
    feed.onResync(() => resyncs++);
    await started(db, feed, false);
    expect(db.warnings).toEqual(['cannot LISTEN for environment changes (connection refused); retrying']);
    await db.fireTimer();
    await db.answer(true);
    expect(resyncs).toBe(1);
  });

  it('notifications from a connection already lost → not dispatched; one loss → one reconnect', async () => {
    const db = new FakeDatabase();
    const feed = db.feed();
    const seen: string[] = [];
    feed.on('env', (p) => seen.push(p));
    await started(db, feed);
    const old = db.connection;
    old.kill();
    old.kill(); // 'error' then 'end' of one dead socket
    old.notify('env', 'late');
    expect({ seen, timers: db.pendingTimers }).toEqual({ seen: [], timers: 1 });
  });

  it('a subscriber that throws → logged; the other subscribers still run', async () => {
    const db = new FakeDatabase();
    const feed = db.feed();
    const seen: string[] = [];
    feed.on('env', () => {
      throw new Error('boom');
    });
    feed.on('env', (p) => seen.push(p));
    await started(db, feed);
    db.connection.notify('env', 'p');
    expect({ seen, errors: db.errors }).toEqual({
      seen: ['p'],
      errors: ['change feed subscriber failed: boom'],
    });
  });

  it('unsubscribed handlers → no longer called', async () => {
    const db = new FakeDatabase();
    const feed = db.feed();
    const seen: string[] = [];
    const off = feed.on('env', (p) => seen.push(p));
    let resyncs = 0;
    const offResync = feed.onResync(() => resyncs++);
    await started(db, feed);
    off();
    offResync();
    db.connection.notify('env', 'p');
    db.connection.kill();
    await db.fireTimer();
    await db.answer(true);
    expect({ seen, resyncs }).toEqual({ seen: [], resyncs: 0 });
  });

  it('stop → closes the connection, cancels a pending reconnect and never connects again', async () => {
    const db = new FakeDatabase();
    const feed = db.feed();
    await started(db, feed);
    await feed.stop();
    expect({ open: db.open.size, connected: feed.connected }).toEqual({ open: 0, connected: false });

    const other = new FakeDatabase();
    const stopping = other.feed();
    await started(other, stopping);
    other.connection.kill();
    await stopping.stop();
    expect(other.pendingTimers).toBe(0);
  });

  it('stop while the first attempt is still connecting → that connection is closed when it opens', async () => {
    const db = new FakeDatabase();
    const feed = db.feed();
    const start = feed.start();
    await feed.stop();
    await db.answer(true);
    await start;
    expect({ open: db.open.size, connected: feed.connected }).toEqual({ open: 0, connected: false });
  });
});
