import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from 'pg';
import {
  Call,
  createEnvironment,
  createOrganisation,
  createProject,
  signUp,
  uniqueEmail,
} from '../api-helpers';

/**
 * Shared helpers of the isolation / bad-input / permissions-matrix suites: the routes the running app registered,
 * an organisation with one object of every kind, a fingerprint of the whole database, and the shape of an error body.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- loosely typed JSON bodies
export type Json = any;

// ---------------------------------------------------------------- registered routes

export interface RegisteredRoute {
  readonly method: string;
  /** Fastify's path, without a trailing slash, e.g. `/api/v1/projects/:project_pk/features/:id`. */
  readonly path: string;
}

/**
 * Records every route the app registers (Nest controllers and raw Fastify routes alike): pass `beforeListen` to
 * startTestApp, read `routes` once it is listening.
 */
export function routeRecorder() {
  const routes: RegisteredRoute[] = [];
  return {
    routes,
    beforeListen(app: NestFastifyApplication) {
      app
        .getHttpAdapter()
        .getInstance()
        .addHook('onRoute', (route) => {
          const methods = Array.isArray(route.method) ? route.method : [route.method];
          const path = route.url.length > 1 ? route.url.replace(/\/+$/, '') : route.url;
          for (const method of methods) {
            if (method === 'HEAD' || method === 'OPTIONS') continue;
            if (!routes.some((r) => r.method === method && r.path === path)) routes.push({ method, path });
          }
        });
    },
  };
}

export const hasPathParam = (path: string) => path.includes(':');
export const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

// ---------------------------------------------------------------- organisation graph

/** One organisation with one object of every kind, and the ids to reach them. */
export interface OrganisationGraph {
  admin: { id: number; token: string; email: string };
  member: { id: number; token: string; email: string };
  ids: Record<GraphKey, string>;
  /** The plaintext of the organisation's master API key (`Api-Key …`). */
  masterKey: string;
  /** The server-side SDK key of environment `env`. */
  serverKey: string;
}

export type GraphKey =
  | 'org'
  | 'adminUser'
  | 'member'
  | 'project'
  | 'env'
  | 'envId'
  | 'env2'
  | 'serverKey'
  | 'feature'
  | 'mvFeature'
  | 'mvOption'
  | 'featureState'
  | 'tag'
  | 'segment'
  | 'featureSegment'
  | 'segmentOverride'
  | 'identity'
  | 'identity2'
  | 'trait'
  | 'identityOverride'
  | 'group'
  | 'group2'
  | 'invite'
  | 'inviteLink'
  | 'linkHash'
  | 'masterKey'
  | 'audit'
  | 'orgUserPerm'
  | 'orgGroupPerm'
  | 'projectUserPerm'
  | 'projectGroupPerm'
  | 'envUserPerm'
  | 'envGroupPerm'
  | 'featureSegmentUuid'
  | 'orgUuid'
  | 'projectUuid'
  | 'envUuid'
  | 'tagUuid'
  | 'featureUuid'
  | 'featureStateUuid'
  | 'mvOptionUuid'
  | 'segmentUuid'
  | 'metadataField'
  | 'metadataModelField'
  | 'featureExport'
  | 'webhook'
  | 'orgWebhook'
  /** A two-factor method name (`app`, the one Flagsmith has): not an object of the graph. */
  | 'mfaMethod';

/** A value of the same kind that names nothing. */
export const UNKNOWN: Record<GraphKey, string> = new Proxy({} as Record<GraphKey, string>, {
  get: (_target, key: string) =>
    key === 'env' || key === 'env2'
      ? 'unknownEnvironmentKey0'
      : key === 'masterKey'
        ? 'zzzzzzzz'
        : key === 'linkHash'
          ? 'no-such-hash'
          : key.endsWith('Uuid')
            ? '00000000-0000-4000-8000-000000000000'
            : '999999999',
});

