import { NotFound } from '../common/domain-errors';
import type { Environment } from '../environments/environment.entity';
import type { Organisation } from '../organisations/organisation.entity';
import type { Project } from '../projects/project.entity';
import type { UsageResource } from '../usage/usage.entity';
import type {
  AnalyticsRepository,
  DayCount,
  DayRange,
  EnvironmentStateCounts,
  ResourceDayCount,
  UsageScope,
} from './analytics.repository';
import { AnalyticsService, lastDays } from './analytics.service';

const NOW = Date.UTC(2024, 2, 31, 15, 0); // 2024-03-31 15:00 UTC
const inRange = (day: string, r: DayRange) => day >= r.from && day <= r.to;

/** AnalyticsRepository in memory: usage rows per environment, evaluations per environment and feature name. */
class InMemoryAnalytics {
  readonly environments = new Map<number, { projectId: number; organisationId: number }>();
  readonly features = new Map<number, { projectId: number; name: string }>();
  readonly requests: { environmentId: number; resource: UsageResource; day: string; count: number }[] = [];
  readonly evaluations: { environmentId: number; featureName: string; day: string; count: number }[] = [];
  counts: EnvironmentStateCounts = {
    features: 0,
    enabledFeatures: 0,
    segmentOverrides: 0,
    identityOverrides: 0,
  };
  tagCounts = { features: 0, permanent: 0 };
  readonly windows: DayRange[] = [];

  private covered(scope: UsageScope, environmentId: number): boolean {
    const env = this.environments.get(environmentId);
    return (
      !!env &&
      env.organisationId === scope.organisationId &&
      (scope.projectId === undefined || env.projectId === scope.projectId) &&
      (scope.environmentId === undefined || environmentId === scope.environmentId)
    );
  }
  requestsPerDay(scope: UsageScope, days: DayRange): Promise<ResourceDayCount[]> {
    this.windows.push(days);
    const sums = new Map<string, ResourceDayCount>();
    for (const r of this.requests) {
      if (!this.covered(scope, r.environmentId) || !inRange(r.day, days)) continue;
      const key = `${r.day}|${r.resource}`;
      sums.set(key, { day: r.day, resource: r.resource, count: (sums.get(key)?.count ?? 0) + r.count });
    }
    return Promise.resolve([...sums.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0)));
  }
  totalRequests(organisationId: number, days: DayRange): Promise<number> {
    this.windows.push(days);
    return Promise.resolve(
      this.requests
        .filter((r) => this.covered({ organisationId }, r.environmentId) && inRange(r.day, days))
        .reduce((n, r) => n + r.count, 0),
    );
  }
  evaluationsPerDay(environmentId: number, featureName: string, days: DayRange): Promise<DayCount[]> {
    this.windows.push(days);
    return Promise.resolve(
      this.evaluations
        .filter(
          (e) => e.environmentId === environmentId && e.featureName === featureName && inRange(e.day, days),
        )
        .map((e) => ({ day: e.day, count: e.count })),
    );
  }
  feature(projectId: number, featureId: number) {
    const f = this.features.get(featureId);
    return Promise.resolve(f && f.projectId === projectId ? { id: featureId, name: f.name } : null);
  }
  environmentInProject(projectId: number, environmentId: number) {
    return Promise.resolve(this.environments.get(environmentId)?.projectId === projectId);
  }
  environmentStateCounts() {
    return Promise.resolve(this.counts);
  }
  featureTagCounts() {
    return Promise.resolve(this.tagCounts);
  }
}

const organisation = { id: 1 } as Organisation;
const project = { id: 10, organisationId: 1 } as Project;
const environment = { id: 100, projectId: 10 } as Environment;

function setup() {
  const repo = new InMemoryAnalytics();
  repo.environments.set(100, { projectId: 10, organisationId: 1 });
  repo.environments.set(101, { projectId: 11, organisationId: 1 });
  repo.environments.set(200, { projectId: 20, organisationId: 2 });
  repo.features.set(5, { projectId: 10, name: 'checkout' });
  repo.features.set(6, { projectId: 20, name: 'checkout' });
  return { repo, service: new AnalyticsService(repo as unknown as AnalyticsRepository) };
}

describe('lastDays', () => {
  it('n days → the n UTC days ending today; 0 or fewer → an empty range', () => {
    expect(lastDays(NOW, 30)).toEqual({ from: '2024-03-02', to: '2024-03-31' });
    expect(lastDays(NOW, 1)).toEqual({ from: '2024-03-31', to: '2024-03-31' });
    const empty = lastDays(NOW, -5);
    expect(empty.from > empty.to).toBe(true);
  });

  it('a huge number of days → still a valid range, not a thrown RangeError', () => {
    expect(() => lastDays(NOW, 2_147_483_647)).not.toThrow();
  });
});

