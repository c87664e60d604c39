import { Column, Entity, PrimaryColumn } from 'typeorm';

/** SDK resources whose requests are counted (the fields of Flagsmith's usage data). */
export const USAGE_RESOURCES = ['flags', 'identities', 'traits', 'environment_document'] as const;
export type UsageResource = (typeof USAGE_RESOURCES)[number];

/** SDK requests per environment, resource and day (ENABLE_API_USAGE_TRACKING); one row per key, summed by upsert. */
@Entity({ name: 'api_usage_daily' })
export class ApiUsageDaily {
  @PrimaryColumn({ name: 'environment_id', type: 'integer' })
  environmentId!: number;

  @PrimaryColumn({ type: 'varchar', length: 32 })
  resource!: UsageResource;

  @PrimaryColumn({ type: 'date' })
  day!: string;

  @Column({
    type: 'bigint',
    default: 0,
    transformer: { to: (v: number) => v, from: (v: string) => Number(v) },
  })
  count!: number;
}

/** Flag evaluations reported by SDKs (POST /api/v1/analytics/flags/) per environment, feature and day. */
@Entity({ name: 'feature_evaluations_daily' })
export class FeatureEvaluationDaily {
  @PrimaryColumn({ name: 'environment_id', type: 'integer' })
  environmentId!: number;

  @PrimaryColumn({ name: 'feature_name', type: 'varchar', length: 2000 })
  featureName!: string;

  @PrimaryColumn({ type: 'date' })
  day!: string;

  @Column({
    type: 'bigint',
    default: 0,
    transformer: { to: (v: number) => v, from: (v: string) => Number(v) },
  })
  count!: number;
}
