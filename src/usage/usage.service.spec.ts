import { Logger } from '@nestjs/common';
import { InMemoryUsageStore } from './usage.memory';
import { USAGE_MAX_KEYS } from './usage-counters';
import { USAGE_FLUSH_INTERVAL_MS, UsageService } from './usage.service';

const JAN1 = Date.UTC(2024, 0, 1);
const DAY1 = '2024-01-01';

function usage(track = true) {
  const store = new InMemoryUsageStore();
  const service = new UsageService(
    {
      ENABLE_API_USAGE_TRACKING: track,
      INFLUXDB_URL: undefined,
      INFLUXDB_TOKEN: undefined,
      INFLUXDB_ORG: undefined,
      INFLUXDB_BUCKET: undefined,
    },
    store,
  );
  return { store, service };
}

let warnings: string[];
beforeEach(() => {
  warnings = [];
  jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
    warnings.push(String(message));
  });
});
afterEach(() => {
  jest.restoreAllMocks();
  jest.useRealTimers();
});

describe('UsageService counting and flushing', () => {
  it('nothing is written before a flush; a flush writes one row per key', async () => {
    const { store, service } = usage();
    for (let i = 0; i < 30; i++) service.countRequest(1, 'flags', JAN1);
    service.countEvaluations(1, { a: 3 }, new Set(['a']), JAN1);
    expect(store.writes).toBe(0);
    await service.flush();
    expect(store.requests).toEqual(new Map([[`1|flags|${DAY1}`, 30]]));
    expect(store.evaluations).toEqual(new Map([[`1|${DAY1}|a`, 3]]));
  });

  it('a second flush adds to what the first wrote', async () => {
    const { store, service } = usage();
    service.countRequest(1, 'flags', JAN1);
    await service.flush();
    service.countRequest(1, 'flags', JAN1);
    await service.flush();
    expect(store.requests.get(`1|flags|${DAY1}`)).toBe(2);
    expect(store.writes).toBe(2);
  });

  it('a flush with nothing counted → no write', async () => {
    const { store, service } = usage();
    await service.flush();
    expect(store.writes).toBe(0);
  });

  it('ENABLE_API_USAGE_TRACKING=false → requests are not counted, evaluations still are', async () => {
    const { store, service } = usage(false);
    service.countRequest(1, 'flags', JAN1);
    service.countEvaluations(1, { a: 1 }, new Set(['a']), JAN1);
    await service.flush();
    expect(store.requests.size).toBe(0);
    expect(store.evaluations.get(`1|${DAY1}|a`)).toBe(1);
  });

  it('concurrent flush calls share one write', async () => {
    const { store, service } = usage();
    service.countRequest(1, 'flags', JAN1);
    const release = store.hold();
    const first = service.flush();
    const second = service.flush();
    release();
    await Promise.all([first, second]);
    expect(store.writes).toBe(1);
  });

  it('requests counted while a flush is under way → written by the next flush, merged per key', async () => {
    const { store, service } = usage();
    service.countRequest(1, 'flags', JAN1);
    const release = store.hold();
    const flushing = service.flush();
    service.countRequest(1, 'flags', JAN1);
    service.countRequest(1, 'flags', JAN1);
    release();
    await flushing;
    expect(store.requests.get(`1|flags|${DAY1}`)).toBe(1);
    await service.flush();
    expect(store.requests.get(`1|flags|${DAY1}`)).toBe(3);
  });
});

describe('UsageService bounded memory (USAGE_MAX_KEYS)', () => {
  it('a new environment when the counters are full → a flush starts at once and the request is counted', async () => {
    const { store, service } = usage();
    for (let env = 1; env <= USAGE_MAX_KEYS; env++) service.countRequest(env, 'flags', JAN1);
    expect(store.writes).toBe(0);
    service.countRequest(USAGE_MAX_KEYS + 1, 'flags', JAN1);
    expect(store.writes).toBe(1);
    await service.flush(); // the early flush, with the first USAGE_MAX_KEYS environments
    expect(store.requests.size).toBe(USAGE_MAX_KEYS);
    await service.flush();
    expect(store.requests.size).toBe(USAGE_MAX_KEYS + 1);
    expect(warnings).toEqual([]);
  });

  it('full while a flush is under way → the request is dropped, warned once', async () => {
    const { store, service } = usage();
    service.countRequest(0, 'flags', JAN1);
    const release = store.hold();
    const flushing = service.flush();
    for (let env = 1; env <= USAGE_MAX_KEYS + 2; env++) service.countRequest(env, 'flags', JAN1);
    release();
    await flushing;
    await service.flush();
    expect(store.requests.size).toBe(USAGE_MAX_KEYS + 1);
    expect(warnings).toEqual(['usage counters are full; counts are dropped until the next flush']);
  });
});

describe('UsageService when the store fails', () => {
  it('a failed flush keeps the counts, and the next flush writes them once', async () => {
    const { store, service } = usage();
    service.countRequest(1, 'flags', JAN1);
    service.countEvaluations(1, { a: 2 }, new Set(['a']), JAN1);
    store.failWith = new Error('connection refused');
    await service.flush();
    expect(store.requests.size).toBe(0);
    store.failWith = undefined;
    await service.flush();
    await service.flush();
    expect(store.requests.get(`1|flags|${DAY1}`)).toBe(1);
    expect(store.evaluations.get(`1|${DAY1}|a`)).toBe(2);
  });

  it('counts made during a failing flush merge with the kept ones', async () => {
    const { store, service } = usage();
    service.countRequest(1, 'flags', JAN1);
    store.failWith = new Error('connection refused');
    const release = store.hold();
    const flushing = service.flush();
    service.countRequest(1, 'flags', JAN1);
    release();
    await flushing;
    store.failWith = undefined;
    await service.flush();
    expect(store.requests.get(`1|flags|${DAY1}`)).toBe(2);
  });

  it('warns once while writes fail and once when they succeed again', async () => {
    const { store, service } = usage();
    store.failWith = new Error('connection refused');
    for (let i = 0; i < 3; i++) {
      service.countRequest(1, 'flags', JAN1);
      await service.flush();
    }
    store.failWith = undefined;
    await service.flush();
    expect(warnings).toEqual([
      `could not write usage counters (connection refused); retrying every ${USAGE_FLUSH_INTERVAL_MS / 1000}s`,
      'usage counters are written again',
    ]);
  });
});

describe('UsageService lifecycle', () => {
  it('shutdown flushes the counts still pending and stops the timer', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const { store, service } = usage();
    service.onApplicationBootstrap();
    service.countRequest(1, 'environment_document', JAN1);
    await service.beforeApplicationShutdown();
    expect(store.requests.get(`1|environment_document|${DAY1}`)).toBe(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('the timer flushes every USAGE_FLUSH_INTERVAL_MS', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const { store, service } = usage();
    service.onApplicationBootstrap();
    service.countRequest(1, 'flags', JAN1);
    await jest.advanceTimersByTimeAsync(USAGE_FLUSH_INTERVAL_MS - 1);
    expect(store.writes).toBe(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(store.requests.get(`1|flags|${DAY1}`)).toBe(1);
    await service.beforeApplicationShutdown();
  });
});