describe('AnalyticsService.usageData', () => {
  it('rows of one day → one entry with each resource, zeros for the others, in day order', async () => {
    const { repo, service } = setup();
    repo.requests.push(
      { environmentId: 100, resource: 'flags', day: '2024-03-31', count: 4 },
      { environmentId: 101, resource: 'flags', day: '2024-03-31', count: 1 },
      { environmentId: 100, resource: 'identities', day: '2024-03-31', count: 2 },
      { environmentId: 100, resource: 'traits', day: '2024-03-20', count: 3 },
      { environmentId: 200, resource: 'flags', day: '2024-03-31', count: 50 },
    );
    expect(await service.usageData(organisation, {}, NOW)).toEqual([
      { flags: 0, identities: 0, traits: 3, environment_document: 0, day: '2024-03-20', labels: {} },
      { flags: 5, identities: 2, traits: 0, environment_document: 0, day: '2024-03-31', labels: {} },
    ]);
  });

  it('no period → the last 30 days; 90_day_period → the last 90', async () => {
    const { repo, service } = setup();
    await service.usageData(organisation, {}, NOW);
    await service.usageData(organisation, { period: '90_day_period' }, NOW);
    expect(repo.windows).toEqual([lastDays(NOW, 30), { from: '2024-01-02', to: '2024-03-31' }]);
  });

  it('project_id / environment_id narrow the environments; 0 is no filter, as Flagsmith’s `if id:`', async () => {
    const { repo, service } = setup();
    repo.requests.push(
      { environmentId: 100, resource: 'flags', day: '2024-03-31', count: 4 },
      { environmentId: 101, resource: 'flags', day: '2024-03-31', count: 1 },
    );
    const flags = async (q: object) => (await service.usageData(organisation, q, NOW)).map((d) => d.flags);
    expect(await flags({ project_id: 11 })).toEqual([1]);
    expect(await flags({ environment_id: 100 })).toEqual([4]);
    expect(await flags({ project_id: 0, environment_id: 0 })).toEqual([5]);
    expect(await flags({ project_id: 20 })).toEqual([]);
  });

  it('a billing period → NotFound with Flagsmith’s message, before any read', async () => {
    const { repo, service } = setup();
    for (const period of ['current_billing_period', 'previous_billing_period'] as const) {
      const refused = service.usageData(organisation, { period }, NOW);
      await expect(refused).rejects.toEqual(new NotFound('No billing periods found for this organisation.'));
    }
    expect(repo.windows).toEqual([]);
  });

  it('a label filter → [] (no labels are recorded)', async () => {
    const { repo, service } = setup();
    repo.requests.push({ environmentId: 100, resource: 'flags', day: '2024-03-31', count: 4 });
    expect(await service.usageData(organisation, { client_application_name: 'web' }, NOW)).toEqual([]);
  });
});

describe('AnalyticsService.totalCount', () => {
  it('sums the organisation’s requests of the last 30 days only', async () => {
    const { repo, service } = setup();
    repo.requests.push(
      { environmentId: 100, resource: 'flags', day: '2024-03-31', count: 4 },
      { environmentId: 101, resource: 'traits', day: '2024-03-02', count: 1 },
      { environmentId: 100, resource: 'flags', day: '2024-03-01', count: 100 },
      { environmentId: 200, resource: 'flags', day: '2024-03-31', count: 100 },
    );
    expect(await service.totalCount(organisation, NOW)).toEqual({ count: 5 });
  });
});

describe('AnalyticsService.evaluationData', () => {
  it('evaluations of the feature (by name) in the environment over `period` days, labels {}', async () => {
    const { repo, service } = setup();
    repo.evaluations.push(
      { environmentId: 100, featureName: 'checkout', day: '2024-03-25', count: 3 },
      { environmentId: 100, featureName: 'checkout', day: '2024-03-31', count: 2 },
      { environmentId: 100, featureName: 'other', day: '2024-03-31', count: 9 },
    );
    expect(await service.evaluationData(project, 5, { environment_id: 100, period: 3 }, NOW)).toEqual([
      { day: '2024-03-31', count: 2, labels: {} },
    ]);
    expect(await service.evaluationData(project, 5, { environment_id: 100 }, NOW)).toHaveLength(2);
  });

  it('a feature or environment of another project → NotFound', async () => {
    const { service } = setup();
    await expect(service.evaluationData(project, 6, { environment_id: 100 }, NOW)).rejects.toBeInstanceOf(
      NotFound,
    );
    await expect(service.evaluationData(project, 5, { environment_id: 200 }, NOW)).rejects.toBeInstanceOf(
      NotFound,
    );
  });
});

describe('AnalyticsService.environmentMetrics and lifecycleCounts', () => {
  it('metrics → Flagsmith’s four default definitions in rank order with the counts', async () => {
    const { repo, service } = setup();
    repo.counts = { features: 3, enabledFeatures: 2, segmentOverrides: 1, identityOverrides: 4 };
    const { metrics } = await service.environmentMetrics(environment);
    expect(metrics.map((m) => [m.name, m.entity, m.rank, m.value])).toEqual([
      ['total_features', 'features', 1, 3],
      ['enabled_features', 'features', 2, 2],
      ['segment_overrides', 'segments', 3, 1],
      ['identity_overrides', 'identities', 4, 4],
    ]);
  });

  it('lifecycle → permanent-tagged features permanent, the rest new, the other stages 0', async () => {
    const { repo, service } = setup();
    repo.tagCounts = { features: 5, permanent: 2 };
    expect(await service.lifecycleCounts(environment)).toEqual({
      new: 3,
      live: 0,
      stale: 0,
      permanent: 2,
      needs_monitoring: 0,
      to_remove: 0,
    });
  });
});
