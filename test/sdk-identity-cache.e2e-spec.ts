import { DataSource } from 'typeorm';
import { EnvironmentChangesService } from '../src/environments/environment-changes.service';
import { EnvironmentDocumentRepository } from '../src/sdk/environment-document.repository';
import { IdentityStore } from '../src/sdk/identity-store';
import { hashedPercentage } from '../libs/engine/src';
import { startTestApp, TestApp } from './support/app';
import { queryDatabase } from './support/database';
import { QueryCounter, sdk, SdkFixture, seedSdkFixture, waitUntil } from './support/sdk-fixtures';

interface Flag {
  feature: { name: string };
  feature_state_value: unknown;
  enabled: boolean;
  variant?: string | null;
}
interface IdentityOut {
  identifier: string;
  flags: Flag[];
  traits: { id: number | null; trait_key: string; trait_value: unknown }[];
}

const QUIET = { ENABLE_API_USAGE_TRACKING: 'false' };

function valueOf(flags: Flag[], name: string): unknown {
  return flags.find((f) => f.feature.name === name)?.feature_state_value;
}

/** Counts the queries sent while `work` runs. */
async function queriesDuring(work: () => Promise<unknown>): Promise<{ sent: number; recent: string[] }> {
  const before = QueryCounter.snapshot();
  await work();
  const sent = QueryCounter.snapshot() - before;
  return { sent, recent: sent > 0 ? QueryCounter.recent(sent) : [] };
}

