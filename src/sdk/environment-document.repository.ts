import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryRunner } from 'typeorm';
import type { FeatureValue } from '../../libs/engine/src';
import type {
  SdkDocument,
  SdkDocumentFeatureState,
  SdkDocumentIdentityOverride,
  SdkDocumentRule,
  SdkDocumentSegment,
  EnvironmentSource,
  FeatureMeta,
  KeyRow,
} from './sdk.types';

/**
 * Reads what the SDK endpoints serve for one environment: the environment document (docs/contracts/sdk-api.md §5.1) plus the
 * few facts the remote-evaluation endpoints need beside it. A FIXED number of queries per environment (7, inside one
 * REPEATABLE READ READ ONLY transaction so the document is consistent), never one per feature or segment; all on
 * the primary, so a build that follows an invalidation sees the write that caused it.
 *
 * Key lookups are single indexed queries (`environments.api_key`, `environment_api_keys.key`).
 */
@Injectable()
export class EnvironmentDocumentRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Resolves an SDK key: client key = `environments.api_key`, `ser.` key = `environment_api_keys.key`. */
  async findKey(key: string): Promise<KeyRow | undefined> {
    if (key.startsWith('ser.')) {
      const rows = await this.dataSource.query<RawKeyRow[]>(SQL.serverKey, [key]);
      return rows[0] && keyRow(rows[0]);
    }
    const rows = await this.dataSource.query<RawKeyRow[]>(SQL.clientKey, [key]);
    return rows[0] && keyRow(rows[0]);
  }

  /** Builds the environment's document and side tables; undefined when the environment is gone. */
  async load(environmentId: number): Promise<EnvironmentSource | undefined> {
    const runner = this.dataSource.createQueryRunner('master');
    try {
      await runner.connect();
      await runner.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        const source = await this.read(runner, environmentId);
        await runner.query('COMMIT');
        return source;
      } catch (err) {
        await runner.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      await runner.release();
    }
  }

  private async read(q: QueryRunner, environmentId: number): Promise<EnvironmentSource | undefined> {
    const [env] = await rows<RawEnvironment>(q, SQL.environment, [environmentId]);
    if (!env) return undefined;
    const states = await rows<RawFeatureState>(q, SQL.featureStates, [environmentId]);
    const mvValues = await rows<RawMvValue>(q, SQL.multivariateValues, [environmentId]);
    const segments = await rows<RawSegment>(q, SQL.segments, [env.project_id, environmentId]);
    const rules = await rows<RawRule>(q, SQL.rules, [env.project_id, environmentId]);
    const conditions = await rows<RawCondition>(q, SQL.conditions, [env.project_id, environmentId]);
    const [next] = await rows<{ next_live_from: string | null }>(q, SQL.nextLiveFrom, [environmentId]);
    return assemble(env, states, mvValues, segments, rules, conditions, next?.next_live_from ?? null);
  }
}

async function rows<T>(q: QueryRunner, sql: string, params: unknown[]): Promise<T[]> {
  return (await q.query(sql, params)) as T[];
}

// ---------------------------------------------------------------------------------------------------------------
// The hot-path SQL, kept in one place.

const UPDATED_AT_ISO = `to_char(e.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')`;
const UPDATED_AT_EPOCH = `to_char(extract(epoch FROM e.updated_at), 'FM9999999999990.000000')`;

/** Live rules of the segments served for an environment (recursive: rules nest to any depth). */
const SERVED_RULES = `
  WITH RECURSIVE served AS (
    SELECT s.id FROM segments s
     WHERE s.project_id = $1
       AND (s.feature_id IS NULL
            OR EXISTS (SELECT 1 FROM feature_segments fsg WHERE fsg.segment_id = s.id AND fsg.environment_id = $2))
  ), tree AS (
    SELECT r.id, r.rule_id, r.type, r.segment_id AS root_segment_id
      FROM segment_rules r JOIN served ON served.id = r.segment_id
    UNION ALL
    SELECT c.id, c.rule_id, c.type, tree.root_segment_id
      FROM segment_rules c JOIN tree ON c.rule_id = tree.id
  )`;

