import { Call, client } from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import {
  buildOrganisationGraph,
  DatabaseFingerprint,
  fill,
  GraphKey,
  hasPathParam,
  isFlagsmithErrorBody,
  Json,
  OrganisationGraph,
  placeholders,
  routeRecorder,
} from './support/management-api';
import { NOT_MANAGEMENT, ROUTES, RouteSpec, routeSpec } from './support/management-routes';

/**
 * Organisation isolation (docs/contracts/admin-api.md §0: "object outside user's scope ⇒ 404 {"detail":"Not found."}"): a user — or a
 * master API key — of organisation B asking for organisation A's objects, by any route with an id in its path, gets
 * 404 and nothing is written. There is no 403 case: every route, organisation-level membership checks included,
 * answers 404 for an organisation the caller does not belong to, so that ids of other organisations are not
 * confirmed to exist.
 */

/** Path-id routes that are not part of the table, and why. */
const NOT_ISOLATED: Record<string, string> = {
  ...NOT_MANAGEMENT,
  '/api/v1/users/join/link/:hash':
    'an invite link hash is a capability: whoever holds it may join (by design)',
  '/api/v1/users/join/:hash':
    "an email invite's hash joins only the invited address (organisations.e2e-spec covers another email)",
  ...Object.fromEntries(
    [
      '/api/v1/auth/:method/activate',
      '/api/v1/auth/:method/activate/confirm',
      '/api/v1/auth/:method/deactivate',
    ].map((path) => [
      path,
      "the caller's own two-factor method, named not by id but by kind ('app'): no organisation",
    ]),
  ),
  '/api/v1/auth/users/:id':
    'refused (403) to every caller for every id, as Flagsmith (dashboard-routes.e2e-spec)',
  '/api/v1/environments/:environment_api_key/onboarding-status':
    'keyed by the public client key with no credentials, as Flagsmith (dashboard-routes.e2e-spec)',
};

const TABLE: RouteSpec[] = ROUTES.filter((r) => hasPathParam(r.path) && !(r.path in NOT_ISOLATED));

