import { Call, client, signUp } from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import { buildOrganisationGraph, GraphKey, OrganisationGraph } from './support/management-api';

const NOT_FOUND = { status: 404, body: { detail: 'Not found.' } };
const ZERO = '00000000-0000-4000-8000-000000000000';

type Ids = Record<GraphKey, string>;

interface Lookup {
  name: string;
  uuidKey: GraphKey;
  url: (ids: Ids, uuid: string) => string;
  /** The same object by Flagsmith's other read of it: the lookup answers exactly this body. */
  sameAs: (ids: Ids) => { url: string; pick?: (body: { results: { uuid: string }[] }) => unknown };
  /**
   * How the segment is read: `field` — a DRF action (`[0-9a-f-]+` into a UUIDField: hyphens may be left out);
   * `converter` — Django's <uuid:> path converter (8-4-4-4-12 only).
   */
  read: 'field' | 'converter';
  /** What an organisation member with no grants gets (Flagsmith: filtered lookups 404, checked ones 403). */
  bareMember: number;
}

const byUuid = (ids: Ids, key: GraphKey) => (body: { results: { uuid: string }[] }) =>
  body.results.find((r) => r.uuid === ids[key]);

const LOOKUPS: Lookup[] = [
  {
    name: 'organisation',
    uuidKey: 'orgUuid',
    url: (_ids, uuid) => `/api/v1/organisations/get-by-uuid/${uuid}/`,
    sameAs: (ids) => ({ url: `/api/v1/organisations/${ids.org}/` }),
    read: 'field',
    bareMember: 200,
  },
  {
    name: 'project',
    uuidKey: 'projectUuid',
    url: (_ids, uuid) => `/api/v1/projects/get-by-uuid/${uuid}/`,
    sameAs: (ids) => ({
      url: `/api/v1/projects/?organisation=${ids.org}`,
      pick: (body) => (body as unknown as { uuid: string }[]).find((p) => p.uuid === ids.projectUuid),
    }),
    read: 'field',
    bareMember: 404,
  },
  {
    name: 'tag',
    uuidKey: 'tagUuid',
    url: (ids, uuid) => `/api/v1/projects/${ids.project}/tags/get-by-uuid/${uuid}/`,
    sameAs: (ids) => ({ url: `/api/v1/projects/${ids.project}/tags/${ids.tag}/` }),
    read: 'field',
    bareMember: 403,
  },
  {
    name: 'environment',
    uuidKey: 'envUuid',
    url: (_ids, uuid) => `/api/v1/environments/get-by-uuid/${uuid}/`,
    sameAs: (ids) => ({ url: `/api/v1/environments/${ids.env}/` }),
    read: 'field',
    bareMember: 403,
  },
  {
    name: 'feature',
    uuidKey: 'featureUuid',
    url: (_ids, uuid) => `/api/v1/features/get-by-uuid/${uuid}/`,
    // CreateFeatureSerializer: the retrieve body without FeatureSerializerWithMetadata's additions.
    sameAs: (ids) => ({
      url: `/api/v1/projects/${ids.project}/features/${ids.feature}/`,
      pick: (body) => {
        const { metadata, code_references_counts, ...plain } = body as unknown as Record<string, unknown>;
        expect({ metadata, code_references_counts }).toEqual({ metadata: [], code_references_counts: [] });
        return plain;
      },
    }),
    read: 'converter',
    bareMember: 404,
  },
  {
    name: 'feature state',
    uuidKey: 'featureStateUuid',
    url: (_ids, uuid) => `/api/v1/features/featurestates/get-by-uuid/${uuid}/`,
    sameAs: (ids) => ({
      url: `/api/v1/features/featurestates/?environment=${ids.envId}&feature=${ids.feature}`,
      pick: byUuid(ids, 'featureStateUuid'),
    }),
    read: 'converter',
    bareMember: 404,
  },
  {
    name: 'multivariate option',
    uuidKey: 'mvOptionUuid',
    url: (_ids, uuid) => `/api/v1/multivariate/options/get-by-uuid/${uuid}/`,
    sameAs: (ids) => ({
      url: `/api/v1/projects/${ids.project}/features/${ids.mvFeature}/mv-options/${ids.mvOption}/`,
    }),
    read: 'converter',
    bareMember: 404,
  },
  {
    name: 'segment',
    uuidKey: 'segmentUuid',
    url: (_ids, uuid) => `/api/v1/segments/get-by-uuid/${uuid}/`,
    sameAs: (ids) => ({ url: `/api/v1/projects/${ids.project}/segments/${ids.segment}/` }),
    read: 'converter',
    bareMember: 404,
  },
];