const SQL = {
  clientKey: `
    SELECT e.id AS environment_id, e.api_key AS client_key, ${UPDATED_AT_EPOCH} AS version,
           true AS active, NULL::timestamptz AS expires_at
      FROM environments e
     WHERE e.api_key = $1`,
  serverKey: `
    SELECT e.id AS environment_id, e.api_key AS client_key, ${UPDATED_AT_EPOCH} AS version,
           k.active, k.expires_at
      FROM environment_api_keys k JOIN environments e ON e.id = k.environment_id
     WHERE k.key = $1`,
  environment: `
    SELECT e.id, e.api_key, e.name, e.allow_client_traits, e.hide_sensitive_data, e.hide_disabled_flags,
           e.use_identity_composite_key_for_hashing, e.use_identity_overrides_in_local_eval,
           ${UPDATED_AT_ISO} AS updated_at_iso, ${UPDATED_AT_EPOCH} AS updated_at_epoch,
           p.id AS project_id, p.name AS project_name, p.hide_disabled_flags AS project_hide_disabled_flags,
           p.enable_realtime_updates,
           o.id AS organisation_id, o.name AS organisation_name, o.feature_analytics, o.stop_serving_flags,
           o.persist_trait_data
      FROM environments e
      JOIN projects p ON p.id = e.project_id
      JOIN organisations o ON o.id = p.organisation_id
     WHERE e.id = $1`,
  /** Environment defaults, segment overrides and identity overrides of live features, live states only. */
  featureStates: `
    SELECT fs.id, fs.uuid, fs.enabled, fs.value_type, fs.string_value, fs.integer_value, fs.boolean_value,
           fs.feature_segment_id, fs.identity_id,
           f.id AS feature_id, f.name AS feature_name, f.type AS feature_type, f.is_server_key_only,
           f.description AS feature_description, f.initial_value AS feature_initial_value,
           f.default_enabled AS feature_default_enabled,
           to_char(f.created_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS feature_created_date,
           fsg.segment_id, fsg.priority,
           i.identifier, i.uuid AS identity_uuid,
           to_char(i.created_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS identity_created_date
      FROM feature_states fs
      JOIN features f ON f.id = fs.feature_id AND f.deleted_at IS NULL
      LEFT JOIN feature_segments fsg ON fsg.id = fs.feature_segment_id
      LEFT JOIN identities i ON i.id = fs.identity_id
     WHERE fs.environment_id = $1 AND (fs.live_from IS NULL OR fs.live_from <= now())
     ORDER BY fs.id`,
  multivariateValues: `
    SELECT v.id, v.uuid, v.feature_state_id, v.percentage_allocation,
           o.id AS option_id, o.type, o.string_value, o.integer_value, o.boolean_value, o.key
      FROM multivariate_feature_state_values v
      JOIN feature_states fs ON fs.id = v.feature_state_id
      JOIN multivariate_feature_options o ON o.id = v.multivariate_feature_option_id
     WHERE fs.environment_id = $1
     ORDER BY v.id`,
  segments: `
    SELECT s.id, s.name FROM segments s
     WHERE s.project_id = $1
       AND (s.feature_id IS NULL
            OR EXISTS (SELECT 1 FROM feature_segments fsg WHERE fsg.segment_id = s.id AND fsg.environment_id = $2))
     ORDER BY s.id`,
  rules: `${SERVED_RULES}
    SELECT id, rule_id, type, root_segment_id FROM tree ORDER BY id`,
  conditions: `${SERVED_RULES}
    SELECT c.id, c.rule_id, c.operator, c.property, c.value
      FROM segment_conditions c JOIN tree ON tree.id = c.rule_id
     ORDER BY c.id`,
  /** When a scheduled state goes live, the cached environment must be rebuilt. */
  nextLiveFrom: `
    SELECT to_char(min(live_from) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS next_live_from
      FROM feature_states WHERE environment_id = $1 AND live_from > now()`,
} as const;

// ---------------------------------------------------------------------------------------------------------------

interface RawKeyRow {
  environment_id: number;
  client_key: string;
  version: string;
  active: boolean;
  expires_at: Date | null;
}

function keyRow(row: RawKeyRow): KeyRow {
  return {
    environmentId: row.environment_id,
    clientKey: row.client_key,
    version: row.version,
    active: row.active,
    expiresAt: row.expires_at ? row.expires_at.getTime() : null,
  };
}

