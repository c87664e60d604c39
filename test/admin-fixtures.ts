import { Client } from 'pg';
import { DataSource } from 'typeorm';
import {
  Feature,
  FeatureState,
  MultivariateFeatureOption,
  MultivariateFeatureStateValue,
} from '../src/features/feature.entity';
import { Call, createEnvironment, createOrganisation, createProject, signUp } from './api-helpers';
import { TestApp } from './support/app';
import { queryDatabase } from './support/database';

/** Shared set-up for the segments / identities / audit e2e tests. */

export interface World {
  admin: { id: number; token: string; email: string };
  org: { id: number };
  project: { id: number };
  env: { id: number; api_key: string; name: string };
}

export async function makeWorld(call: Call, name = 'Acme'): Promise<World> {
  const admin = await signUp(call);
  const org = await createOrganisation(call, admin.token, name);
  const project = await createProject(call, admin.token, org.id, `${name} web`);
  const env = await createEnvironment(call, admin.token, project.id, 'Development');
  return { admin, org, project, env };
}

/** A new USER member of the organisation (joined through an invite link), with no grants yet. */
export async function joinAsUser(call: Call, world: World) {
  const link = await call('POST', `/api/v1/organisations/${world.org.id}/invite-links/`, {
    auth: world.admin.token,
    body: {},
  });
  const member = await signUp(call);
  const joined = await call('POST', `/api/v1/users/join/link/${link.body.hash}/`, { auth: member.token });
  if (joined.status >= 300) throw new Error(`join failed: ${joined.status} ${JSON.stringify(joined.body)}`);
  return member;
}

export async function grantProject(call: Call, world: World, user: number, permissions: string[]) {
  const res = await call('POST', `/api/v1/projects/${world.project.id}/user-permissions/`, {
    auth: world.admin.token,
    body: { user, permissions, admin: false },
  });
  if (res.status !== 201) throw new Error(`grant failed: ${res.status} ${JSON.stringify(res.body)}`);
}

export async function grantEnvironment(call: Call, world: World, user: number, permissions: string[]) {
  const res = await call('POST', `/api/v1/environments/${world.env.api_key}/user-permissions/`, {
    auth: world.admin.token,
    body: { user, permissions, admin: false },
  });
  if (res.status !== 201) throw new Error(`grant failed: ${res.status} ${JSON.stringify(res.body)}`);
}

export interface FeatureOptions {
  enabled?: boolean;
  value?: string | number | boolean | null;
  /** Multivariate options: value and percentage allocation in every environment. */
  variants?: { value: string; percentage: number; key?: string }[];
}

/**
 * Inserts a feature with its environment default state in every environment of the project (and MV options/values),
 * straight through TypeORM: the features API is another module's.
 */
export async function insertFeature(
  t: TestApp,
  projectId: number,
  name: string,
  options: FeatureOptions = {},
) {
  const ds = t.app.get(DataSource);
  return ds.transaction(async (m) => {
    const feature = await m.getRepository(Feature).save(
      m.getRepository(Feature).create({
        name,
        projectId,
        type: options.variants ? 'MULTIVARIATE' : 'STANDARD',
        defaultEnabled: options.enabled ?? false,
        initialValue: options.value === undefined || options.value === null ? null : String(options.value),
      }),
    );
    const optionRows: MultivariateFeatureOption[] = [];
    for (const variant of options.variants ?? []) {
      optionRows.push(
        await m.getRepository(MultivariateFeatureOption).save(
          m.getRepository(MultivariateFeatureOption).create({
            featureId: feature.id,
            type: 'unicode',
            stringValue: variant.value,
            defaultPercentageAllocation: variant.percentage,
            key: variant.key ?? null,
          }),
        ),
      );
    }
    const envs = await m.query<{ id: number }[]>('SELECT id FROM environments WHERE project_id = $1', [
      projectId,
    ]);
    const states: FeatureState[] = [];
    for (const env of envs) {
      const value = options.value ?? null;
      const state = await m.getRepository(FeatureState).save(
        m.getRepository(FeatureState).create({
          featureId: feature.id,
          environmentId: env.id,
          enabled: options.enabled ?? false,
          valueType: typeof value === 'number' ? 'int' : typeof value === 'boolean' ? 'bool' : 'unicode',
          stringValue: typeof value === 'string' ? value : null,
          integerValue: typeof value === 'number' ? value : null,
          booleanValue: typeof value === 'boolean' ? value : null,
        }),
      );
      states.push(state);
      for (const [index, option] of optionRows.entries()) {
        await m.getRepository(MultivariateFeatureStateValue).save(
          m.getRepository(MultivariateFeatureStateValue).create({
            featureStateId: state.id,
            multivariateFeatureOptionId: option.id,
            percentageAllocation: options.variants![index].percentage,
          }),
        );
      }
    }
    return { id: feature.id, name, options: optionRows.map((o) => o.id), states };
  });
}

export async function envUpdatedAt(t: TestApp, envId: number): Promise<number> {
  const rows = await queryDatabase<{ updated_at: Date }>(
    t.databaseUrl,
    'SELECT updated_at FROM environments WHERE id = $1',
    [envId],
  );
  return rows[0].updated_at.getTime();
}

export async function auditRows(t: TestApp): Promise<number> {
  const rows = await queryDatabase<{ n: string }>(t.databaseUrl, 'SELECT count(*) AS n FROM audit_logs');
  return Number(rows[0].n);
}

/** Row counts of the tables these modules write: equal before/after means "nothing changed". */
export async function tableCounts(t: TestApp): Promise<Record<string, number>> {
  const tables = [
    'segments',
    'segment_rules',
    'segment_conditions',
    'feature_segments',
    'feature_states',
    'multivariate_feature_state_values',
    'identities',
    'traits',
    'audit_logs',
  ];
  const out: Record<string, number> = {};
  for (const table of tables) {
    const rows = await queryDatabase<{ n: string }>(t.databaseUrl, `SELECT count(*) AS n FROM ${table}`);
    out[table] = Number(rows[0].n);
  }
  return out;
}

/** Counts SQL statements sent by every pg client of this process (the in-process app included). */
export class QueryCounter {
  private static installed = false;
  private static count = 0;

  static install(): void {
    if (QueryCounter.installed) return;
    QueryCounter.installed = true;
    const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const original = proto.query;
    proto.query = function (this: unknown, ...args: unknown[]): unknown {
      QueryCounter.count++;
      return original.apply(this, args);
    };
  }

  /** Number of queries `work` caused. */
  static async during(work: () => Promise<unknown>): Promise<number> {
    const before = QueryCounter.count;
    await work();
    return QueryCounter.count - before;
  }
}

export const TEN_MB = 'x'.repeat(10 * 1024 * 1024);
