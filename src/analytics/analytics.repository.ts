import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { UsageResource } from '../usage/usage.entity';

/** Inclusive range of UTC days, YYYY-MM-DD. */
export interface DayRange {
  readonly from: string;
  readonly to: string;
}

/** Which environments of the organisation a usage read covers (0 or absent: no filter, as Flagsmith's `if id:`). */
export interface UsageScope {
  readonly organisationId: number;
  readonly projectId?: number;
  readonly environmentId?: number;
}

export interface ResourceDayCount {
  readonly day: string;
  readonly resource: UsageResource;
  readonly count: number;
}

export interface DayCount {
  readonly day: string;
  readonly count: number;
}

/** Default feature states, segment overrides and identity overrides of non-archived features in an environment. */
export interface EnvironmentStateCounts {
  readonly features: number;
  readonly enabledFeatures: number;
  readonly segmentOverrides: number;
  readonly identityOverrides: number;
}

/** A live feature of a project, as the evaluation-data route needs it. */
export interface FeatureRef {
  readonly id: number;
  readonly name: string;
}

/** Every read of the analytics routes: the daily usage counters and counts over the flag data. No writes. */
@Injectable()
export class AnalyticsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** SDK requests per day and resource of the organisation's environments in `days`, in day order. */
  async requestsPerDay(scope: UsageScope, days: DayRange): Promise<ResourceDayCount[]> {
    const rows: { day: string; resource: UsageResource; count: string }[] = await this.dataSource.query(
      `SELECT to_char(u.day, 'YYYY-MM-DD') AS day, u.resource, SUM(u.count)::text AS count
         FROM api_usage_daily u
         JOIN environments e ON e.id = u.environment_id
         JOIN projects p ON p.id = e.project_id
        WHERE p.organisation_id = $1 AND u.day BETWEEN $2::date AND $3::date
          AND ($4::int IS NULL OR e.project_id = $4) AND ($5::int IS NULL OR e.id = $5)
        GROUP BY u.day, u.resource
        ORDER BY u.day, u.resource`,
      [scope.organisationId, days.from, days.to, scope.projectId ?? null, scope.environmentId ?? null],
    );
    return rows.map((r) => ({ day: r.day, resource: r.resource, count: Number(r.count) }));
  }

  /** All SDK requests of the organisation's environments in `days`. */
  async totalRequests(organisationId: number, days: DayRange): Promise<number> {
    const [row]: { total: string }[] = await this.dataSource.query(
      `SELECT COALESCE(SUM(u.count), 0)::text AS total
         FROM api_usage_daily u
         JOIN environments e ON e.id = u.environment_id
         JOIN projects p ON p.id = e.project_id
        WHERE p.organisation_id = $1 AND u.day BETWEEN $2::date AND $3::date`,
      [organisationId, days.from, days.to],
    );
    return Number(row.total);
  }

  /** SDK-reported evaluations of a feature (by name, as the SDK reports them) in one environment, per day. */
  async evaluationsPerDay(environmentId: number, featureName: string, days: DayRange): Promise<DayCount[]> {
    const rows: { day: string; count: string }[] = await this.dataSource.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, count::text AS count
         FROM feature_evaluations_daily
        WHERE environment_id = $1 AND feature_name = $2 AND day BETWEEN $3::date AND $4::date
        ORDER BY day`,
      [environmentId, featureName, days.from, days.to],
    );
    return rows.map((r) => ({ day: r.day, count: Number(r.count) }));
  }

  /** The live (not deleted) feature of the project with this id. */
  async feature(projectId: number, featureId: number): Promise<FeatureRef | null> {
    const [row]: FeatureRef[] = await this.dataSource.query(
      `SELECT id, name FROM features WHERE id = $1 AND project_id = $2 AND deleted_at IS NULL`,
      [featureId, projectId],
    );
    return row ?? null;
  }

  /** Whether the environment belongs to the project. */
  async environmentInProject(projectId: number, environmentId: number): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM environments WHERE id = $1 AND project_id = $2`,
      [environmentId, projectId],
    );
    return rows.length > 0;
  }

  async environmentStateCounts(environmentId: number): Promise<EnvironmentStateCounts> {
    const [row]: Record<keyof EnvironmentStateCounts, string>[] = await this.dataSource.query(
      `SELECT
         COUNT(*) FILTER (WHERE fs.identity_id IS NULL AND fs.feature_segment_id IS NULL)::text AS "features",
         COUNT(*) FILTER (WHERE fs.identity_id IS NULL AND fs.feature_segment_id IS NULL AND fs.enabled)::text
           AS "enabledFeatures",
         COUNT(*) FILTER (WHERE fs.identity_id IS NULL AND fs.feature_segment_id IS NOT NULL)::text
           AS "segmentOverrides",
         COUNT(*) FILTER (WHERE fs.identity_id IS NOT NULL AND fs.feature_segment_id IS NULL)::text
           AS "identityOverrides"
         FROM feature_states fs
         JOIN features f ON f.id = fs.feature_id
        WHERE fs.environment_id = $1 AND NOT f.is_archived AND f.deleted_at IS NULL
          AND (fs.live_from IS NULL OR fs.live_from <= now())`,
      [environmentId],
    );
    return {
      features: Number(row.features),
      enabledFeatures: Number(row.enabledFeatures),
      segmentOverrides: Number(row.segmentOverrides),
      identityOverrides: Number(row.identityOverrides),
    };
  }

  /** Non-archived live features of the project, and how many of them carry a permanent tag. */
  async featureTagCounts(projectId: number): Promise<{ features: number; permanent: number }> {
    const [row]: { features: string; permanent: string }[] = await this.dataSource.query(
      `SELECT COUNT(*)::text AS features,
              COUNT(*) FILTER (WHERE EXISTS (
                SELECT 1 FROM feature_tags ft JOIN tags t ON t.id = ft.tag_id
                 WHERE ft.feature_id = f.id AND t.is_permanent))::text AS permanent
         FROM features f
        WHERE f.project_id = $1 AND NOT f.is_archived AND f.deleted_at IS NULL`,
      [projectId],
    );
    return { features: Number(row.features), permanent: Number(row.permanent) };
  }
}
