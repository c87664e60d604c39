import { Injectable } from '@nestjs/common';
import { NotFound } from '../common/domain-errors';
import type { Environment } from '../environments/environment.entity';
import type { Organisation } from '../organisations/organisation.entity';
import type { Project } from '../projects/project.entity';
import type { UsageResource } from '../usage/usage.entity';
import type {
  EnvironmentMetricsJson,
  EvaluationDataJson,
  EvaluationDataQueryInput,
  LifecycleCountsJson,
  UsageDataJson,
  UsageDataQueryInput,
} from './analytics.schemas';
import { AnalyticsRepository, type DayRange } from './analytics.repository';

const DAY_MS = 86_400_000;
/** Flagsmith's window when no period is given (usage data, total count, evaluation data). */
const DEFAULT_DAYS = 30;
const NINETY_DAYS = 90;
/** A longer window reads the same rows (no counter is that old) and keeps the dates within Date's range. */
const MAX_DAYS = 1_000_000;

/** The UTC day `daysBefore` days before `now`, YYYY-MM-DD. */
function utcDay(now: number, daysBefore = 0): string {
  return new Date(now - daysBefore * DAY_MS).toISOString().slice(0, 10);
}

/**
 * The last `days` UTC days, today included: Flagsmith's `date > now - days AND date <= now`. Zero or fewer days is
 * an empty range (from after to).
 */
export function lastDays(now: number, days: number): DayRange {
  return { from: utcDay(now, Math.min(Math.max(days, 0), MAX_DAYS) - 1), to: utcDay(now) };
}

/** Flagsmith's labels of a row read from its Postgres buckets without labels: `{}`. */
const NO_LABELS = {};

/**
 * The usage and evaluation reads of the dashboard. Flagsmith reads them from InfluxDB or its analytics buckets;
 * flagport from its own daily counters (src/usage), in Flagsmith's shapes and windows. Reads only.
 */
@Injectable()
export class AnalyticsService {
  constructor(private readonly analytics: AnalyticsRepository) {}

  /**
   * One entry per UTC day with SDK requests, in day order. A billing period needs a subscription's billing term,
   * which flagport has none of: 404 as Flagsmith answers an organisation without one. Label filters match nothing:
   * flagport records no SDK labels (Flagsmith's Postgres rows without labels fail such a filter too).
   */
  async usageData(
    organisation: Organisation,
    query: UsageDataQueryInput,
    now = Date.now(),
  ): Promise<UsageDataJson[]> {
    const days = this.usageWindow(query.period ?? null, now);
    if (query.client_application_name || query.client_application_version || query.user_agent) return [];
    const rows = await this.analytics.requestsPerDay(
      {
        organisationId: organisation.id,
        projectId: query.project_id || undefined,
        environmentId: query.environment_id || undefined,
      },
      days,
    );
    const byDay = new Map<string, UsageDataJson>();
    for (const row of rows) {
      let entry = byDay.get(row.day);
      if (!entry) {
        entry = {
          flags: 0,
          identities: 0,
          traits: 0,
          environment_document: 0,
          day: row.day,
          labels: NO_LABELS,
        };
        byDay.set(row.day, entry);
      }
      entry[row.resource satisfies UsageResource] = row.count;
    }
    return [...byDay.values()];
  }

  /** SDK requests of the organisation over the last 30 days (Flagsmith's get_total_events_count default). */
  async totalCount(organisation: Organisation, now = Date.now()): Promise<{ count: number }> {
    return { count: await this.analytics.totalRequests(organisation.id, lastDays(now, DEFAULT_DAYS)) };
  }

  /**
   * Evaluations of a feature in one environment of its project, per day over the last `period` days. Another
   * project's feature or environment is not found (Flagsmith does not check; flagport never reads across projects).
   */
  async evaluationData(
    project: Project,
    featureId: number,
    query: EvaluationDataQueryInput,
    now = Date.now(),
  ): Promise<EvaluationDataJson[]> {
    const feature = await this.analytics.feature(project.id, featureId);
    if (!feature) throw new NotFound();
    if (!(await this.analytics.environmentInProject(project.id, query.environment_id))) throw new NotFound();
    if (query.client_application_name || query.client_application_version || query.user_agent) return [];
    const rows = await this.analytics.evaluationsPerDay(
      query.environment_id,
      feature.name,
      lastDays(now, query.period ?? DEFAULT_DAYS),
    );
    return rows.map((r) => ({ day: r.day, count: r.count, labels: NO_LABELS }));
  }

  /** Flagsmith's default metric definitions, in rank order; flagport has no workflows, so no workflow metrics. */
  async environmentMetrics(environment: Environment): Promise<EnvironmentMetricsJson> {
    const counts = await this.analytics.environmentStateCounts(environment.id);
    return {
      metrics: [
        {
          name: 'total_features',
          description: 'Total features',
          entity: 'features',
          rank: 1,
          value: counts.features,
        },
        {
          name: 'enabled_features',
          description: 'Features enabled',
          entity: 'features',
          rank: 2,
          value: counts.enabledFeatures,
        },
        {
          name: 'segment_overrides',
          description: 'Segment overrides',
          entity: 'segments',
          rank: 3,
          value: counts.segmentOverrides,
        },
        {
          name: 'identity_overrides',
          description: 'Identity overrides',
          entity: 'identities',
          rank: 4,
          value: counts.identityOverrides,
        },
      ],
    };
  }

  /**
   * Flagsmith's lifecycle stages over the project's non-archived features. Its inputs are code references (from
   * code scans), permanent tags and STALE tags; flagport has neither code scans nor tag types, so a feature is
   * `permanent` with a permanent tag and `new` otherwise — the stages Flagsmith gives those same features.
   */
  async lifecycleCounts(environment: Environment): Promise<LifecycleCountsJson> {
    const { features, permanent } = await this.analytics.featureTagCounts(environment.projectId);
    return { new: features - permanent, live: 0, stale: 0, permanent, needs_monitoring: 0, to_remove: 0 };
  }

  private usageWindow(period: UsageDataQueryInput['period'] | null, now: number): DayRange {
    switch (period) {
      case 'current_billing_period':
      case 'previous_billing_period':
        throw new NotFound('No billing periods found for this organisation.');
      case '90_day_period':
        return lastDays(now, NINETY_DAYS);
      default:
        return lastDays(now, DEFAULT_DAYS);
    }
  }
}
