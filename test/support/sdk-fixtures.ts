import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { Environment, EnvironmentApiKey } from '../../src/environments/environment.entity';
import {
  Feature,
  FeatureSegment,
  FeatureState,
  MultivariateFeatureOption,
  MultivariateFeatureStateValue,
} from '../../src/features/feature.entity';
import { Identity, Trait } from '../../src/identities/identity.entity';
import { Organisation } from '../../src/organisations/organisation.entity';
import { Project } from '../../src/projects/project.entity';
import { Segment, SegmentCondition, SegmentRule } from '../../src/segments/segment.entity';

export function randomKey(): string {
  return randomBytes(16).toString('base64url').replace(/[-_]/g, 'x').slice(0, 22);
}

/**
 * A small SDK environment, written straight through TypeORM:
 * - `flag_on`      STANDARD, enabled, "on"
 * - `flag_off`     STANDARD, disabled, 42; segment override (plan == "pro") → enabled, "segment"
 * - `server_only`  STANDARD, enabled, true, is_server_key_only
 * - `mv`           MULTIVARIATE, enabled, control "control", variants a (key "variant_a") 50 % / b 50 %
 * - identity `overridden` with an identity override of `flag_on` → disabled, "identity"; trait plan = "free"
 */
export interface SdkFixture {
  readonly organisationId: number;
  readonly projectId: number;
  readonly environmentId: number;
  readonly clientKey: string;
  readonly serverKey: string;
  readonly featureIds: Readonly<Record<'flag_on' | 'flag_off' | 'server_only' | 'mv', number>>;
  readonly stateIds: Readonly<Record<'flag_on' | 'flag_off' | 'server_only' | 'mv', number>>;
  readonly segmentId: number;
  readonly featureSegmentId: number;
  readonly segmentStateId: number;
  readonly identityId: number;
  readonly identityOverrideStateId: number;
}

export async function seedSdkFixture(
  dataSource: DataSource,
  options: {
    organisation?: Partial<Organisation>;
    environment?: Partial<Environment>;
    project?: Partial<Project>;
  } = {},
): Promise<SdkFixture> {
  return dataSource.transaction(async (m) => {
    const org = await m.save(m.create(Organisation, { name: 'Org', ...options.organisation }));
    const project = await m.save(
      m.create(Project, { name: 'Project', organisationId: org.id, ...options.project }),
    );
    const env = await m.save(
      m.create(Environment, {
        name: 'Development',
        apiKey: randomKey(),
        projectId: project.id,
        ...options.environment,
      }),
    );
    const serverKey = `ser.${randomKey()}`;
    await m.save(m.create(EnvironmentApiKey, { key: serverKey, name: 'sdk', environmentId: env.id }));

    const feature = (name: string, extra: Partial<Feature> = {}) =>
      m.save(m.create(Feature, { name, projectId: project.id, ...extra }));
    const flagOn = await feature('flag_on', { description: 'on flag', defaultEnabled: true });
    const flagOff = await feature('flag_off');
    const serverOnly = await feature('server_only', { isServerKeyOnly: true });
    const mv = await feature('mv', { type: 'MULTIVARIATE' });

    const state = (featureId: number, extra: Partial<FeatureState>) =>
      m.save(m.create(FeatureState, { featureId, environmentId: env.id, ...extra }));
    const sOn = await state(flagOn.id, { enabled: true, valueType: 'unicode', stringValue: 'on' });
    const sOff = await state(flagOff.id, { enabled: false, valueType: 'int', integerValue: 42 });
    const sServer = await state(serverOnly.id, { enabled: true, valueType: 'bool', booleanValue: true });
    const sMv = await state(mv.id, { enabled: true, valueType: 'unicode', stringValue: 'control' });
    const optA = await m.save(
      m.create(MultivariateFeatureOption, { featureId: mv.id, stringValue: 'a', key: 'variant_a' }),
    );
    const optB = await m.save(m.create(MultivariateFeatureOption, { featureId: mv.id, stringValue: 'b' }));
    for (const option of [optA, optB]) {
      await m.save(
        m.create(MultivariateFeatureStateValue, {
          featureStateId: sMv.id,
          multivariateFeatureOptionId: option.id,
          percentageAllocation: 50,
        }),
      );
    }

    const segment = await m.save(m.create(Segment, { name: 'pro_users', projectId: project.id }));
    const top = await m.save(m.create(SegmentRule, { segmentId: segment.id, type: 'ALL' }));
    const any = await m.save(m.create(SegmentRule, { ruleId: top.id, type: 'ANY' }));
    await m.save(
      m.create(SegmentCondition, { ruleId: any.id, operator: 'EQUAL', property: 'plan', value: 'pro' }),
    );
    const fsg = await m.save(
      m.create(FeatureSegment, {
        featureId: flagOff.id,
        segmentId: segment.id,
        environmentId: env.id,
        priority: 0,
      }),
    );
    const sSeg = await state(flagOff.id, {
      featureSegmentId: fsg.id,
      enabled: true,
      valueType: 'unicode',
      stringValue: 'segment',
    });

    const identity = await m.save(m.create(Identity, { identifier: 'overridden', environmentId: env.id }));
    await m.save(
      m.create(Trait, {
        identityId: identity.id,
        traitKey: 'plan',
        valueType: 'unicode',
        stringValue: 'free',
      }),
    );
    const sIdentity = await state(flagOn.id, {
      identityId: identity.id,
      enabled: false,
      valueType: 'unicode',
      stringValue: 'identity',
    });

    return {
      organisationId: org.id,
      projectId: project.id,
      environmentId: env.id,
      clientKey: env.apiKey,
      serverKey,
      featureIds: { flag_on: flagOn.id, flag_off: flagOff.id, server_only: serverOnly.id, mv: mv.id },
      stateIds: { flag_on: sOn.id, flag_off: sOff.id, server_only: sServer.id, mv: sMv.id },
      segmentId: segment.id,
      featureSegmentId: fsg.id,
      segmentStateId: sSeg.id,
      identityId: identity.id,
      identityOverrideStateId: sIdentity.id,
    };
  });
}

/**
 * Counts every query any pg client of this process sends to PostgreSQL (TypeORM's pool, LISTEN connections,
 * everything), by wrapping `pg.Client.prototype.query`.
 */
export class QueryCounter {
  private static installed = false;
  private static count = 0;
  private static readonly texts: string[] = [];

  static install(): void {
    if (QueryCounter.installed) return;
    QueryCounter.installed = true;
    const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const original = proto.query;
    proto.query = function (this: unknown, ...args: unknown[]): unknown {
      QueryCounter.count++;
      const first = args[0];
      const text = typeof first === 'string' ? first : (first as { text?: string } | null)?.text;
      QueryCounter.texts.push(String(text ?? '?').slice(0, 120));
      if (QueryCounter.texts.length > 200) QueryCounter.texts.shift();
      return original.apply(this, args);
    };
  }

  static snapshot(): number {
    return QueryCounter.count;
  }

  static recent(n: number): string[] {
    return QueryCounter.texts.slice(-n);
  }
}

export interface SdkResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  json<T = unknown>(): T;
}

/** fetch() with an X-Environment-Key and a JSON body. */
export async function sdk(
  base: string,
  path: string,
  key: string | undefined,
  options: { method?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<SdkResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (key !== undefined) headers['X-Environment-Key'] = key;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method: options.method ?? 'GET', headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
}

export async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  stepMs = 25,
): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