/** A promise and the function that resolves it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

beforeAll(() => QueryCounter.install());

describe('SDK identity cache in one instance', () => {
  let t: TestApp;
  let f: SdkFixture;
  let api: string;

  beforeAll(async () => {
    t = await startTestApp(QUIET);
    f = await seedSdkFixture(t.app.get(DataSource));
    api = `${t.url}/api/v1`;
  });
  afterAll(() => t.close());

  const identities = (identifier: string, key = f.serverKey) =>
    sdk(api, `/identities/?identifier=${encodeURIComponent(identifier)}`, key);
  const identify = (body: unknown, key = f.serverKey) =>
    sdk(api, '/identities/', key, { method: 'POST', body });

  it('GET /identities/ for an identity seen before → zero queries, same body', async () => {
    const first = await identities('overridden');
    const { sent, recent } = await queriesDuring(async () => {
      for (let i = 0; i < 20; i++) expect((await identities('overridden')).text).toBe(first.text);
    });
    expect({ sent, recent }).toEqual({ sent: 0, recent: [] });
  });

  it('GET /identities/ for an identifier known to be new → the identity is created with one INSERT', async () => {
    const body = { identifier: 'brand-new-identity', transient: true };
    await identify(body); // remembered as unknown
    const { sent, recent } = await queriesDuring(() => identities('brand-new-identity'));
    expect(recent).toEqual([expect.stringMatching(/INSERT INTO identities/)]);
    expect(sent).toBe(1);
    const rows = await queryDatabase(t.databaseUrl, 'SELECT id FROM identities WHERE identifier = $1', [
      'brand-new-identity',
    ]);
    expect(rows).toHaveLength(1);
  });

  it('transient POST for an unknown identifier → one lookup the first time, zero queries afterwards', async () => {
    const body = {
      identifier: 'never-stored',
      transient: true,
      traits: [{ trait_key: 'plan', trait_value: 'pro' }],
    };
    const first = await queriesDuring(() => identify(body));
    expect(first.sent).toBe(1);
    const again = await queriesDuring(async () => {
      for (let i = 0; i < 10; i++) expect((await identify(body)).status).toBe(200);
    });
    expect(again).toEqual({ sent: 0, recent: [] });
    expect(
      await queryDatabase(t.databaseUrl, 'SELECT 1 FROM identities WHERE identifier = $1', ['never-stored']),
    ).toEqual([]);
  });

  it('POST /identities/ repeating the stored trait values → zero queries (nothing to write)', async () => {
    await identify({ identifier: 'steady', traits: [{ trait_key: 'plan', trait_value: 'free' }] });
    await identities('steady');
    const { sent } = await queriesDuring(() =>
      identify({ identifier: 'steady', traits: [{ trait_key: 'plan', trait_value: 'free' }] }),
    );
    expect(sent).toBe(0);
  });

  it('a trait written through POST /identities/ → the next GET of that identity sees it (segment override applies)', async () => {
    expect(valueOf((await identities('upgrader')).json<IdentityOut>().flags, 'flag_off')).toBe(42);
    await identify({ identifier: 'upgrader', traits: [{ trait_key: 'plan', trait_value: 'pro' }] });
    const after = (await identities('upgrader')).json<IdentityOut>();
    expect(valueOf(after.flags, 'flag_off')).toBe('segment');
    expect(after.traits.map((tr) => [tr.trait_key, tr.trait_value])).toEqual([['plan', 'pro']]);
  });

  it.each([
    [
      'POST /traits/',
      (id: string) =>
        sdk(api, '/traits/', f.serverKey, {
          method: 'POST',
          body: { identity: { identifier: id }, trait_key: 'plan', trait_value: 'pro' },
        }),
    ],
    [
      'PUT /traits/bulk/',
      (id: string) =>
        sdk(api, '/traits/bulk/', f.serverKey, {
          method: 'PUT',
          body: [{ identity: { identifier: id }, trait_key: 'plan', trait_value: 'pro' }],
        }),
    ],
  ])('a trait written through %s → the next GET of that identity sees it', async (_name, write) => {
    const identifier = `via-${_name.replace(/\W/g, '')}`;
    expect(valueOf((await identities(identifier)).json<IdentityOut>().flags, 'flag_off')).toBe(42);
    expect((await write(identifier)).status).toBe(200);
    expect(valueOf((await identities(identifier)).json<IdentityOut>().flags, 'flag_off')).toBe('segment');
  });

  it('a trait changed by another writer that reports identityChanged → the next GET sees it', async () => {
    await identities('overridden');
    await t.app.get(DataSource).transaction(async (m) => {
      await m.query(
        `UPDATE traits SET string_value = 'pro' WHERE trait_key = 'plan'
            AND identity_id = (SELECT id FROM identities WHERE identifier = 'overridden' AND environment_id = $1)`,
        [f.environmentId],
      );
      await t.app.get(EnvironmentChangesService).identityChanged(m, f.environmentId, 'overridden');
    });
    const traits = (await identities('overridden')).json<IdentityOut>().traits;
    expect(traits.find((tr) => tr.trait_key === 'plan')?.trait_value).toBe('pro');
  });

  it('an identity load that started before a trait write and finishes after it → not kept (next GET sees the write)', async () => {
    const store = t.app.get(IdentityStore);
    const original = store.find.bind(store);
    await identities('racer'); // exists, cached
    await t.app.get(DataSource).transaction(async (m) => {
      await t.app.get(EnvironmentChangesService).identityChanged(m, f.environmentId, 'racer'); // evict
    });
    const reached = gate();
    const release = gate();
    let delayed = true;
    store.find = async (...args: Parameters<IdentityStore['find']>) => {
      const found = await original(...args);
      if (delayed && args[1] === 'racer') {
        delayed = false;
        reached.open();
        await release.opened; // the write below commits while this (old) read is in flight
      }
      return found;
    };
    try {
      const slow = identities('racer');
      await reached.opened;
      expect(
        (
          await sdk(api, '/traits/', f.serverKey, {
            method: 'POST',
            body: { identity: { identifier: 'racer' }, trait_key: 'plan', trait_value: 'pro' },
          })
        ).status,
      ).toBe(200);
      release.open();
      expect(valueOf((await slow).json<IdentityOut>().flags, 'flag_off')).toBe(42); // its own (old) read
      expect(valueOf((await identities('racer')).json<IdentityOut>().flags, 'flag_off')).toBe('segment');
    } finally {
      store.find = original;
    }
  });
});

describe('SDK environment snapshot races', () => {
  let t: TestApp;
  let f: SdkFixture;
  let api: string;

  beforeAll(async () => {
    t = await startTestApp(QUIET);
    f = await seedSdkFixture(t.app.get(DataSource));
    api = `${t.url}/api/v1`;
  });
  afterAll(() => t.close());

  const setValue = (value: string) =>
    t.app.get(DataSource).transaction(async (m) => {
      await m.query('UPDATE feature_states SET string_value = $1 WHERE id = $2', [value, f.stateIds.flag_on]);
      await t.app.get(EnvironmentChangesService).environmentsChanged(m, [f.environmentId]);
    });
  const flagOn = async () => valueOf((await sdk(api, '/flags/', f.clientKey)).json<Flag[]>(), 'flag_on');

  /** Makes the next environment load read the database, then wait for `release` before it returns. */
  function delayNextLoad(): { reached: Promise<void>; release: () => void; restore: () => void } {
    const repository = t.app.get(EnvironmentDocumentRepository);
    const original = repository.load.bind(repository);
    const reached = gate();
    const release = gate();
    let delayed = true;
    repository.load = async (environmentId: number) => {
      const source = await original(environmentId);
      if (delayed) {
        delayed = false;
        reached.open();
        await release.opened;
      }
      return source;
    };
    return { reached: reached.opened, release: release.open, restore: () => (repository.load = original) };
  }

  it('a load that read the environment before a write and finishes after it → served to its request, not kept', async () => {
    await setValue('before');
    const delay = delayNextLoad();
    try {
      const slow = sdk(api, '/flags/', f.clientKey);
      await delay.reached;
      await setValue('after');
      // Let the write's NOTIFY echo arrive first: afterwards only the generation guard keeps the old result out.
      await new Promise((resolve) => setTimeout(resolve, 300));
      delay.release();
      expect(valueOf((await slow).json<Flag[]>(), 'flag_on')).toBe('before');
      expect(await flagOn()).toBe('after');
    } finally {
      delay.restore();
    }
  });

  it('a request after a write does not join a load that started before the write → it sees the write', async () => {
    await setValue('old');
    const delay = delayNextLoad();
    try {
      const slow = sdk(api, '/flags/', f.clientKey);
      await delay.reached;
      await setValue('new');
      // Answers while the old load is still held: it must not be waiting for (and served by) that load.
      const fresh = await Promise.race([
        flagOn(),
        new Promise((resolve) => setTimeout(() => resolve('joined the old load'), 2000)),
      ]);
      delay.release();
      await slow;
      expect(fresh).toBe('new');
    } finally {
      delay.restore();
    }
  });
});