export const SEGMENT_RULES = [
  {
    type: 'ALL',
    rules: [{ type: 'ANY', rules: [], conditions: [{ operator: 'EQUAL', property: 'plan', value: 'pro' }] }],
    conditions: [],
  },
];

async function ok(res: { status: number; body: Json }, what: string, expected = [200, 201]): Promise<Json> {
  if (!expected.includes(res.status)) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Builds an organisation with a full object graph through the API (as its ADMIN). */
export async function buildOrganisationGraph(call: Call, name: string): Promise<OrganisationGraph> {
  const admin = await signUp(call, uniqueEmail(`${name}-admin`));
  const token = admin.token;
  const as = (method: string, path: string, body?: unknown) => call(method, path, { auth: token, body });
  const org = await createOrganisation(call, token, name);
  const o = `/api/v1/organisations/${org.id}`;
  const link = await ok(await as('POST', `${o}/invite-links/`, {}), 'invite link');
  const member = await signUp(call, uniqueEmail(`${name}-member`));
  await ok(await call('POST', `/api/v1/users/join/link/${link.hash}/`, { auth: member.token }), 'join');
  const project = await createProject(call, token, org.id, `${name} web`);
  const p = `/api/v1/projects/${project.id}`;
  const env = await createEnvironment(call, token, project.id, 'Development');
  const env2 = await createEnvironment(call, token, project.id, 'Production');
  const e = `/api/v1/environments/${env.api_key}`;
  const serverKey = await ok(await as('POST', `${e}/api-keys/`, { name: 'server' }), 'server key');
  // Disabled: flag changes of the suites then deliver nothing anywhere.
  const webhook = await ok(
    await as('POST', `${e}/webhooks/`, { url: 'https://example.com/hook', enabled: false }),
    'webhook',
  );
  const orgWebhook = await ok(
    await as('POST', `${o}/webhooks/`, { url: 'https://example.com/org-hook', enabled: false }),
    'organisation webhook',
  );
  const tag = await ok(await as('POST', `${p}/tags/`, { label: 'beta', color: '#000000' }), 'tag');
  const feature = await ok(
    await as('POST', `${p}/features/`, { name: 'plain', initial_value: 'v', tags: [tag.id] }),
    'feature',
  );
  const mvFeature = await ok(
    await as('POST', `${p}/features/`, { name: 'multi', type: 'MULTIVARIATE', initial_value: 'control' }),
    'mv feature',
  );
  const mvOption = await ok(
    await as('POST', `${p}/features/${mvFeature.id}/mv-options/`, {
      feature: mvFeature.id,
      type: 'unicode',
      string_value: 'variant',
      default_percentage_allocation: 30,
    }),
    'mv option',
  );
  const states = await ok(await as('GET', `${e}/featurestates/?feature=${feature.id}`), 'states');
  const segment = await ok(
    await as('POST', `${p}/segments/`, { name: 'pro users', rules: SEGMENT_RULES }),
    'segment',
  );
  const override = await ok(
    await as('POST', `${e}/features/${feature.id}/create-segment-override/`, {
      enabled: true,
      feature_state_value: { type: 'unicode', string_value: 'for pros' },
      feature_segment: { segment: segment.id },
    }),
    'segment override',
  );
  const featureSegment =
    typeof override.feature_segment === 'object' ? override.feature_segment.id : override.feature_segment;
  const identity = await ok(await as('POST', `${e}/identities/`, { identifier: 'alice' }), 'identity');
  const identity2 = await ok(await as('POST', `${e}/identities/`, { identifier: 'bob' }), 'identity 2');
  const trait = await ok(
    await as('POST', `${e}/identities/${identity.id}/traits/`, {
      trait_key: 'plan',
      value_type: 'unicode',
      string_value: 'pro',
    }),
    'trait',
  );
  const identityOverride = await ok(
    await as('POST', `${e}/identities/${identity.id}/featurestates/`, {
      feature: feature.id,
      enabled: true,
      feature_state_value: 'for alice',
    }),
    'identity override',
  );
  const group = await ok(await as('POST', `${o}/groups/`, { name: 'team', users: [member.id] }), 'group');
  const group2 = await ok(await as('POST', `${o}/groups/`, { name: 'empty team' }), 'group 2');
  const invite = await ok(
    await as('POST', `${o}/invites/`, { email: uniqueEmail(`${name}-invitee`), role: 'USER' }),
    'invite',
  );
  const inviteLink = await ok(await as('POST', `${o}/invite-links/`, { role: 'USER' }), 'invite link 2');
  const masterKey = await ok(await as('POST', `${o}/master-api-keys/`, { name: 'ci' }), 'master key');
  const grant = async (path: string, body: Record<string, unknown>) =>
    (await ok(await as('POST', path, body), `grant ${path}`)).id as number;
  const orgUserPerm = await grant(`${o}/user-permissions/`, {
    user: member.id,
    permissions: ['CREATE_PROJECT'],
  });
  const orgGroupPerm = await grant(`${o}/user-group-permissions/`, { group: group.id, permissions: [] });
  const projectUserPerm = await grant(`${p}/user-permissions/`, {
    user: member.id,
    permissions: ['VIEW_PROJECT'],
  });
  const projectGroupPerm = await grant(`${p}/user-group-permissions/`, {
    group: group.id,
    permissions: ['VIEW_PROJECT'],
  });
  const envUserPerm = await grant(`${e}/user-permissions/`, {
    user: member.id,
    permissions: ['VIEW_ENVIRONMENT'],
  });
  const envGroupPerm = await grant(`${e}/user-group-permissions/`, {
    group: group.id,
    permissions: ['VIEW_ENVIRONMENT'],
  });
  const slot = await ok(await as('GET', `/api/v1/features/feature-segments/${featureSegment}/`), 'slot');
  const metadataField = await ok(
    await as('POST', '/api/v1/metadata/fields/', {
      name: 'owner',
      type: 'str',
      organisation: org.id,
      project: project.id,
    }),
    'metadata field',
  );
  const contentTypes = await ok(
    await as('GET', `${o}/metadata-model-fields/supported-content-types/`),
    'content types',
  );
  const featureType = (contentTypes as { id: number; model: string }[]).find((t) => t.model === 'feature');
  const metadataModelField = await ok(
    await as('POST', `${o}/metadata-model-fields/`, {
      field: metadataField.id,
      content_type: featureType?.id,
    }),
    'metadata model field',
  );
  const featureExport = await ok(
    await as('POST', '/api/v1/features/create-feature-export/', { environment_id: env.id, tag_ids: [] }),
    'feature export',
  );
  const audit = await ok(await as('GET', `${o}/audit/`), 'audit');
  if (!audit.results?.length) throw new Error('no audit rows');
  const ids: Record<GraphKey, number | string> = {
    org: org.id,
    adminUser: admin.id,
    member: member.id,
    project: project.id,
    env: env.api_key,
    envId: env.id,
    env2: env2.api_key,
    serverKey: serverKey.id,
    feature: feature.id,
    mvFeature: mvFeature.id,
    mvOption: mvOption.id,
    featureState: states.results[0].id,
    tag: tag.id,
    segment: segment.id,
    featureSegment,
    segmentOverride: override.id,
    identity: identity.id,
    identity2: identity2.id,
    trait: trait.id,
    identityOverride: identityOverride.id,
    group: group.id,
    group2: group2.id,
    invite: invite.id,
    inviteLink: inviteLink.id,
    linkHash: inviteLink.hash,
    masterKey: masterKey.prefix,
    audit: audit.results[0].id,
    orgUserPerm,
    orgGroupPerm,
    projectUserPerm,
    projectGroupPerm,
    envUserPerm,
    envGroupPerm,
    featureSegmentUuid: slot.uuid,
    orgUuid: org.uuid,
    projectUuid: project.uuid,
    envUuid: env.uuid,
    tagUuid: tag.uuid,
    featureUuid: feature.uuid,
    featureStateUuid: states.results[0].uuid,
    mvOptionUuid: mvOption.uuid,
    segmentUuid: segment.uuid,
    metadataField: metadataField.id,
    metadataModelField: metadataModelField.id,
    featureExport: featureExport.id,
    webhook: webhook.id,
    orgWebhook: orgWebhook.id,
    mfaMethod: 'app',
  };
  for (const [key, value] of Object.entries(ids))
    if (value === undefined || value === null) throw new Error(`graph: no ${key}`);
  return {
    admin,
    member,
    masterKey: masterKey.key,
    serverKey: serverKey.key,
    ids: Object.fromEntries(Object.entries(ids).map(([k, v]) => [k, String(v)])) as Record<GraphKey, string>,
  };
}

/** `/api/v1/projects/{project}/features/{feature}/` → a concrete path; `unknown` names one key to replace. */
export function fill(template: string, ids: Record<GraphKey, string>, unknown?: GraphKey): string {
  return template.replace(/\{(\w+)\}/g, (_m, key: GraphKey) => {
    if (!(key in ids)) throw new Error(`unknown placeholder {${key}} in ${template}`);
    return encodeURIComponent(key === unknown ? UNKNOWN[key] : ids[key]);
  });
}

export const placeholders = (template: string): GraphKey[] =>
  [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as GraphKey);

// ---------------------------------------------------------------- database fingerprint

/** Row count and checksum of every table: equal fingerprints mean nothing was written. */
export class DatabaseFingerprint {
  private client?: Client;
  private sql = '';

  constructor(
    private readonly url: string,
    /** Tables whose rows change as a side effect of any request (e.g. request counters). */
    private readonly ignore: readonly string[] = [],
  ) {}

  async connect(): Promise<void> {
    this.client = new Client({ connectionString: this.url });
    await this.client.connect();
    const tables = await this.client.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
    );
    this.sql = tables.rows
      .map((t) => t.name)
      .filter((name) => !this.ignore.includes(name))
      .map(
        (name) =>
          `SELECT '${name}' AS t, count(*)::int AS n, md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) AS h FROM "${name}" x`,
      )
      .join('\nUNION ALL\n');
  }

  async take(): Promise<Record<string, string>> {
    if (!this.client) throw new Error('not connected');
    const rows = await this.client.query<{ t: string; n: number; h: string }>(this.sql);
    return Object.fromEntries(rows.rows.map((r) => [r.t, `${r.n}:${r.h}`]));
  }

  /** Tables whose fingerprint differs. */
  static changed(before: Record<string, string>, after: Record<string, string>): string[] {
    return Object.keys({ ...before, ...after }).filter((t) => before[t] !== after[t]);
  }

  async close(): Promise<void> {
    await this.client?.end();
  }
}

