import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { BadRequest, NotFound, ValidationFailed } from '../common/domain-errors';
import { FakeUnitOfWork } from '../common/unit-of-work.fake';
import { FeatureHealthEvent, FeatureHealthProvider } from '../features/feature-health.entity';
import type { Project } from '../projects/project.entity';
import type { User } from '../users/user.entity';
import type {
  FeatureHealthRepository,
  NewEvent,
  NewProvider,
  ProviderRow,
} from './feature-health.repository';
import { FeatureHealthService } from './feature-health.service';

/** FeatureHealthRepository in memory, over one project's features and environments. */
class InMemoryHealth {
  readonly stored: FeatureHealthProvider[] = [];
  readonly events: FeatureHealthEvent[] = [];
  readonly features = new Map([
    ['checkout', { id: 5, projectId: 10 }],
    ['foreign', { id: 6, projectId: 20 }],
  ]);
  readonly environments = new Map([['Prod', { id: 100, projectId: 10 }]]);
  private nextId = 1;
  private clock = Date.UTC(2024, 0, 1);

  private row(p: FeatureHealthProvider): ProviderRow {
    return Object.assign(new FeatureHealthProvider(), p, {
      createdByEmail: p.createdById ? 'ann@example.com' : null,
    });
  }
  providers(projectId: number) {
    return Promise.resolve(this.stored.filter((p) => p.projectId === projectId).map((p) => this.row(p)));
  }
  provider(_m: EntityManager, id: number) {
    return Promise.resolve(this.row(this.stored.find((p) => p.id === id)!));
  }
  byToken(token: string) {
    return Promise.resolve(this.stored.find((p) => p.webhookToken === token) ?? null);
  }
  lockByName(_m: EntityManager, projectId: number, name: string) {
    return Promise.resolve(
      this.stored.find((p) => p.projectId === projectId && p.name.toLowerCase() === name.toLowerCase()) ??
        null,
    );
  }
  insertProvider(_m: EntityManager, fields: NewProvider) {
    if (this.stored.some((p) => p.projectId === fields.projectId && p.name === fields.name))
      return Promise.resolve(null);
    const p = Object.assign(new FeatureHealthProvider(), fields, { id: this.nextId++ });
    this.stored.push(p);
    return Promise.resolve(p);
  }
  deleteProvider(_m: EntityManager, id: number) {
    this.stored.splice(
      this.stored.findIndex((p) => p.id === id),
      1,
    );
    return Promise.resolve();
  }
  featureIdsByName(_m: EntityManager, projectId: number, names: readonly string[]) {
    const out = new Map<string, number>();
    for (const n of names) {
      const f = this.features.get(n);
      if (f && f.projectId === projectId) out.set(n, f.id);
    }
    return Promise.resolve(out);
  }
  environmentIdsByName(_m: EntityManager, projectId: number, names: readonly string[]) {
    const out = new Map<string, number>();
    for (const n of names) {
      const e = this.environments.get(n);
      if (e && e.projectId === projectId) out.set(n, e.id);
    }
    return Promise.resolve(out);
  }
  names(_m: EntityManager, featureId: number, environmentId: number | null) {
    const feature = [...this.features].find(([, f]) => f.id === featureId)![0];
    const environment = [...this.environments].find(([, e]) => e.id === environmentId)?.[0] ?? null;
    return Promise.resolve({ feature, environment });
  }
  insertEvents(_m: EntityManager, events: readonly NewEvent[]) {
    const saved = events.map((e) =>
      Object.assign(new FeatureHealthEvent(), { createdAt: new Date((this.clock += 1000)) }, e, {
        id: this.nextId++,
      }),
    );
    this.events.push(...saved);
    return Promise.resolve(saved);
  }
  /** The latest per (provider, environment, external id, feature): later created wins. */
  latestEvents() {
    const latest = new Map<string, FeatureHealthEvent>();
    for (const e of this.events) {
      const key = `${e.providerName}|${e.environmentId}|${e.externalId}|${e.featureId}`;
      const seen = latest.get(key);
      if (!seen || e.createdAt >= seen.createdAt) latest.set(key, e);
    }
    return Promise.resolve([...latest.values()]);
  }
}