describe('organisation isolation', () => {
  const recorder = routeRecorder();
  let t: TestApp;
  let call: Call;
  let a: OrganisationGraph;
  let b: OrganisationGraph;
  let fingerprint: DatabaseFingerprint;
  let last: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApp({}, { beforeListen: recorder.beforeListen });
    call = client(t);
    a = await buildOrganisationGraph(call, 'Alpha');
    b = await buildOrganisationGraph(call, 'Bravo');
    fingerprint = new DatabaseFingerprint(t.databaseUrl);
    await fingerprint.connect();
    last = await fingerprint.take();
  });
  afterAll(async () => {
    await fingerprint?.close();
    await t?.close();
  });

  const methodsOf = (path: string) => recorder.routes.filter((r) => r.path === path).map((r) => r.method);

  /** Tables written since the previous check. */
  async function written(): Promise<string[]> {
    const now = await fingerprint.take();
    const changed = DatabaseFingerprint.changed(last, now);
    last = now;
    return changed;
  }

  function bodyFor(spec: RouteSpec, method: string, ids: Record<GraphKey, string>): Json {
    if (method === 'GET' || method === 'DELETE') return undefined;
    const write = spec.write?.[method as 'POST' | 'PUT' | 'PATCH'];
    return write?.body?.(ids) ?? {};
  }

  it('every route with an id in its path is in the isolation table or excluded with a reason', () => {
    expect(recorder.routes.length).toBeGreaterThan(100);
    const missing = recorder.routes
      .filter((r) => hasPathParam(r.path) && !(r.path in NOT_ISOLATED) && !routeSpec(r.path))
      .map((r) => `${r.method} ${r.path}`);
    expect(missing).toEqual([]);
    const stale = TABLE.filter((spec) => methodsOf(spec.path).length === 0).map((spec) => spec.path);
    expect(stale).toEqual([]);
  });

  it("the table's URLs name real objects: organisation A's ADMIN reads every one of them", async () => {
    const failures: string[] = [];
    for (const spec of TABLE.filter((s) => methodsOf(s.path).includes('GET'))) {
      const res = await call('GET', fill(spec.url, a.ids), { auth: a.admin.token });
      if (res.status !== 200) failures.push(`${spec.url}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    expect({ failures, written: await written() }).toEqual({ failures: [], written: [] });
  });

  /**
   * Master API keys are no credential at all for managing master API keys (Flagsmith excludes their
   * authentication there): 401 before any lookup, which confirms nothing about A either.
   */
  const refusesMasterKeys = (path: string) => path.startsWith('/api/v1/organisations/:id/master-api-keys');

  describe.each([
    ['a user', () => b.admin.token, false],
    ['a master API key', () => `Api-Key ${b.masterKey}`, true],
  ])('%s of organisation B', (_who, auth, isMasterKey) => {
    it.each(TABLE.map((spec) => [spec.path, spec]))(
      "%s with organisation A's ids answers 404 for every method and writes nothing",
      async (_path, spec) => {
        const [status, detail] =
          isMasterKey && refusesMasterKeys(spec.path)
            ? [401, 'Authentication credentials were not provided.']
            : [404, 'Not found.'];
        const outcomes: string[] = [];
        for (const method of methodsOf(spec.path)) {
          const res = await call(method, fill(spec.url, a.ids), {
            auth: auth(),
            body: bodyFor(spec, method, a.ids),
          });
          if (res.status !== status || res.body?.detail !== detail)
            outcomes.push(`${method}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        }
        expect({ outcomes, written: await written() }).toEqual({ outcomes: [], written: [] });
      },
    );
  });

  /** Routes with two or more ids: B's own scope with A's objects below it (e.g. B's project, A's feature). */
  const MIXED = TABLE.filter((spec) => placeholders(spec.url).length >= 2);

  it.each(MIXED.map((spec) => [spec.url, spec]))(
    "%s with B's own scope and A's nested ids answers 404 for every method and writes nothing",
    async (_url, spec) => {
      const keys = placeholders(spec.url);
      const outcomes: string[] = [];
      for (let own = 1; own < keys.length; own++) {
        const ids = { ...a.ids };
        for (const key of keys.slice(0, own)) ids[key] = b.ids[key];
        // envId travels with env in bodies
        if (keys.slice(0, own).includes('env')) ids.envId = b.ids.envId;
        for (const method of methodsOf(spec.path)) {
          const url = fill(spec.url, ids);
          const res = await call(method, url, { auth: b.admin.token, body: bodyFor(spec, method, ids) });
          if (res.status !== 404 || res.body?.detail !== 'Not found.')
            outcomes.push(`${method} ${url}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        }
      }
      expect({ outcomes, written: await written() }).toEqual({ outcomes: [], written: [] });
    },
  );

  /** Body fields (and a few path ids) naming A's objects under B's own objects. */
  const FOREIGN: [string, string, (a: Ids, b: Ids) => string, (a: Ids, b: Ids) => Json][] = [
    ['a project in A', 'POST', () => '/api/v1/projects/', (a) => ({ name: 'x', organisation: n(a.org) })],
    [
      "moving B's project to A",
      'PATCH',
      (_a, b) => `/api/v1/projects/${b.project}/`,
      (a) => ({ organisation: n(a.org) }),
    ],
    [
      'an environment in A',
      'POST',
      () => '/api/v1/environments/',
      (a) => ({ name: 'x', project: n(a.project) }),
    ],
    [
      "moving B's environment to A's project",
      'PATCH',
      (_a, b) => `/api/v1/environments/${b.env}/`,
      (a) => ({ project: n(a.project) }),
    ],
    [
      "a feature tagged with A's tag",
      'POST',
      (_a, b) => `/api/v1/projects/${b.project}/features/`,
      (a) => ({ name: 'x', tags: [n(a.tag)] }),
    ],
    [
      "a feature owned by A's user",
      'POST',
      (_a, b) => `/api/v1/projects/${b.project}/features/`,
      (a) => ({ name: 'x', owners: [n(a.adminUser)] }),
    ],
    [
      "a feature owned by A's group",
      'POST',
      (_a, b) => `/api/v1/projects/${b.project}/features/`,
      (a) => ({ name: 'x', group_owners: [n(a.group)] }),
    ],
    [
      "retagging B's feature with A's tag",
      'PATCH',
      (_a, b) => `/api/v1/projects/${b.project}/features/${b.feature}/`,
      (a) => ({ tags: [n(a.tag)] }),
    ],
    [
      "A's user as owner of B's feature",
      'POST',
      (_a, b) => `/api/v1/projects/${b.project}/features/${b.feature}/add-owners/`,
      (a) => ({ user_ids: [n(a.adminUser)] }),
    ],
    [
      "A's group as owner of B's feature",
      'POST',
      (_a, b) => `/api/v1/projects/${b.project}/features/${b.feature}/add-group-owners/`,
      (a) => ({ group_ids: [n(a.group)] }),
    ],
    [
      "an MV option of B's feature naming A's feature",
      'POST',
      (_a, b) => `/api/v1/projects/${b.project}/features/${b.mvFeature}/mv-options/`,
      (a) => ({
        feature: n(a.mvFeature),
        type: 'unicode',
        string_value: 'x',
        default_percentage_allocation: 10,
      }),
    ],
    [
      "a segment specific to A's feature",
      'POST',
      (_a, b) => `/api/v1/projects/${b.project}/segments/`,
      (a) => ({ name: 'x', rules: RULES, feature: n(a.feature) }),
    ],
    [
      "a feature segment for A's feature",
      'POST',
      () => '/api/v1/features/feature-segments/',
      (a, b) => ({ feature: n(a.feature), segment: n(b.segment), environment: n(b.envId) }),
    ],
    [
      "a feature segment for A's segment",
      'POST',
      () => '/api/v1/features/feature-segments/',
      (a, b) => ({ feature: n(b.mvFeature), segment: n(a.segment), environment: n(b.envId) }),
    ],
    [
      "a feature segment in A's environment",
      'POST',
      () => '/api/v1/features/feature-segments/',
      (a, b) => ({ feature: n(b.mvFeature), segment: n(b.segment), environment: n(a.envId) }),
    ],
    [
      "reprioritising A's feature segment",
      'POST',
      () => '/api/v1/features/feature-segments/update-priorities/',
      (a) => [{ id: n(a.featureSegment), priority: 0 }],
    ],
    [
      "a segment override with A's segment",
      'POST',
      (_a, b) => `/api/v1/environments/${b.env}/features/${b.mvFeature}/create-segment-override/`,
      (a) => ({
        feature_state_value: { type: 'unicode', string_value: 'x' },
        feature_segment: { segment: n(a.segment) },
      }),
    ],
    [
      "a segment override of A's feature in B's environment",
      'POST',
      (a, b) => `/api/v1/environments/${b.env}/features/${a.mvFeature}/create-segment-override/`,
      (_a, b) => ({
        feature_state_value: { type: 'unicode', string_value: 'x' },
        feature_segment: { segment: n(b.segment) },
      }),
    ],
    [
      "a feature state for A's feature",
      'POST',
      () => '/api/v1/features/featurestates/',
      (a, b) => ({ feature: n(a.feature), environment: n(b.envId), identity: n(b.identity2), enabled: true }),
    ],
    [
      "a feature state for A's identity",
      'POST',
      () => '/api/v1/features/featurestates/',
      (a, b) => ({ feature: n(b.feature), environment: n(b.envId), identity: n(a.identity2), enabled: true }),
    ],
    [
      "a feature state in A's feature segment",
      'POST',
      () => '/api/v1/features/featurestates/',
      (a, b) => ({
        feature: n(b.feature),
        environment: n(b.envId),
        feature_segment: n(a.featureSegment),
        enabled: true,
      }),
    ],
    [
      "a feature state in A's environment",
      'POST',
      () => '/api/v1/features/featurestates/',
      (a, b) => ({ feature: n(b.feature), environment: n(a.envId), identity: n(b.identity2), enabled: true }),
    ],
    [
      "moving B's feature state to A's feature",
      'PUT',
      (_a, b) => `/api/v1/features/featurestates/${b.featureState}/`,
      (a, b) => ({ feature: n(a.feature), environment: n(b.envId), enabled: true }),
    ],
    [
      "B's feature state with A's MV option",
      'PATCH',
      (_a, b) => `/api/v1/environments/${b.env}/featurestates/${b.featureState}/`,
      (a) => ({
        multivariate_feature_state_values: [
          { multivariate_feature_option: n(a.mvOption), percentage_allocation: 10 },
        ],
      }),
    ],
    [
      "an identity override of A's feature",
      'POST',
      (_a, b) => `/api/v1/environments/${b.env}/identities/${b.identity2}/featurestates/`,
      (a) => ({ feature: n(a.mvFeature), enabled: true }),
    ],
    [
      "cloning overrides from A's identity",
      'POST',
      (_a, b) =>
        `/api/v1/environments/${b.env}/identities/${b.identity}/featurestates/clone-from-given-identity/`,
      (a) => ({ source_identity_id: n(a.identity) }),
    ],
    [
      "an organisation grant for A's user",
      'POST',
      (_a, b) => `/api/v1/organisations/${b.org}/user-permissions/`,
      (a) => ({ user: n(a.adminUser), permissions: ['CREATE_PROJECT'] }),
    ],
    [
      "an organisation grant for A's group",
      'POST',
      (_a, b) => `/api/v1/organisations/${b.org}/user-group-permissions/`,
      (a) => ({ group: n(a.group2), permissions: ['CREATE_PROJECT'] }),
    ],
    [
      "a project grant for A's user",
      'POST',
      (_a, b) => `/api/v1/projects/${b.project}/user-permissions/`,
      (a) => ({ user: n(a.adminUser), permissions: ['VIEW_PROJECT'] }),
    ],
    [
      "a project grant for A's group",
      'POST',
      (_a, b) => `/api/v1/projects/${b.project}/user-group-permissions/`,
      (a) => ({ group: n(a.group2), permissions: ['VIEW_PROJECT'] }),
    ],
    [
      "an environment grant for A's user",
      'POST',
      (_a, b) => `/api/v1/environments/${b.env}/user-permissions/`,
      (a) => ({ user: n(a.adminUser), permissions: ['VIEW_ENVIRONMENT'] }),
    ],
    [
      "an environment grant for A's group",
      'POST',
      (_a, b) => `/api/v1/environments/${b.env}/user-group-permissions/`,
      (a) => ({ group: n(a.group2), permissions: ['VIEW_ENVIRONMENT'] }),
    ],
    [
      "an invite into A's group",
      'POST',
      (_a, b) => `/api/v1/organisations/${b.org}/invites/`,
      (a) => ({ email: 'x@example.com', permission_groups: [n(a.group)] }),
    ],
    [
      "a group with A's user",
      'POST',
      (_a, b) => `/api/v1/organisations/${b.org}/groups/`,
      (a) => ({ name: 'x', users: [n(a.adminUser)] }),
    ],
    [
      "adding A's user to B's group",
      'POST',
      (_a, b) => `/api/v1/organisations/${b.org}/groups/${b.group}/add-users/`,
      (a) => ({ user_ids: [n(a.adminUser)] }),
    ],
  ];

  it.each(FOREIGN.map(([what, method, url, body]) => [what, method, url, body] as const))(
    '%s is refused with 400/404 and writes nothing',
    async (_what, method, url, body) => {
      const res = await call(method, url(a.ids, b.ids), { auth: b.admin.token, body: body(a.ids, b.ids) });
      expect({
        refused: [400, 404].includes(res.status),
        shaped: isFlagsmithErrorBody(res.body),
        written: await written(),
      }).toEqual({ refused: true, shaped: true, written: [] });
    },
  );

  it("removing A's user through B's organisation removes nothing (Flagsmith ignores ids that are not members)", async () => {
    const res = await call('POST', `/api/v1/organisations/${b.ids.org}/remove-users/`, {
      auth: b.admin.token,
      body: [{ id: Number(a.ids.adminUser) }, { id: Number(a.ids.member) }],
    });
    expect({ status: res.status, written: await written() }).toEqual({ status: 200, written: [] });
    const still = await call('GET', `/api/v1/organisations/${a.ids.org}/users/`, { auth: a.admin.token });
    expect(still.body.map((u: Json) => u.id).sort()).toEqual(
      [Number(a.ids.adminUser), Number(a.ids.member)].sort(),
    );
  });

  /** List filters naming A's objects: 404, or a list with nothing of A's in it. */
  const FILTERS: [string, (a: Ids, b: Ids) => string][] = [
    ['projects of A', (a) => `/api/v1/projects/?organisation=${a.org}`],
    ['environments of A', (a) => `/api/v1/environments/?project=${a.project}`],
    ['feature states of A', (a) => `/api/v1/features/featurestates/?environment=${a.envId}`],
    [
      'feature segments of A',
      (a) => `/api/v1/features/feature-segments/?environment=${a.envId}&feature=${a.feature}`,
    ],
    ['audit of A', (a) => `/api/v1/audit/?project=${a.project}`],
    [
      "B's features with A's environment",
      (a, b) => `/api/v1/projects/${b.project}/features/?environment=${a.envId}`,
    ],
    [
      "B's segments of A's identity",
      (a, b) => `/api/v1/projects/${b.project}/segments/?identity=${a.identity}`,
    ],
  ];

  it.each(FILTERS)('the list of %s answers 404 or shows nothing of A', async (_what, url) => {
    const res = await call('GET', url(a.ids, b.ids), { auth: b.admin.token });
    if (res.status === 404) expect(res.body).toEqual({ detail: 'Not found.' });
    else {
      expect(res.status).toBe(200);
      const text = JSON.stringify(res.body);
      expect(text).not.toContain(a.ids.env);
      expect(text).not.toContain('Alpha');
      const items = Array.isArray(res.body) ? res.body : res.body.results;
      const foreign = (items as Json[]).filter(
        (item) =>
          item.project === Number(a.ids.project) ||
          item.organisation === Number(a.ids.org) ||
          item.environment === Number(a.ids.envId) ||
          item.project?.id === Number(a.ids.project),
      );
      expect(foreign).toEqual([]);
    }
  });
});

type Ids = Record<GraphKey, string>;
const n = Number;
const RULES = [{ type: 'ALL', rules: [], conditions: [{ operator: 'EQUAL', property: 'a', value: 'b' }] }];