/** GET …/get-by-uuid/{uuid}/ of organisations, projects, tags, environments, features, states, MV options, segments. */
describe('get-by-uuid lookups', () => {
  let t: TestApp;
  let call: Call;
  let a: OrganisationGraph;
  let b: OrganisationGraph;
  /** A USER member of A with no grant at all. */
  let bare: { id: number; token: string };
  /** A USER member of A with VIEW_PROJECT on its project and nothing on its environments. */
  let viewer: { id: number; token: string };

  async function joinA(): Promise<{ id: number; token: string }> {
    const user = await signUp(call);
    const joined = await call('POST', `/api/v1/users/join/link/${a.ids.linkHash}/`, { auth: user.token });
    if (joined.status >= 300) throw new Error(`join: ${joined.status} ${JSON.stringify(joined.body)}`);
    return user;
  }

  beforeAll(async () => {
    t = await startTestApp();
    call = client(t);
    a = await buildOrganisationGraph(call, 'Alpha');
    b = await buildOrganisationGraph(call, 'Bravo');
    bare = await joinA();
    viewer = await joinA();
    const granted = await call('POST', `/api/v1/projects/${a.ids.project}/user-permissions/`, {
      auth: a.admin.token,
      body: { user: viewer.id, permissions: ['VIEW_PROJECT'], admin: false },
    });
    expect(granted.status).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
  });

  describe.each(LOOKUPS.map((l) => [l.name, l]))('the %s lookup', (_name, lookup) => {
    const url = (uuid: string) => lookup.url(a.ids, uuid);

    it("by the object's uuid answers 200 with the body Flagsmith's other read of it gives", async () => {
      const res = await call('GET', url(a.ids[lookup.uuidKey]), { auth: a.admin.token });
      const same = lookup.sameAs(a.ids);
      const other = await call('GET', same.url, { auth: a.admin.token });
      expect(other.status).toBe(200);
      const expected: unknown = same.pick ? same.pick(other.body) : other.body;
      expect(expected).toMatchObject({ uuid: a.ids[lookup.uuidKey] });
      expect(res).toEqual({ status: 200, body: expected });
    });

    it('an unknown uuid answers 404', async () => {
      expect(await call('GET', url(ZERO), { auth: a.admin.token })).toEqual(NOT_FOUND);
    });

    it('a malformed uuid answers 404, never 400 or 500', async () => {
      const uuid = a.ids[lookup.uuidKey];
      for (const bad of ['not-a-uuid', 'abc', uuid.toUpperCase(), `${uuid}0`, `${uuid.slice(0, -1)}g`])
        expect([bad, await call('GET', url(bad), { auth: a.admin.token })]).toEqual([bad, NOT_FOUND]);
    });

    it(
      lookup.read === 'field'
        ? 'a uuid without its hyphens finds the object (a UUIDField reads it so)'
        : 'a uuid without its hyphens answers 404 (the <uuid:> path converter refuses it)',
      async () => {
        const res = await call('GET', url(a.ids[lookup.uuidKey].replace(/-/g, '')), { auth: a.admin.token });
        expect(res.status).toBe(lookup.read === 'field' ? 200 : 404);
      },
    );

    it("another organisation's admin gets 404, and so does its master API key", async () => {
      expect(await call('GET', url(a.ids[lookup.uuidKey]), { auth: b.admin.token })).toEqual(NOT_FOUND);
      expect(await call('GET', url(a.ids[lookup.uuidKey]), { auth: `Api-Key ${b.masterKey}` })).toEqual(
        NOT_FOUND,
      );
    });

    it(`a member with no grant gets ${lookup.bareMember}, as in Flagsmith`, async () => {
      const res = await call('GET', url(a.ids[lookup.uuidKey]), { auth: bare.token });
      expect(res.status).toBe(lookup.bareMember);
      if (lookup.bareMember === 200) expect(res.body.uuid).toBe(a.ids[lookup.uuidKey]);
    });

    it("the organisation's own master API key reads it", async () => {
      const res = await call('GET', url(a.ids[lookup.uuidKey]), { auth: `Api-Key ${a.masterKey}` });
      expect(res.status).toBe(200);
    });

    it('without credentials it answers 401', async () => {
      expect((await call('GET', url(a.ids[lookup.uuidKey]))).status).toBe(401);
    });
  });

  it('VIEW_PROJECT alone reads every project-level object, feature states included; the environment needs VIEW_ENVIRONMENT', async () => {
    const statuses = Object.fromEntries(
      await Promise.all(
        LOOKUPS.map(
          async (l) =>
            [
              l.name,
              (await call('GET', l.url(a.ids, a.ids[l.uuidKey]), { auth: viewer.token })).status,
            ] as const,
        ),
      ),
    );
    expect(statuses).toEqual({
      organisation: 200,
      project: 200,
      tag: 200,
      environment: 403,
      feature: 200,
      'feature state': 200,
      'multivariate option': 200,
      segment: 200,
    });
    // The graph's member holds VIEW_ENVIRONMENT on `env`.
    const env = await call('GET', `/api/v1/environments/get-by-uuid/${a.ids.envUuid}/`, {
      auth: a.member.token,
    });
    expect(env.status).toBe(200);
  });

  it("a tag lookup under another organisation's project answers 404, under an unknown project 404", async () => {
    for (const project of [b.ids.project, '999999999'])
      expect(
        await call('GET', `/api/v1/projects/${project}/tags/get-by-uuid/${a.ids.tagUuid}/`, {
          auth: a.admin.token,
        }),
      ).toEqual(NOT_FOUND);
    // B's admin, in B's own project, with A's tag uuid: not in that project.
    expect(
      await call('GET', `/api/v1/projects/${b.ids.project}/tags/get-by-uuid/${a.ids.tagUuid}/`, {
        auth: b.admin.token,
      }),
    ).toEqual(NOT_FOUND);
  });
});