const user = { id: 7, email: 'ann@example.com' } as User;
const principal: Principal = { kind: 'user', user, tokenKey: 'k' };
const project = { id: 10, name: 'Web', organisationId: 1 } as Project;

function setup() {
  const repo = new InMemoryHealth();
  const uow = new FakeUnitOfWork();
  const service = new FeatureHealthService(repo as unknown as FeatureHealthRepository, uow.asUnitOfWork());
  return { repo, uow, service };
}

async function webhookProvider(service: FeatureHealthService) {
  return service.createProvider(principal, project, { name: 'Webhook' });
}

describe('FeatureHealthService providers', () => {
  it('create → a 43-character token, the creator, one audit line; listed', async () => {
    const { uow, service } = setup();
    const p = await webhookProvider(service);
    expect(p).toMatchObject({
      name: 'Webhook',
      projectId: 10,
      createdById: 7,
      createdByEmail: 'ann@example.com',
    });
    expect(p.webhookToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(uow.committed[0].auditEntries.map((a) => a.log)).toEqual([
      'Health provider Webhook set up for project Web.',
    ]);
    expect((await service.providers(project)).map((x) => x.name)).toEqual(['Webhook']);
  });

  it('a second provider of the same name → ValidationFailed, nothing committed', async () => {
    const { repo, uow, service } = setup();
    await webhookProvider(service);
    await expect(webhookProvider(service)).rejects.toEqual(
      new ValidationFailed({ non_field_errors: ['The fields name, project must make a unique set.'] }),
    );
    expect(repo.stored).toHaveLength(1);
    expect(uow.committed).toHaveLength(1);
  });

  it('two providers never share a token', async () => {
    const { service } = setup();
    const a = await webhookProvider(service);
    const b = await service.createProvider(principal, project, { name: 'Grafana' });
    expect(a.webhookToken).not.toBe(b.webhookToken);
  });

  it('delete by name in any case → gone and audited; an unknown name → NotFound', async () => {
    const { repo, uow, service } = setup();
    await webhookProvider(service);
    await service.deleteProvider(principal, project, 'WEBHOOK');
    expect(repo.stored).toEqual([]);
    expect(uow.committed[1].auditEntries[0].log).toBe('Health provider Webhook removed from project Web.');
    await expect(service.deleteProvider(principal, project, 'Webhook')).rejects.toBeInstanceOf(NotFound);
  });

  it('providerForToken: an unknown or overlong token → NotFound', async () => {
    const { service } = setup();
    const p = await webhookProvider(service);
    expect((await service.providerForToken(p.webhookToken)).id).toBe(p.id);
    await expect(service.providerForToken('nope')).rejects.toBeInstanceOf(NotFound);
    await expect(service.providerForToken('x'.repeat(500))).rejects.toBeInstanceOf(NotFound);
  });
});

describe('FeatureHealthService.receive', () => {
  it('a Webhook event → one stored event for the feature in the named environment, reason as JSON, audited', async () => {
    const { repo, uow, service } = setup();
    const provider = await webhookProvider(service);
    const reason = { text_blocks: [{ text: 'down' }], url_blocks: [{ url: 'http://x', title: 'X' }] };
    await service.receive(provider, {
      feature: 'checkout',
      environment: 'Prod',
      status: 'unhealthy',
      reason,
    });
    expect(repo.events).toEqual([
      expect.objectContaining({
        featureId: 5,
        environmentId: 100,
        type: 'UNHEALTHY',
        providerName: 'Webhook',
        reason: JSON.stringify(reason),
        externalId: null,
      }),
    ]);
    expect(uow.committed[1].auditEntries[0].log).toBe(
      `Health status changed to UNHEALTHY for feature checkout in environment Prod.\n\nProvided by Webhook\n\nReason:\n${JSON.stringify(reason)}`,
    );
    expect(uow.committed[1].environmentIds.size + uow.committed[1].projectIds.size).toBe(0);
  });

  it('an unknown environment name → a project-wide event (environment null), as in Flagsmith', async () => {
    const { repo, service } = setup();
    const provider = await webhookProvider(service);
    await service.receive(provider, { feature: 'checkout', environment: 'Staging', status: 'healthy' });
    expect(repo.events[0]).toMatchObject({ environmentId: null, type: 'HEALTHY' });
  });

  it('a malformed payload → ValidationFailed; a feature of no match (or of another project) → BadRequest; nothing stored', async () => {
    const { repo, uow, service } = setup();
    const provider = await webhookProvider(service);
    await expect(service.receive(provider, { feature: 'checkout', status: 'sick' })).rejects.toBeInstanceOf(
      ValidationFailed,
    );
    await expect(service.receive(provider, [1])).rejects.toBeInstanceOf(ValidationFailed);
    await expect(service.receive(provider, { feature: 'nope', status: 'healthy' })).rejects.toBeInstanceOf(
      BadRequest,
    );
    await expect(service.receive(provider, { feature: 'foreign', status: 'healthy' })).rejects.toBeInstanceOf(
      BadRequest,
    );
    expect(repo.events).toEqual([]);
    expect(uow.committed).toHaveLength(1); // the provider only
  });

  it('Grafana: labelled alerts → events with fingerprint and alert times; unlabelled alerts are skipped', async () => {
    const { repo, service } = setup();
    const provider = await service.createProvider(principal, project, { name: 'Grafana' });
    const base = {
      annotations: { summary: 'slow', runbook_url: 'http://runbook' },
      generatorURL: 'http://g/1',
      startsAt: '2024-05-01T00:00:00Z',
      endsAt: '2024-05-02T00:00:00Z',
      fingerprint: 'fp1',
      dashboardURL: 'http://g/d',
    };
    await service.receive(provider, {
      alerts: [
        { ...base, status: 'resolved', labels: { flagsmith_feature: 'checkout' } },
        { ...base, status: 'firing', labels: { alertname: 'other' }, fingerprint: 'fp2' },
      ],
    });
    expect(repo.events).toHaveLength(1);
    expect(repo.events[0]).toMatchObject({
      type: 'HEALTHY',
      externalId: 'fp1',
      providerName: 'Grafana',
      createdAt: new Date('2024-05-02T00:00:00Z'),
    });
    expect(JSON.parse(repo.events[0].reason!)).toEqual({
      text_blocks: [
        { title: 'Alertmanager Alert', text: '' },
        { title: 'Summary', text: 'slow' },
      ],
      url_blocks: [
        { title: 'Alert', url: 'http://g/1' },
        { title: 'Dashboard', url: 'http://g/d' },
        { title: 'Runbook', url: 'http://runbook' },
      ],
    });
  });
});

describe('FeatureHealthService.dismiss', () => {
  it('an UNHEALTHY latest event → a HEALTHY successor naming who dismissed it; listed instead of it', async () => {
    const { repo, uow, service } = setup();
    const provider = await webhookProvider(service);
    const [event] = await service.receive(provider, { feature: 'checkout', status: 'unhealthy' });
    await service.dismiss(principal, project, event.id);
    const latest = await service.events(project);
    expect(latest).toHaveLength(1);
    expect(latest[0]).toMatchObject({
      type: 'HEALTHY',
      featureId: 5,
      environmentId: null,
      providerName: 'Webhook',
    });
    expect(JSON.parse(latest[0].reason!)).toEqual({
      text_blocks: [{ text: 'Manually dismissed by ann@example.com' }],
      url_blocks: [],
    });
    expect(repo.events).toHaveLength(2);
    expect(uow.committed.at(-1)!.auditEntries).toHaveLength(1);
  });

  it('a HEALTHY event → nothing written; an event that is not the latest, or unknown → NotFound', async () => {
    const { repo, service } = setup();
    const provider = await webhookProvider(service);
    const [first] = await service.receive(provider, { feature: 'checkout', status: 'unhealthy' });
    const [second] = await service.receive(provider, { feature: 'checkout', status: 'healthy' });
    await service.dismiss(principal, project, second.id);
    expect(repo.events).toHaveLength(2);
    await expect(service.dismiss(principal, project, first.id)).rejects.toBeInstanceOf(NotFound);
    await expect(service.dismiss(principal, project, 999)).rejects.toBeInstanceOf(NotFound);
  });
});
