import {
  Call,
  client,
  createEnvironment,
  createOrganisation,
  createProject,
  signUp,
  uniqueEmail,
} from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import { Json, SEGMENT_RULES } from './support/management-api';

/**
 * Permission matrix (docs/contracts/admin-api.md §0, §4–§9): a user granted exactly one project or environment permission key can do
 * exactly what that key allows (table: PROBES[].allowedBy) and gets 403 for everything else; admin grants allow
 * everything at their level and below; and nobody but an admin of the scope can grant permissions.
 *
 * Change-request keys (CREATE_/APPROVE_CHANGE_REQUEST, *_PROJECT_LEVEL_CHANGE_REQUESTS) and EDIT_FEATURE guard no
 * endpoint here (change requests are P2; feature updates need CREATE_FEATURE per §6), so they allow nothing below.
 */

type Level = 'project' | 'environment';

interface World {
  admin: { id: number; token: string };
  org: number;
  project: number;
  env: { id: number; api_key: string };
  env2: { id: number; api_key: string };
  feature: number;
  featureState: number;
  segment: number;
  identity: number;
  identityOverride: number;
  linkHash: string;
}

interface Probe {
  name: string;
  level: Level;
  /** Keys that allow it on their own; [] = only an admin of the scope. */
  allowedBy: string[];
  run: (call: Call, w: World, token: string) => Promise<{ status: number; body: Json }>;
}

let seq = 0;
const unique = (prefix: string) => `${prefix}_${++seq}`;

