import { randomBytes } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
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
import {
  Segment,
  SegmentCondition,
  SegmentConditionOperator,
  SegmentRule,
} from '../../src/segments/segment.entity';

export interface DatasetSpec {
  readonly features: number;
  readonly multivariateFeatures: number;
  readonly segments: number;
  readonly identities: number;
  readonly traitsPerIdentity: number;
  /** Identities that get an identity override (of the first features). */
  readonly identityOverrides: number;
  readonly seed: number;
}

export const REALISTIC_DATASET: DatasetSpec = {
  features: 50,
  multivariateFeatures: 10,
  segments: 20,
  identities: 1000,
  traitsPerIdentity: 10,
  identityOverrides: 50,
  seed: 42,
};

export type TraitValue = string | number | boolean;

export interface SeededDataset {
  readonly organisationId: number;
  readonly projectId: number;
  readonly environmentId: number;
  readonly clientKey: string;
  readonly serverKey: string;
  readonly featureNames: readonly string[];
  readonly identities: readonly { identifier: string; traits: Record<string, TraitValue> }[];
}

/** mulberry32: a small deterministic PRNG so every run seeds the same data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEY_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
function randomKey(length = 22): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => KEY_ALPHABET[b % KEY_ALPHABET.length]).join('');
}

const PLANS = ['free', 'startup', 'scale-up', 'enterprise'];
const COUNTRIES = ['GB', 'US', 'DE', 'FR', 'ES', 'PT', 'NL', 'SE'];

function traitsFor(index: number, count: number, rand: () => number): Record<string, TraitValue> {
  const traits: Record<string, TraitValue> = {
    plan: PLANS[index % PLANS.length],
    age: 18 + Math.floor(rand() * 60),
    country: COUNTRIES[Math.floor(rand() * COUNTRIES.length)],
    beta: rand() < 0.3,
    app_version: `${1 + Math.floor(rand() * 3)}.${Math.floor(rand() * 10)}.${Math.floor(rand() * 20)}`,
    score: Math.round(rand() * 1000) / 10,
    email: `user${index}@${rand() < 0.5 ? 'example.com' : 'flagsmith.com'}`,
    logins: Math.floor(rand() * 500),
    device: rand() < 0.5 ? 'ios' : 'android',
    org_size: Math.floor(rand() * 5000),
  };
  for (let i = Object.keys(traits).length; i < count; i++)
    traits[`extra_${i}`] = `value_${Math.floor(rand() * 100)}`;
  return Object.fromEntries(Object.entries(traits).slice(0, count));
}

type ConditionSpec = { operator: SegmentConditionOperator; property: string | null; value: string | null };

function conditionPool(rand: () => number): ConditionSpec[] {
  const pick = <T>(items: readonly T[]) => items[Math.floor(rand() * items.length)];
  return [
    { operator: 'EQUAL', property: 'plan', value: pick(PLANS) },
    { operator: 'NOT_EQUAL', property: 'country', value: pick(COUNTRIES) },
    { operator: 'GREATER_THAN', property: 'age', value: String(20 + Math.floor(rand() * 40)) },
    { operator: 'LESS_THAN_INCLUSIVE', property: 'logins', value: String(Math.floor(rand() * 500)) },
    { operator: 'CONTAINS', property: 'email', value: pick(['example', 'flagsmith', 'user1']) },
    { operator: 'REGEX', property: 'email', value: '^user[0-9]*5@' },
    {
      operator: 'IN',
      property: 'country',
      value: `${pick(COUNTRIES)},${pick(COUNTRIES)},${pick(COUNTRIES)}`,
    },
    { operator: 'EQUAL', property: 'beta', value: 'true' },
    {
      operator: 'GREATER_THAN_INCLUSIVE',
      property: 'app_version',
      value: `${1 + Math.floor(rand() * 3)}.0.0:semver`,
    },
    { operator: 'PERCENTAGE_SPLIT', property: null, value: String(10 + Math.floor(rand() * 80)) },
    { operator: 'MODULO', property: 'org_size', value: '3|1' },
    { operator: 'IS_SET', property: 'device', value: null },
    { operator: 'IS_NOT_SET', property: 'missing_trait', value: null },
  ];
}

/**
 * Seeds one organisation → project → environment with features (some multivariate, with per-environment
 * weights), nested segments with segment overrides, identities with traits and identity overrides — the data
 * the SDK compatibility tests and the benchmark evaluate. Written straight through TypeORM, in one transaction.
 */