interface RawEnvironment {
  id: number;
  api_key: string;
  name: string;
  allow_client_traits: boolean;
  hide_sensitive_data: boolean;
  hide_disabled_flags: boolean | null;
  use_identity_composite_key_for_hashing: boolean;
  use_identity_overrides_in_local_eval: boolean;
  updated_at_iso: string;
  updated_at_epoch: string;
  project_id: number;
  project_name: string;
  project_hide_disabled_flags: boolean;
  enable_realtime_updates: boolean;
  organisation_id: number;
  organisation_name: string;
  feature_analytics: boolean;
  stop_serving_flags: boolean;
  persist_trait_data: boolean;
}

/** 'unicode' | 'int' | 'bool' (anything else reads as a string). */
type ValueType = string;

interface RawFeatureState {
  id: number;
  uuid: string;
  enabled: boolean;
  value_type: ValueType;
  string_value: string | null;
  integer_value: number | null;
  boolean_value: boolean | null;
  feature_segment_id: number | null;
  identity_id: number | null;
  feature_id: number;
  feature_name: string;
  feature_type: string;
  is_server_key_only: boolean;
  feature_description: string | null;
  feature_initial_value: string | null;
  feature_default_enabled: boolean;
  feature_created_date: string;
  segment_id: number | null;
  priority: number | null;
  identifier: string | null;
  identity_uuid: string | null;
  identity_created_date: string | null;
}

interface RawMvValue {
  id: number;
  uuid: string;
  feature_state_id: number;
  percentage_allocation: number;
  option_id: number;
  type: ValueType;
  string_value: string | null;
  integer_value: number | null;
  boolean_value: boolean | null;
  key: string | null;
}

interface RawSegment {
  id: number;
  name: string;
}

interface RawRule {
  id: number;
  rule_id: number | null;
  type: string;
  root_segment_id: number;
}

interface RawCondition {
  id: number;
  rule_id: number;
  operator: string;
  property: string | null;
  value: string | null;
}

/** The typed value of a feature state or multivariate option (Flagsmith's value_type columns). */
export function typedValue(row: {
  value_type?: ValueType;
  type?: ValueType;
  string_value: string | null;
  integer_value: number | null;
  boolean_value: boolean | null;
}): FeatureValue {
  switch (row.value_type ?? row.type) {
    case 'int':
      return row.integer_value;
    case 'bool':
      return row.boolean_value;
    default:
      return row.string_value;
  }
}