async function must(res: Promise<{ status: number; body: Json }>, what: string): Promise<Json> {
  const r = await res;
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

const P = (w: World) => `/api/v1/projects/${w.project}`;
const E = (w: World) => `/api/v1/environments/${w.env.api_key}`;

const PROBES: Probe[] = [
  // ---- project
  {
    name: 'read the project',
    level: 'project',
    allowedBy: ['VIEW_PROJECT'],
    run: (call, w, auth) => call('GET', `${P(w)}/`, { auth }),
  },
  {
    name: 'list features',
    level: 'project',
    allowedBy: ['VIEW_PROJECT'],
    run: (call, w, auth) => call('GET', `${P(w)}/features/`, { auth }),
  },
  {
    name: 'list segments',
    level: 'project',
    allowedBy: ['VIEW_PROJECT'],
    run: (call, w, auth) => call('GET', `${P(w)}/segments/`, { auth }),
  },
  {
    name: 'list tags',
    level: 'project',
    allowedBy: ['VIEW_PROJECT'],
    run: (call, w, auth) => call('GET', `${P(w)}/tags/`, { auth }),
  },
  {
    name: 'create an environment',
    level: 'project',
    allowedBy: ['CREATE_ENVIRONMENT'],
    run: (call, _w, auth) =>
      call('POST', '/api/v1/environments/', { auth, body: { name: unique('env'), project: _w.project } }),
  },
  {
    name: 'create a feature',
    level: 'project',
    allowedBy: ['CREATE_FEATURE'],
    run: (call, w, auth) => call('POST', `${P(w)}/features/`, { auth, body: { name: unique('flag') } }),
  },
  {
    name: 'update a feature',
    level: 'project',
    allowedBy: ['CREATE_FEATURE'],
    run: (call, w, auth) =>
      call('PATCH', `${P(w)}/features/${w.feature}/`, { auth, body: { description: unique('d') } }),
  },
  {
    name: 'delete a feature',
    level: 'project',
    allowedBy: ['DELETE_FEATURE'],
    run: async (call, w, auth) => {
      const f = await must(
        call('POST', `${P(w)}/features/`, { auth: w.admin.token, body: { name: unique('doomed') } }),
        'feature',
      );
      return call('DELETE', `${P(w)}/features/${f.id}/`, { auth });
    },
  },
  {
    name: 'create a segment',
    level: 'project',
    allowedBy: ['MANAGE_SEGMENTS'],
    run: (call, w, auth) =>
      call('POST', `${P(w)}/segments/`, { auth, body: { name: unique('seg'), rules: SEGMENT_RULES } }),
  },
  {
    name: 'update a segment',
    level: 'project',
    allowedBy: ['MANAGE_SEGMENTS'],
    run: (call, w, auth) =>
      call('PATCH', `${P(w)}/segments/${w.segment}/`, { auth, body: { description: unique('d') } }),
  },
  {
    name: 'delete a segment',
    level: 'project',
    allowedBy: ['MANAGE_SEGMENTS'],
    run: async (call, w, auth) => {
      const s = await must(
        call('POST', `${P(w)}/segments/`, {
          auth: w.admin.token,
          body: { name: unique('doomed'), rules: SEGMENT_RULES },
        }),
        'segment',
      );
      return call('DELETE', `${P(w)}/segments/${s.id}/`, { auth });
    },
  },
  {
    name: 'create a tag',
    level: 'project',
    allowedBy: ['MANAGE_TAGS'],
    run: (call, w, auth) =>
      call('POST', `${P(w)}/tags/`, { auth, body: { label: unique('t'), color: '#000' } }),
  },
  {
    name: "read the project's audit log",
    level: 'project',
    allowedBy: ['VIEW_AUDIT_LOG'],
    run: (call, w, auth) => call('GET', `${P(w)}/audit/`, { auth }),
  },
  {
    name: 'update the project',
    level: 'project',
    allowedBy: [],
    run: (call, w, auth) => call('PATCH', `${P(w)}/`, { auth, body: { hide_disabled_flags: false } }),
  },
  {
    name: 'list project grants',
    level: 'project',
    allowedBy: [],
    run: (call, w, auth) => call('GET', `${P(w)}/user-permissions/`, { auth }),
  },
  // ---- environment
  {
    name: 'read the environment',
    level: 'environment',
    allowedBy: ['VIEW_ENVIRONMENT'],
    run: (call, w, auth) => call('GET', `${E(w)}/`, { auth }),
  },
  {
    name: 'list feature states',
    level: 'environment',
    allowedBy: ['VIEW_ENVIRONMENT'],
    run: (call, w, auth) => call('GET', `${E(w)}/featurestates/`, { auth }),
  },
  {
    name: 'read trait keys',
    level: 'environment',
    allowedBy: ['VIEW_ENVIRONMENT'],
    run: (call, w, auth) => call('GET', `${E(w)}/trait-keys/`, { auth }),
  },
  {
    name: 'update a feature state',
    level: 'environment',
    allowedBy: ['UPDATE_FEATURE_STATE'],
    run: (call, w, auth) =>
      call('PATCH', `${E(w)}/featurestates/${w.featureState}/`, {
        auth,
        body: { feature_state_value: unique('v') },
      }),
  },
  {
    name: 'update an identity override',
    level: 'environment',
    allowedBy: ['UPDATE_FEATURE_STATE'],
    run: (call, w, auth) =>
      call('PATCH', `${E(w)}/identities/${w.identity}/featurestates/${w.identityOverride}/`, {
        auth,
        body: { feature_state_value: unique('v') },
      }),
  },
  {
    name: 'list identities',
    level: 'environment',
    allowedBy: ['VIEW_IDENTITIES'],
    run: (call, w, auth) => call('GET', `${E(w)}/identities/`, { auth }),
  },
  {
    name: "list an identity's traits",
    level: 'environment',
    allowedBy: ['VIEW_IDENTITIES'],
    run: (call, w, auth) => call('GET', `${E(w)}/identities/${w.identity}/traits/`, { auth }),
  },
  {
    name: 'create an identity',
    level: 'environment',
    allowedBy: ['MANAGE_IDENTITIES'],
    run: (call, w, auth) => call('POST', `${E(w)}/identities/`, { auth, body: { identifier: unique('id') } }),
  },
  {
    name: 'create a trait',
    level: 'environment',
    allowedBy: ['MANAGE_IDENTITIES'],
    run: (call, w, auth) =>
      call('POST', `${E(w)}/identities/${w.identity}/traits/`, {
        auth,
        body: { trait_key: unique('k'), value_type: 'unicode', string_value: 'v' },
      }),
  },
  {
    name: 'create a segment override',
    level: 'environment',
    allowedBy: ['MANAGE_SEGMENT_OVERRIDES'],
    run: async (call, w, auth) => {
      const s = await must(
        call('POST', `${P(w)}/segments/`, {
          auth: w.admin.token,
          body: { name: unique('s'), rules: SEGMENT_RULES },
        }),
        'segment',
      );
      return call('POST', '/api/v1/features/feature-segments/', {
        auth,
        body: { feature: w.feature, segment: s.id, environment: w.env.id },
      });
    },
  },
  {
    name: 'update the environment',
    level: 'environment',
    allowedBy: [],
    run: (call, w, auth) => call('PATCH', `${E(w)}/`, { auth, body: { banner_text: unique('b') } }),
  },
  {
    name: 'list server-side keys',
    level: 'environment',
    allowedBy: [],
    run: (call, w, auth) => call('GET', `${E(w)}/api-keys/`, { auth }),
  },
  {
    name: 'delete a trait key everywhere',
    level: 'environment',
    allowedBy: [],
    run: (call, w, auth) => call('POST', `${E(w)}/delete-traits/`, { auth, body: { key: unique('nokey') } }),
  },
];

const PROJECT_KEYS = [
  'VIEW_PROJECT',
  'CREATE_ENVIRONMENT',
  'DELETE_FEATURE',
  'CREATE_FEATURE',
  'EDIT_FEATURE',
  'MANAGE_SEGMENTS',
  'VIEW_AUDIT_LOG',
  'MANAGE_TAGS',
  'MANAGE_PROJECT_LEVEL_CHANGE_REQUESTS',
  'APPROVE_PROJECT_LEVEL_CHANGE_REQUESTS',
  'CREATE_PROJECT_LEVEL_CHANGE_REQUESTS',
];
const ENVIRONMENT_KEYS = [
  'VIEW_ENVIRONMENT',
  'UPDATE_FEATURE_STATE',
  'MANAGE_IDENTITIES',
  'VIEW_IDENTITIES',
  'CREATE_CHANGE_REQUEST',
  'APPROVE_CHANGE_REQUEST',
  'MANAGE_SEGMENT_OVERRIDES',
];

interface Row {
  label: string;
  level: Level;
  grant: { permissions: string[]; admin: boolean };
  allowed: (probe: Probe) => boolean;
}

const ROWS: Row[] = [
  ...PROJECT_KEYS.map((key): Row => ({
    label: `only ${key} on the project`,
    level: 'project',
    grant: { permissions: [key], admin: false },
    allowed: (p) => p.level === 'project' && p.allowedBy.includes(key),
  })),
  ...ENVIRONMENT_KEYS.map((key): Row => ({
    label: `only ${key} on the environment`,
    level: 'environment',
    grant: { permissions: [key], admin: false },
    allowed: (p) => p.level === 'environment' && p.allowedBy.includes(key),
  })),
  {
    label: 'admin of the project',
    level: 'project',
    grant: { permissions: [], admin: true },
    allowed: () => true,
  },
  {
    label: 'admin of the environment',
    level: 'environment',
    grant: { permissions: [], admin: true },
    allowed: (p) => p.level === 'environment',
  },
  {
    label: 'no grant at all',
    level: 'project',
    grant: { permissions: [], admin: false },
    allowed: () => false,
  },
];

describe('permissions matrix', () => {
  let t: TestApp;
  let call: Call;
  let w: World;

  beforeAll(async () => {
    t = await startTestApp();
    call = client(t);
    const admin = await signUp(call, uniqueEmail('matrix-admin'));
    const org = await createOrganisation(call, admin.token, 'Matrix');
    const project = await createProject(call, admin.token, org.id, 'Matrix web');
    const env = await createEnvironment(call, admin.token, project.id, 'Development');
    const env2 = await createEnvironment(call, admin.token, project.id, 'Production');
    const as = (method: string, path: string, body?: unknown) =>
      call(method, path, { auth: admin.token, body });
    const feature = await must(
      as('POST', `/api/v1/projects/${project.id}/features/`, { name: 'matrix' }),
      'f',
    );
    const states = await must(
      as('GET', `/api/v1/environments/${env.api_key}/featurestates/?feature=${feature.id}`),
      'states',
    );
    const segment = await must(
      as('POST', `/api/v1/projects/${project.id}/segments/`, { name: 'matrix', rules: SEGMENT_RULES }),
      'segment',
    );
    const identity = await must(
      as('POST', `/api/v1/environments/${env.api_key}/identities/`, { identifier: 'i' }),
      'i',
    );
    const override = await must(
      as('POST', `/api/v1/environments/${env.api_key}/identities/${identity.id}/featurestates/`, {
        feature: feature.id,
        enabled: true,
        feature_state_value: 'x',
      }),
      'override',
    );
    const link = await must(as('POST', `/api/v1/organisations/${org.id}/invite-links/`, {}), 'link');
    w = {
      admin,
      org: org.id,
      project: project.id,
      env,
      env2,
      feature: feature.id,
      featureState: states.results[0].id,
      segment: segment.id,
      identity: identity.id,
      identityOverride: override.id,
      linkHash: link.hash,
    };
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A new USER member of the organisation with the given grant (none when empty). */
  async function member(level: Level, grant: { permissions: string[]; admin: boolean }) {
    const user = await signUp(call, uniqueEmail('matrix-user'));
    await must(call('POST', `/api/v1/users/join/link/${w.linkHash}/`, { auth: user.token }), 'join');
    if (grant.admin || grant.permissions.length) {
      const scope = level === 'project' ? `${P(w)}` : `${E(w)}`;
      await must(
        call('POST', `${scope}/user-permissions/`, {
          auth: w.admin.token,
          body: { user: user.id, ...grant },
        }),
        'grant',
      );
    }
    return user;
  }

  it('every project and environment permission key the API lists is in the matrix', async () => {
    const { token } = await signUp(call, uniqueEmail('keys'));
    const project = await call('GET', '/api/v1/projects/permissions/', { auth: token });
    const environment = await call('GET', '/api/v1/environments/permissions/', { auth: token });
    expect(project.body.map((k: Json) => k.key).sort()).toEqual([...PROJECT_KEYS].sort());
    expect(environment.body.map((k: Json) => k.key).sort()).toEqual([...ENVIRONMENT_KEYS].sort());
  });

  it.each(ROWS.map((row) => [row.label, row]))(
    'a user with %s can do exactly what it allows and gets 403 for the rest',
    async (_label, row) => {
      const user = await member(row.level, row.grant);
      const expected: Record<string, string> = {};
      const actual: Record<string, string> = {};
      for (const probe of PROBES) {
        const res = await probe.run(call, w, user.token);
        expected[probe.name] = row.allowed(probe) ? 'allowed' : '403';
        actual[probe.name] =
          res.status >= 200 && res.status < 300
            ? 'allowed'
            : res.status === 403
              ? '403'
              : `${res.status} ${JSON.stringify(res.body)}`;
      }
      expect(actual).toEqual(expected);
    },
  );

  describe('granting', () => {
    const allProjectKeys = { permissions: PROJECT_KEYS, admin: false };
    const allEnvironmentKeys = { permissions: ENVIRONMENT_KEYS, admin: false };

    it('a user holding every project key but not admin cannot grant project permissions, nor make itself admin', async () => {
      const user = await member('project', allProjectKeys);
      const other = await member('project', { permissions: [], admin: false });
      const create = await call('POST', `${P(w)}/user-permissions/`, {
        auth: user.token,
        body: { user: other.id, permissions: ['VIEW_PROJECT'] },
      });
      expect(create.status).toBe(403);
      const grants = await call('GET', `${P(w)}/user-permissions/`, { auth: w.admin.token });
      const own = grants.body.find((g: Json) => g.user.id === user.id);
      const escalate = await call('PATCH', `${P(w)}/user-permissions/${own.id}/`, {
        auth: user.token,
        body: { admin: true },
      });
      expect(escalate.status).toBe(403);
      const group = await call('POST', `${P(w)}/user-group-permissions/`, {
        auth: user.token,
        body: { group: 1, permissions: ['VIEW_PROJECT'] },
      });
      expect(group.status).toBe(403);
      const after = await call('GET', `${P(w)}/user-permissions/`, { auth: w.admin.token });
      expect(after.body.find((g: Json) => g.user.id === user.id)).toMatchObject({ admin: false });
      expect(after.body.some((g: Json) => g.user.id === other.id)).toBe(false);
    });

    it('a user holding every environment key but not admin cannot grant environment permissions', async () => {
      const user = await member('environment', allEnvironmentKeys);
      const other = await member('project', { permissions: [], admin: false });
      const res = await call('POST', `${E(w)}/user-permissions/`, {
        auth: user.token,
        body: { user: other.id, permissions: ['VIEW_ENVIRONMENT'] },
      });
      expect(res.status).toBe(403);
    });

    it('an environment admin grants on its environment only: not on another environment nor on the project', async () => {
      const user = await member('environment', { permissions: [], admin: true });
      const other = await member('project', { permissions: [], admin: false });
      const body = { user: other.id, permissions: ['VIEW_ENVIRONMENT'] };
      expect((await call('POST', `${E(w)}/user-permissions/`, { auth: user.token, body })).status).toBe(201);
      const elsewhere = await call('POST', `/api/v1/environments/${w.env2.api_key}/user-permissions/`, {
        auth: user.token,
        body,
      });
      expect(elsewhere.status).toBe(403);
      const up = await call('POST', `${P(w)}/user-permissions/`, {
        auth: user.token,
        body: { user: other.id, permissions: ['VIEW_PROJECT'] },
      });
      expect(up.status).toBe(403);
    });

    it('an organisation USER with CREATE_PROJECT or MANAGE_USER_GROUPS cannot grant organisation permissions', async () => {
      const user = await member('project', { permissions: [], admin: false });
      await must(
        call('POST', `/api/v1/organisations/${w.org}/user-permissions/`, {
          auth: w.admin.token,
          body: { user: user.id, permissions: ['CREATE_PROJECT', 'MANAGE_USER_GROUPS'] },
        }),
        'org grant',
      );
      const res = await call('POST', `/api/v1/organisations/${w.org}/user-permissions/`, {
        auth: user.token,
        body: { user: w.admin.id, permissions: ['CREATE_PROJECT'] },
      });
      expect(res.status).toBe(403);
      const list = await call('GET', `/api/v1/organisations/${w.org}/user-permissions/`, {
        auth: user.token,
      });
      expect(list.status).toBe(403);
    });

    it('a non-admin master API key cannot grant project permissions; an admin one can', async () => {
      const key = await must(
        call('POST', `/api/v1/organisations/${w.org}/master-api-keys/`, {
          auth: w.admin.token,
          body: { name: 'limited', is_admin: false },
        }),
        'key',
      );
      const other = await member('project', { permissions: [], admin: false });
      const body = { user: other.id, permissions: ['VIEW_PROJECT'] };
      const res = await call('POST', `${P(w)}/user-permissions/`, { auth: `Api-Key ${key.key}`, body });
      expect(res.status).toBe(403);
      const adminKey = await must(
        call('POST', `/api/v1/organisations/${w.org}/master-api-keys/`, {
          auth: w.admin.token,
          body: { name: 'full', is_admin: true },
        }),
        'admin key',
      );
      const ok = await call('POST', `${P(w)}/user-permissions/`, { auth: `Api-Key ${adminKey.key}`, body });
      expect(ok.status).toBe(201);
    });
  });
});
