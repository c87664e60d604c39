/**
 * In-memory stand-ins for the SDK's data sources, for unit tests of src/sdk (no database, no memcached): an
 * environment source builder, a loader over a map of environments and a Map-backed second level.
 */
import type { SecondLevelCache, SnapshotLoader } from '../../src/sdk/environment-cache';
import type {
  EnvironmentSource,
  KeyRow,
  SdkDocument,
  SdkDocumentFeatureState,
  SdkDocumentSegment,
} from '../../src/sdk/sdk.types';

export interface FakeFeature {
  readonly id: number;
  readonly name: string;
  readonly value: string | number | boolean | null;
  readonly enabled?: boolean;
  readonly serverKeyOnly?: boolean;
}

export interface FakeEnvironment {
  readonly environmentId: number;
  readonly clientKey: string;
  readonly serverKey?: string;
  /** updated_at epoch seconds text: the version. */
  version: string;
  features: FakeFeature[];
  segments?: SdkDocumentSegment[];
  stopServingFlags?: boolean;
  persistTraitData?: boolean;
  allowClientTraits?: boolean;
  hideSensitiveData?: boolean;
}

export function featureState(feature: FakeFeature, priority?: number): SdkDocumentFeatureState {
  return {
    feature: { id: feature.id, name: feature.name, type: 'STANDARD' },
    enabled: feature.enabled ?? true,
    django_id: feature.id * 10 + (priority === undefined ? 0 : 1),
    featurestate_uuid: `00000000-0000-4000-8000-${String(feature.id).padStart(12, '0')}`,
    feature_segment: priority === undefined ? null : { priority },
    feature_state_value: feature.value,
    multivariate_feature_state_values: [],
  };
}

/** A segment of everyone whose trait `key` equals `value`, overriding `overrides`. */
export function traitSegment(
  id: number,
  key: string,
  value: string,
  overrides: { feature: FakeFeature; priority: number }[],
): SdkDocumentSegment {
  return {
    id,
    name: `segment ${id}`,
    rules: [{ type: 'ALL', rules: [], conditions: [{ operator: 'EQUAL', property_: key, value }] }],
    feature_states: overrides.map((o) => featureState(o.feature, o.priority)),
  };
}

export function environmentSource(env: FakeEnvironment): EnvironmentSource {
  const document: SdkDocument = {
    id: env.environmentId,
    api_key: env.clientKey,
    name: `environment ${env.environmentId}`,
    project: {
      id: 1,
      name: 'project',
      hide_disabled_flags: false,
      enable_realtime_updates: false,
      server_key_only_feature_ids: env.features.filter((f) => f.serverKeyOnly).map((f) => f.id),
      organisation: {
        id: 1,
        name: 'organisation',
        feature_analytics: false,
        stop_serving_flags: env.stopServingFlags ?? false,
        persist_trait_data: env.persistTraitData ?? true,
      },
      segments: env.segments ?? [],
    },
    feature_states: env.features.map((f) => featureState(f)),
    identity_overrides: [],
    allow_client_traits: env.allowClientTraits ?? true,
    hide_sensitive_data: env.hideSensitiveData ?? false,
    hide_disabled_flags: null,
    use_identity_composite_key_for_hashing: true,
    use_identity_overrides_in_local_eval: false,
    updated_at: new Date(Number(env.version) * 1000).toISOString(),
    amplitude_config: null,
    heap_config: null,
    mixpanel_config: null,
    rudderstack_config: null,
    segment_config: null,
    webhook_config: null,
  };
  return {
    environmentId: env.environmentId,
    version: env.version,
    updatedAtEpoch: env.version,
    document,
    features: env.features.map((f) => ({
      id: f.id,
      name: f.name,
      type: 'STANDARD',
      created_date: '2024-01-01T00:00:00Z',
      description: null,
      initial_value: null,
      default_enabled: false,
      is_server_key_only: f.serverKeyOnly ?? false,
    })),
    identityOverrides: [],
    featureSegmentOfState: {},
    identityOfState: {},
    nextLiveFrom: null,
  };
}

/** A loader over environments held in memory; counts its calls; `fail` makes every call reject. */
export class FakeLoader implements SnapshotLoader {
  readonly environments = new Map<number, FakeEnvironment>();
  calls = { findKey: 0, load: 0 };
  fail: Error | undefined;
  /** Resolves pending `load`s when set (to hold a load in flight). */
  gate: Promise<void> | undefined;

  add(env: FakeEnvironment): FakeEnvironment {
    this.environments.set(env.environmentId, env);
    return env;
  }

  findKey(key: string): Promise<KeyRow | undefined> {
    this.calls.findKey++;
    if (this.fail) return Promise.reject(this.fail);
    for (const env of this.environments.values()) {
      if (env.clientKey === key || env.serverKey === key)
        return Promise.resolve({
          environmentId: env.environmentId,
          clientKey: env.clientKey,
          version: env.version,
          active: true,
          expiresAt: null,
        });
    }
    return Promise.resolve(undefined);
  }

  async load(environmentId: number): Promise<EnvironmentSource | undefined> {
    this.calls.load++;
    if (this.fail) throw this.fail;
    const snapshotOf = this.environments.get(environmentId);
    const source = snapshotOf ? environmentSource(snapshotOf) : undefined;
    if (this.gate) await this.gate;
    return source;
  }
}

/** The shared second level as a Map (what memcached would hold). */
export class MapSecondLevel implements SecondLevelCache {
  readonly entries = new Map<string, string>();
  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.entries.get(key));
  }
  set(key: string, value: string): Promise<void> {
    this.entries.set(key, value);
    return Promise.resolve();
  }
}

/** A Fastify reply as the SDK handlers use it: records status, headers and body. */
export class FakeReply {
  statusCode = 200;
  readonly headerValues: Record<string, string> = {};
  body: unknown = undefined;
  sent = false;

  code(status: number): this {
    this.statusCode = status;
    return this;
  }
  header(name: string, value: string): this {
    this.headerValues[name.toLowerCase()] = value;
    return this;
  }
  headers(values: Readonly<Record<string, string>>): this {
    for (const [name, value] of Object.entries(values)) this.header(name, value);
    return this;
  }
  getHeader(name: string): string | undefined {
    return this.headerValues[name.toLowerCase()];
  }
  send(body?: unknown): this {
    this.body = body;
    this.sent = true;
    return this;
  }
  /** The body as parsed JSON. */
  json<T = unknown>(): T {
    return JSON.parse(Buffer.isBuffer(this.body) ? this.body.toString() : String(this.body)) as T;
  }
}

export interface FakeRequestInit {
  readonly key?: string;
  readonly query?: Record<string, string>;
  readonly params?: Record<string, string>;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly url?: string;
}

/** A Fastify request as the SDK handlers read it. */
export function fakeRequest(init: FakeRequestInit = {}) {
  return {
    headers: { ...(init.key === undefined ? {} : { 'x-environment-key': init.key }), ...init.headers },
    query: init.query ?? {},
    params: init.params ?? {},
    body: init.body,
    url: init.url ?? '/',
  };
}