describe('SDK identity cache across two instances sharing one database', () => {
  let a: TestApp;
  let b: TestApp;
  let f: SdkFixture;

  beforeAll(async () => {
    a = await startTestApp(QUIET);
    b = await startTestApp({ ...QUIET, DATABASE_URL: a.databaseUrl });
    f = await seedSdkFixture(a.app.get(DataSource));
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('a trait written through instance A → instance B serves it within 1 s (NOTIFY flagport_identity_changed)', async () => {
    const apiA = `${a.url}/api/v1`;
    const apiB = `${b.url}/api/v1`;
    const onB = async () =>
      valueOf(
        (await sdk(apiB, '/identities/?identifier=shared', f.serverKey)).json<IdentityOut>().flags,
        'flag_off',
      );
    expect(await onB()).toBe(42);
    await sdk(apiA, '/identities/', f.serverKey, {
      method: 'POST',
      body: { identifier: 'shared', traits: [{ trait_key: 'plan', trait_value: 'pro' }] },
    });
    expect(await waitUntil(async () => (await onB()) === 'segment', 1000, 10)).toBeLessThan(1000);
  });

  it('an identifier instance B remembers as unknown, created by instance A → B sees the stored identity', async () => {
    const apiA = `${a.url}/api/v1`;
    const apiB = `${b.url}/api/v1`;
    const transientOnB = async () =>
      (
        await sdk(apiB, '/identities/', f.serverKey, {
          method: 'POST',
          body: { identifier: 'late', transient: true },
        })
      ).json<IdentityOut>().traits;
    expect(await transientOnB()).toEqual([]);
    await sdk(apiA, '/traits/', f.serverKey, {
      method: 'POST',
      body: { identity: { identifier: 'late' }, trait_key: 'plan', trait_value: 'pro' },
    });
    await waitUntil(async () => (await transientOnB()).length === 1, 1000, 10);
  });
});

describe('SDK identity hashing with use_identity_composite_key_for_hashing = false', () => {
  let t: TestApp;
  let f: SdkFixture;
  let api: string;

  beforeAll(async () => {
    t = await startTestApp(QUIET);
    f = await seedSdkFixture(t.app.get(DataSource), {
      environment: { useIdentityCompositeKeyForHashing: false },
    });
    api = `${t.url}/api/v1`;
  });
  afterAll(() => t.close());

  it('multivariate buckets follow the identity id (as upstream): equal to local hashing of String(id)', async () => {
    const mvStateId = f.stateIds.mv;
    for (let i = 0; i < 30; i++) {
      const identifier = `hashed-${i}`;
      const out = (await sdk(api, `/identities/?identifier=${identifier}`, f.serverKey)).json<IdentityOut>();
      const [{ id }] = await queryDatabase<{ id: number }>(
        t.databaseUrl,
        'SELECT id FROM identities WHERE identifier = $1 AND environment_id = $2',
        [identifier, f.environmentId],
      );
      const percentage = hashedPercentage([String(mvStateId), String(id)]);
      const expected = percentage < 50 ? 'a' : 'b'; // options a, b at 50 % each, in id order
      expect({ identifier, value: valueOf(out.flags, 'mv') }).toEqual({ identifier, value: expected });
    }
  });

  it('transient identities all hash as "None" (as upstream: an unsaved identity has no id)', async () => {
    const expected = hashedPercentage([String(f.stateIds.mv), 'None']) < 50 ? 'a' : 'b';
    for (const identifier of ['t1', 't2', 't3']) {
      const out = (
        await sdk(api, `/identities/?identifier=${identifier}&transient=1`, f.serverKey)
      ).json<IdentityOut>();
      expect(valueOf(out.flags, 'mv')).toBe(expected);
    }
  });
});
