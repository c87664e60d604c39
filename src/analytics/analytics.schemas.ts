import { S, type Static } from '../http/schema';

/**
 * Usage and evaluation reads of the dashboard (Flagsmith's app_analytics, metrics and feature_lifecycle apps), served
 * from flagport's own daily counters (src/usage: api_usage_daily, feature_evaluations_daily).
 */

/** Flagsmith's usage periods (app_analytics.types.PeriodType). */
export const USAGE_PERIODS = ['current_billing_period', 'previous_billing_period', '90_day_period'] as const;
export type UsagePeriod = (typeof USAGE_PERIODS)[number];

/** Flagsmith's optional SDK labels; accepted as filters (flagport records no labels, so a filter matches nothing). */
const LabelFilters = {
  client_application_name: S.optional(S.nullable(S.string())),
  client_application_version: S.optional(S.nullable(S.string())),
  user_agent: S.optional(S.nullable(S.string())),
};

/** GET /organisations/{id}/usage-data/ (UsageDataQuerySerializer). */
export const UsageDataQuery = S.object({
  project_id: S.optional(S.integer()),
  environment_id: S.optional(S.integer()),
  period: S.optional(
    S.nullable(S.choice(USAGE_PERIODS, { description: 'Default: the last 30 days, today included' })),
  ),
  ...LabelFilters,
});
export type UsageDataQueryInput = Static<typeof UsageDataQuery>;

/** The SDK labels of a row: flagport records none, so always `{}`. */
const LabelsJson = S.response({
  client_application_name: S.optional(S.nullable(S.string())),
  client_application_version: S.optional(S.nullable(S.string())),
  user_agent: S.optional(S.nullable(S.string())),
});

/** One day of SDK requests of the organisation (UsageDataSerializer). */
export const UsageDataJson = S.response(
  {
    flags: S.integer(),
    identities: S.integer(),
    traits: S.integer(),
    environment_document: S.integer(),
    day: S.string({ description: 'UTC day, YYYY-MM-DD' }),
    labels: S.nullable(LabelsJson),
  },
  { title: 'UsageData' },
);
export type UsageDataJson = Static<typeof UsageDataJson>;

export const UsageTotalCountJson = S.response({ count: S.integer() }, { title: 'UsageTotalCount' });
export type UsageTotalCountJson = Static<typeof UsageTotalCountJson>;

/** GET /projects/{p}/features/{id}/evaluation-data/ (GetUsageDataQuerySerializer). */
export const EvaluationDataQuery = S.object({
  period: S.optional(S.integer({ description: 'Number of days, today included; default 30' })),
  environment_id: S.integer(),
  ...LabelFilters,
});
export type EvaluationDataQueryInput = Static<typeof EvaluationDataQuery>;

/** One day of SDK-reported evaluations of a feature (FeatureEvaluationDataSerializer). */
export const EvaluationDataJson = S.response(
  {
    day: S.string({ description: 'UTC day, YYYY-MM-DD' }),
    count: S.integer(),
    labels: S.nullable(LabelsJson),
  },
  { title: 'FeatureEvaluationData' },
);
export type EvaluationDataJson = Static<typeof EvaluationDataJson>;

export const METRIC_ENTITIES = ['features', 'segments', 'identities', 'workflows'] as const;

/** GET /environments/{api_key}/metrics/ (EnvironmentMetricsSerializer). */
export const EnvironmentMetricsJson = S.response(
  {
    metrics: S.list(
      S.response({
        value: S.integer(),
        description: S.string(),
        name: S.string(),
        entity: S.choice(METRIC_ENTITIES),
        rank: S.integer(),
      }),
    ),
  },
  { title: 'EnvironmentMetrics' },
);
export type EnvironmentMetricsJson = Static<typeof EnvironmentMetricsJson>;

/** GET /environments/{id}/feature-lifecycle-counts/ (FeatureLifecycleCountsSerializer). */
export const LifecycleCountsJson = S.response(
  {
    new: S.integer(),
    live: S.integer(),
    stale: S.integer(),
    permanent: S.integer(),
    needs_monitoring: S.integer(),
    to_remove: S.integer(),
  },
  { title: 'FeatureLifecycleCounts' },
);
export type LifecycleCountsJson = Static<typeof LifecycleCountsJson>;
