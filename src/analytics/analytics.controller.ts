import { Controller, Get } from '@nestjs/common';
import type { Environment } from '../environments/environment.entity';
import { IdParam, Responds, S, ValidQuery } from '../http/schema';
import type { Organisation } from '../organisations/organisation.entity';
import { Permitted, RequirePermission } from '../permissions/permissions.decorators';
import type { Project } from '../projects/project.entity';
import {
  EnvironmentMetricsJson,
  EvaluationDataJson,
  EvaluationDataQuery,
  type EvaluationDataQueryInput,
  LifecycleCountsJson,
  UsageDataJson,
  UsageDataQuery,
  type UsageDataQueryInput,
  UsageTotalCountJson,
} from './analytics.schemas';
import { AnalyticsService } from './analytics.service';

/** Flagsmith's app_analytics views: organisation admins only (UsageDataPermission). */
@Controller('api/v1/organisations/:id/usage-data')
export class OrganisationUsageController {
  constructor(private readonly analytics: AnalyticsService) {}

  @Get()
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(
    200,
    S.list(UsageDataJson),
    'SDK requests per UTC day, in day order; a billing period is a 404 (flagport has no billing)',
  )
  usageData(
    @Permitted('organisation') organisation: Organisation,
    @ValidQuery(UsageDataQuery) query: UsageDataQueryInput,
  ): Promise<UsageDataJson[]> {
    return this.analytics.usageData(organisation, query);
  }

  @Get('total-count')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(200, UsageTotalCountJson, 'SDK requests of the last 30 days')
  totalCount(@Permitted('organisation') organisation: Organisation): Promise<UsageTotalCountJson> {
    return this.analytics.totalCount(organisation);
  }
}

/** Flagsmith's FeatureViewSet.get_evaluation_data. */
@Controller('api/v1/projects/:project_pk/features/:id/evaluation-data')
export class FeatureEvaluationDataController {
  constructor(private readonly analytics: AnalyticsService) {}

  @Get()
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  @Responds(200, S.list(EvaluationDataJson), 'SDK-reported evaluations per UTC day, in day order')
  evaluationData(
    @Permitted('project') project: Project,
    @IdParam('id') featureId: number,
    @ValidQuery(EvaluationDataQuery) query: EvaluationDataQueryInput,
  ): Promise<EvaluationDataJson[]> {
    return this.analytics.evaluationData(project, featureId, query);
  }
}

/** Flagsmith's EnvironmentMetricsViewSet (environment admins) and FeatureLifecycleCountsAPIView (VIEW_ENVIRONMENT). */
@Controller('api/v1/environments')
export class EnvironmentAnalyticsController {
  constructor(private readonly analytics: AnalyticsService) {}

  @Get(':environment_api_key/metrics')
  @RequirePermission('environment', 'ADMIN', { param: 'environment_api_key' })
  @Responds(200, EnvironmentMetricsJson, 'Counts of features, enabled features and overrides')
  metrics(@Permitted('environment') environment: Environment): Promise<EnvironmentMetricsJson> {
    return this.analytics.environmentMetrics(environment);
  }

  @Get(':id/feature-lifecycle-counts')
  @RequirePermission('environment', 'VIEW_ENVIRONMENT', { param: 'id', by: 'id' })
  @Responds(
    200,
    LifecycleCountsJson,
    "Non-archived features of the environment's project per lifecycle stage",
  )
  lifecycleCounts(@Permitted('environment') environment: Environment): Promise<LifecycleCountsJson> {
    return this.analytics.lifecycleCounts(environment);
  }
}
