import { UsageCounters, usagePoints } from './usage-counters';

const DAY = 86_400_000;
const JAN1 = Date.UTC(2024, 0, 1);
const known = new Set(['a', 'b']);

describe('UsageCounters requests', () => {
  it('requests of one environment, resource and day → one row with their sum', () => {
    const c = new UsageCounters();
    for (let i = 0; i < 30; i++) c.countRequest(1, 'flags', JAN1 + i);
    c.countRequest(1, 'identities', JAN1);
    c.countRequest(2, 'flags', JAN1);
    expect(c.take()).toEqual({
      requests: [
        { environmentId: 1, resource: 'flags', day: '2024-01-01', count: 30 },
        { environmentId: 1, resource: 'identities', day: '2024-01-01', count: 1 },
        { environmentId: 2, resource: 'flags', day: '2024-01-01', count: 1 },
      ],
      evaluations: [],
    });
  });

  it('a request at UTC midnight → counted on the new day', () => {
    const c = new UsageCounters();
    c.countRequest(1, 'flags', JAN1 + DAY - 1);
    c.countRequest(1, 'flags', JAN1 + DAY);
    c.countRequest(1, 'flags', JAN1 + DAY + 5);
    expect(c.take()?.requests).toEqual([
      { environmentId: 1, resource: 'flags', day: '2024-01-01', count: 1 },
      { environmentId: 1, resource: 'flags', day: '2024-01-02', count: 2 },
    ]);
  });

  it('a late request for the previous day (clock stepped back) → counted on that day', () => {
    const c = new UsageCounters();
    c.countRequest(1, 'flags', JAN1 + DAY);
    c.countRequest(1, 'flags', JAN1 + DAY - 1);
    expect(c.take()?.requests.map((r) => [r.day, r.count])).toEqual([
      ['2024-01-02', 1],
      ['2024-01-01', 1],
    ]);
  });

  it('take() with nothing counted → null; after a take the counters start from zero', () => {
    const c = new UsageCounters();
    expect(c.take()).toBeNull();
    c.countRequest(1, 'flags', JAN1);
    c.take();
    expect(c.take()).toBeNull();
  });

  it('a new environment when the day holds maxKeys environments → not counted; known ones still are', () => {
    const c = new UsageCounters(2);
    expect(c.countRequest(1, 'flags', JAN1)).toBe(true);
    expect(c.countRequest(2, 'flags', JAN1)).toBe(true);
    expect(c.full).toBe(true);
    expect(c.countRequest(3, 'flags', JAN1)).toBe(false);
    expect(c.countRequest(1, 'flags', JAN1)).toBe(true);
    expect(c.take()?.requests.map((r) => [r.environmentId, r.count])).toEqual([
      [1, 2],
      [2, 1],
    ]);
    expect(c.full).toBe(false);
  });
});

describe('UsageCounters evaluations', () => {
  it('counts summed per feature and day; unknown features, non-integers and non-positive counts ignored', () => {
    const c = new UsageCounters();
    c.countEvaluations(1, { a: 3, b: 2, nope: 9, x: 'x' }, known, JAN1);
    c.countEvaluations(1, { a: 4, b: 1.5, c: 0 }, new Set(['a', 'b', 'c']), JAN1);
    c.countEvaluations(1, { b: -1, a: Number.MAX_SAFE_INTEGER + 1 }, known, JAN1);
    expect(c.take()?.evaluations).toEqual([
      { environmentId: 1, featureName: 'a', day: '2024-01-01', count: 7 },
      { environmentId: 1, featureName: 'b', day: '2024-01-01', count: 2 },
    ]);
  });

  it('beyond twice maxKeys keys → new keys are dropped and reported, existing keys still add', () => {
    const c = new UsageCounters(1);
    expect(c.countEvaluations(1, { a: 1 }, known, JAN1)).toBe(true);
    expect(c.full).toBe(true);
    expect(c.countEvaluations(2, { a: 1 }, known, JAN1)).toBe(true);
    expect(c.countEvaluations(3, { a: 1, b: 1 }, known, JAN1)).toBe(false);
    expect(c.countEvaluations(1, { a: 1 }, known, JAN1)).toBe(true);
    expect(c.take()?.evaluations.map((e) => [e.environmentId, e.count])).toEqual([
      [1, 2],
      [2, 1],
    ]);
  });
});

describe('UsageCounters.restore', () => {
  it('a restored batch sums with what was counted since it was taken', () => {
    const c = new UsageCounters();
    c.countRequest(1, 'flags', JAN1);
    c.countEvaluations(1, { a: 2 }, known, JAN1);
    const batch = c.take()!;
    c.countRequest(1, 'flags', JAN1);
    c.countRequest(1, 'traits', JAN1);
    c.countEvaluations(1, { a: 1 }, known, JAN1);
    c.restore(batch);
    expect(c.take()).toEqual({
      requests: [
        { environmentId: 1, resource: 'flags', day: '2024-01-01', count: 2 },
        { environmentId: 1, resource: 'traits', day: '2024-01-01', count: 1 },
      ],
      evaluations: [{ environmentId: 1, featureName: 'a', day: '2024-01-01', count: 3 }],
    });
  });

  it('restoring does not change the batch that was taken', () => {
    const c = new UsageCounters();
    c.countRequest(1, 'flags', JAN1);
    const batch = c.take()!;
    c.restore(batch);
    c.countRequest(1, 'flags', JAN1);
    c.take();
    expect(batch.requests[0].count).toBe(1);
  });
});

describe('usagePoints', () => {
  it('one api_call point per request row and one feature_evaluation point per evaluation row', () => {
    expect(
      usagePoints(
        {
          requests: [{ environmentId: 1, resource: 'flags', day: '2024-01-01', count: 30 }],
          evaluations: [{ environmentId: 1, featureName: 'a', day: '2024-01-01', count: 7 }],
        },
        1700000000,
      ),
    ).toEqual([
      {
        measurement: 'api_call',
        tags: { environment_id: 1, resource: 'flags' },
        field: 'request_count',
        value: 30,
        timestampSeconds: 1700000000,
      },
      {
        measurement: 'feature_evaluation',
        tags: { environment_id: 1, feature_id: 'a' },
        field: 'request_count',
        value: 7,
        timestampSeconds: 1700000000,
      },
    ]);
  });
});