// ---------------------------------------------------------------- error bodies

function isFieldErrors(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const entries = Object.entries(value);
  return (
    entries.length > 0 &&
    entries.every(
      ([, v]) =>
        (Array.isArray(v) &&
          v.length > 0 &&
          v.every((m) => typeof m === 'string' || isFieldErrors(m) || isEmptyObject(m))) ||
        isFieldErrors(v),
    )
  );
}
const isEmptyObject = (v: unknown) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;

/**
 * Flagsmith's (DRF's) error shapes: `{"detail": "…"}`, `{"field": ["…"]}` (nested for nested serializers,
 * lists of per-item errors for list fields), or a list of per-item errors for list bodies.
 */
export function isFlagsmithErrorBody(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  if (Array.isArray(body))
    return (
      body.length > 0 &&
      body.every((item) => isFieldErrors(item) || isEmptyObject(item) || typeof item === 'string') &&
      body.some((item) => !isEmptyObject(item))
    );
  const keys = Object.keys(body);
  if (keys.length === 1 && keys[0] === 'detail') return typeof (body as Json).detail === 'string';
  // django-trench's ErrorResponse (Flagsmith's two-factor routes): {"error": "…"}.
  if (keys.length === 1 && keys[0] === 'error') return typeof (body as Json).error === 'string';
  return isFieldErrors(body);
}