export async function seedDataset(
  dataSource: DataSource,
  spec: DatasetSpec = REALISTIC_DATASET,
): Promise<SeededDataset> {
  const rand = prng(spec.seed);
  return dataSource.transaction(async (m: EntityManager) => {
    const organisation = await m.save(m.create(Organisation, { name: 'Seeded Org', persistTraitData: true }));
    const project = await m.save(
      m.create(Project, { name: 'Seeded Project', organisationId: organisation.id }),
    );
    const environment = await m.save(
      m.create(Environment, { name: 'Production', apiKey: randomKey(), projectId: project.id }),
    );
    const serverKey = `ser.${randomKey()}`;
    await m.save(
      m.create(EnvironmentApiKey, { key: serverKey, name: 'bench', environmentId: environment.id }),
    );

    const features: Feature[] = [];
    const defaultStates: FeatureState[] = [];
    const optionsByFeature = new Map<number, MultivariateFeatureOption[]>();
    for (let i = 0; i < spec.features; i++) {
      const multivariate = i < spec.multivariateFeatures;
      const feature = await m.save(
        m.create(Feature, {
          name: `feature_${String(i).padStart(3, '0')}`,
          projectId: project.id,
          type: multivariate ? 'MULTIVARIATE' : 'STANDARD',
          defaultEnabled: rand() < 0.6,
          initialValue: multivariate ? 'control' : null,
          isServerKeyOnly: i === spec.features - 1,
        }),
      );
      features.push(feature);
      const valueKind = i % 3;
      const state = await m.save(
        m.create(FeatureState, {
          featureId: feature.id,
          environmentId: environment.id,
          enabled: feature.defaultEnabled,
          ...(multivariate
            ? { valueType: 'unicode' as const, stringValue: 'control' }
            : valueKind === 0
              ? { valueType: 'unicode' as const, stringValue: `value-${i}` }
              : valueKind === 1
                ? { valueType: 'int' as const, integerValue: i * 10 }
                : { valueType: 'bool' as const, booleanValue: rand() < 0.5 }),
        }),
      );
      defaultStates.push(state);
      if (multivariate) {
        const count = 2 + (i % 2);
        const options: MultivariateFeatureOption[] = [];
        let remaining = 100;
        for (let o = 0; o < count; o++) {
          const allocation = o === count - 1 ? Math.min(remaining, 30) : 20 + Math.floor(rand() * 15);
          remaining -= allocation;
          const option = await m.save(
            m.create(MultivariateFeatureOption, {
              featureId: feature.id,
              type: 'unicode',
              stringValue: `variant_${o}`,
              defaultPercentageAllocation: allocation,
              key: o === 0 ? null : `key_${o}`,
            }),
          );
          options.push(option);
          await m.save(
            m.create(MultivariateFeatureStateValue, {
              featureStateId: state.id,
              multivariateFeatureOptionId: option.id,
              percentageAllocation: allocation,
            }),
          );
        }
        optionsByFeature.set(feature.id, options);
      }
    }

    for (let s = 0; s < spec.segments; s++) {
      const segment = await m.save(m.create(Segment, { name: `segment_${s}`, projectId: project.id }));
      const top = await m.save(m.create(SegmentRule, { segmentId: segment.id, type: 'ALL' }));
      const nestedType = (['ANY', 'ALL', 'NONE'] as const)[s % 3];
      const nested = await m.save(m.create(SegmentRule, { ruleId: top.id, type: nestedType }));
      const pool = conditionPool(rand);
      const conditions = 3 + (s % 3);
      for (let c = 0; c < conditions; c++) {
        const spec = pool[(s * 7 + c * 3) % pool.length];
        await m.save(m.create(SegmentCondition, { ruleId: c === 0 ? top.id : nested.id, ...spec }));
      }
      // Two overrides per segment, with priorities interleaving across segments.
      for (let o = 0; o < 2; o++) {
        const feature = features[(s * 3 + o * 5) % features.length];
        const featureSegment = await m.save(
          m.create(FeatureSegment, {
            featureId: feature.id,
            segmentId: segment.id,
            environmentId: environment.id,
            priority: (s * 2 + o) % 7,
          }),
        );
        const state = await m.save(
          m.create(FeatureState, {
            featureId: feature.id,
            environmentId: environment.id,
            featureSegmentId: featureSegment.id,
            enabled: rand() < 0.7,
            valueType: 'unicode',
            stringValue: `segment_${s}_override`,
          }),
        );
        const options = optionsByFeature.get(feature.id);
        if (options) {
          for (const [index, option] of options.entries()) {
            await m.save(
              m.create(MultivariateFeatureStateValue, {
                featureStateId: state.id,
                multivariateFeatureOptionId: option.id,
                percentageAllocation: index === 0 ? 50 : 25,
              }),
            );
          }
        }
      }
    }

    const identities: { identifier: string; traits: Record<string, TraitValue> }[] = [];
    for (let i = 0; i < spec.identities; i++) {
      const identifier = `user_${i}`;
      const traits = traitsFor(i, spec.traitsPerIdentity, rand);
      identities.push({ identifier, traits });
      const identity = await m.save(m.create(Identity, { identifier, environmentId: environment.id }));
      await m.save(
        Object.entries(traits).map(([traitKey, value]) =>
          m.create(Trait, {
            identityId: identity.id,
            traitKey,
            ...(typeof value === 'boolean'
              ? { valueType: 'bool' as const, booleanValue: value }
              : typeof value === 'number'
                ? Number.isInteger(value)
                  ? { valueType: 'int' as const, integerValue: value }
                  : { valueType: 'float' as const, floatValue: value }
                : { valueType: 'unicode' as const, stringValue: value }),
          }),
        ),
      );
      if (i % Math.max(1, Math.floor(spec.identities / Math.max(1, spec.identityOverrides))) === 0) {
        const feature = features[i % features.length];
        await m.save(
          m.create(FeatureState, {
            featureId: feature.id,
            environmentId: environment.id,
            identityId: identity.id,
            enabled: !feature.defaultEnabled,
            valueType: 'unicode',
            stringValue: `override_for_${identifier}`,
          }),
        );
      }
    }

    return {
      organisationId: organisation.id,
      projectId: project.id,
      environmentId: environment.id,
      clientKey: environment.apiKey,
      serverKey,
      featureNames: features.map((f) => f.name),
      identities,
    };
  });
}