function assemble(
  env: RawEnvironment,
  states: RawFeatureState[],
  mvValues: RawMvValue[],
  segmentRows: RawSegment[],
  ruleRows: RawRule[],
  conditionRows: RawCondition[],
  nextLiveFrom: string | null,
): EnvironmentSource {
  const mvByState = new Map<number, SdkDocumentFeatureState['multivariate_feature_state_values'][number][]>();
  for (const v of mvValues) {
    let list = mvByState.get(v.feature_state_id);
    if (!list) mvByState.set(v.feature_state_id, (list = []));
    list.push({
      id: v.id,
      mv_fs_value_uuid: v.uuid,
      percentage_allocation: v.percentage_allocation,
      multivariate_feature_option: { id: v.option_id, value: typedValue(v), key: v.key },
    });
  }

  const features = new Map<number, FeatureMeta>();
  const environmentStates: SdkDocumentFeatureState[] = [];
  const segmentStates = new Map<number, SdkDocumentFeatureState[]>();
  const identities = new Map<
    string,
    SdkDocumentIdentityOverride & { identity_features: SdkDocumentFeatureState[] }
  >();
  const featureSegmentOfState: Record<number, number> = {};
  const identityOfState: Record<number, number> = {};
  const serverKeyOnly: number[] = [];

  for (const row of states) {
    if (!features.has(row.feature_id)) {
      features.set(row.feature_id, {
        id: row.feature_id,
        name: row.feature_name,
        type: row.feature_type,
        created_date: row.feature_created_date,
        description: row.feature_description,
        initial_value: row.feature_initial_value,
        default_enabled: row.feature_default_enabled,
        is_server_key_only: row.is_server_key_only,
      });
    }
    const state: SdkDocumentFeatureState = {
      feature: { id: row.feature_id, name: row.feature_name, type: row.feature_type },
      enabled: row.enabled,
      django_id: row.id,
      featurestate_uuid: row.uuid,
      feature_segment: row.feature_segment_id !== null ? { priority: row.priority ?? 0 } : null,
      feature_state_value: typedValue(row),
      multivariate_feature_state_values: mvByState.get(row.id) ?? [],
    };
    if (row.feature_segment_id !== null && row.segment_id !== null) {
      featureSegmentOfState[row.id] = row.feature_segment_id;
      let list = segmentStates.get(row.segment_id);
      if (!list) segmentStates.set(row.segment_id, (list = []));
      list.push(state);
    } else if (row.identity_id !== null && row.identifier !== null) {
      identityOfState[row.id] = row.identity_id;
      let identity = identities.get(row.identifier);
      if (!identity) {
        identity = {
          identifier: row.identifier,
          environment_api_key: env.api_key,
          identity_uuid: row.identity_uuid,
          django_id: row.identity_id,
          created_date: row.identity_created_date,
          composite_key: `${env.api_key}_${row.identifier}`,
          dashboard_alias: null,
          identity_traits: [],
          identity_features: [],
        };
        identities.set(row.identifier, identity);
      }
      identity.identity_features.push(state);
    } else {
      environmentStates.push(state);
      if (row.is_server_key_only) serverKeyOnly.push(row.feature_id);
    }
  }

  // Rules: a tree per segment, children in id order.
  const ruleById = new Map<
    number,
    SdkDocumentRule & { rules: SdkDocumentRule[]; conditions: SdkDocumentRule['conditions'][number][] }
  >();
  const topRules = new Map<number, SdkDocumentRule[]>();
  for (const r of ruleRows) ruleById.set(r.id, { type: r.type, rules: [], conditions: [] });
  for (const r of ruleRows) {
    const rule = ruleById.get(r.id)!;
    if (r.rule_id === null) {
      let list = topRules.get(r.root_segment_id);
      if (!list) topRules.set(r.root_segment_id, (list = []));
      list.push(rule);
    } else {
      ruleById.get(r.rule_id)?.rules.push(rule);
    }
  }
  for (const c of conditionRows) {
    ruleById.get(c.rule_id)?.conditions.push({ operator: c.operator, property_: c.property, value: c.value });
  }

  const segments: SdkDocumentSegment[] = segmentRows.map((s) => ({
    id: s.id,
    name: s.name,
    rules: topRules.get(s.id) ?? [],
    feature_states: segmentStates.get(s.id) ?? [],
  }));

  const identityOverrides = [...identities.values()];
  const document: SdkDocument = {
    id: env.id,
    api_key: env.api_key,
    name: env.name,
    project: {
      id: env.project_id,
      name: env.project_name,
      hide_disabled_flags: env.project_hide_disabled_flags,
      enable_realtime_updates: env.enable_realtime_updates,
      server_key_only_feature_ids: serverKeyOnly,
      organisation: {
        id: env.organisation_id,
        name: env.organisation_name,
        feature_analytics: env.feature_analytics,
        stop_serving_flags: env.stop_serving_flags,
        persist_trait_data: env.persist_trait_data,
      },
      segments,
    },
    feature_states: environmentStates,
    identity_overrides: env.use_identity_overrides_in_local_eval ? identityOverrides : [],
    allow_client_traits: env.allow_client_traits,
    hide_sensitive_data: env.hide_sensitive_data,
    hide_disabled_flags: env.hide_disabled_flags,
    use_identity_composite_key_for_hashing: env.use_identity_composite_key_for_hashing,
    use_identity_overrides_in_local_eval: env.use_identity_overrides_in_local_eval,
    updated_at: env.updated_at_iso,
    amplitude_config: null,
    heap_config: null,
    mixpanel_config: null,
    rudderstack_config: null,
    segment_config: null,
    webhook_config: null,
  };

  return {
    environmentId: env.id,
    version: env.updated_at_epoch,
    updatedAtEpoch: env.updated_at_epoch,
    document,
    features: [...features.values()],
    // Remote evaluation always honours identity overrides, whether or not the document carries them.
    identityOverrides: env.use_identity_overrides_in_local_eval ? [] : identityOverrides,
    featureSegmentOfState,
    identityOfState,
    nextLiveFrom: nextLiveFrom ? Date.parse(nextLiveFrom) : null,
  };
}
