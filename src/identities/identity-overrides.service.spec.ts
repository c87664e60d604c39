import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { BadRequest, ValidationFailed } from '../common/domain-errors';
import { FakeUnitOfWork } from '../common/unit-of-work.fake';
import { Environment } from '../environments/environment.entity';
import { FeatureStateValuesService, StateChanges } from '../features/feature-state-values.service';
import type { FeatureStateWebhookEvents } from '../features/feature-state-webhook';
import type { FeatureStatesRepository } from '../features/feature-states.repository';
import { Feature, FeatureState } from '../features/feature.entity';
import type { IdentityOverridesRepository } from './identity-overrides.repository';
import { IdentityOverridesService } from './identity-overrides.service';
import { Identity } from './identity.entity';

/** FeatureStateValuesService's pure parts as they are; its write (`apply`) in memory. */
class InMemoryValues extends FeatureStateValuesService {
  readonly states = new Map<number, FeatureState>();
  private nextId = 100;
  constructor() {
    // The overridden write and the pure parts need no repository.
    super(undefined as unknown as FeatureStatesRepository);
  }
  override apply(_m: EntityManager, state: FeatureState, changes: StateChanges): Promise<FeatureState> {
    const row = state.id ? this.states.get(state.id)! : Object.assign(state, { id: this.nextId++ });
    if (changes.enabled !== undefined) row.enabled = changes.enabled;
    if (changes.value) Object.assign(row, changes.value);
    this.states.set(row.id, row);
    return Promise.resolve(Object.assign(new FeatureState(), row));
  }
}

/** IdentityOverridesRepository in memory over the same states. */
class InMemoryOverrides {
  readonly features = new Map<number, Feature>();
  constructor(private readonly values: InMemoryValues) {}
  find(identityId: number, id: number) {
    const row = this.values.states.get(id);
    return Promise.resolve(
      row && row.identityId === identityId
        ? Object.assign(new FeatureState(), row, { feature: this.features.get(row.featureId) })
        : null,
    );
  }
  lock(_m: EntityManager, identityId: number, id: number) {
    return this.find(identityId, id);
  }
  featureOfProject(projectId: number, featureId: number) {
    const feature = this.features.get(featureId);
    return Promise.resolve(feature && feature.projectId === projectId ? feature : null);
  }
  lockPairAndCheck(_m: EntityManager, featureId: number, identityId: number) {
    return Promise.resolve(
      [...this.values.states.values()].some((s) => s.featureId === featureId && s.identityId === identityId),
    );
  }
  newOverride(_m: EntityManager, fields: Partial<FeatureState>) {
    const now = new Date('2024-01-01T00:00:00Z');
    return Object.assign(
      new FeatureState(),
      { featureSegmentId: null, createdAt: now, updatedAt: now },
      fields,
    );
  }
  mvValues() {
    return Promise.resolve(new Map());
  }
  delete(_m: EntityManager, id: number) {
    this.values.states.delete(id);
    return Promise.resolve();
  }
}

/** FeatureStateWebhookEvents recording the flag events each write asked for (the payload is its own spec's). */
class RecordingWebhookEvents {
  readonly events: { event: 'updated' | 'deleted'; stateId: number; enabled: boolean; previous?: unknown }[] =
    [];
  before(_tx: unknown, state: FeatureState) {
    return Promise.resolve({ enabled: state.enabled });
  }
  updated(_tx: unknown, _e: unknown, _p: unknown, _f: unknown, saved: FeatureState, previous: unknown) {
    this.events.push({ event: 'updated', stateId: saved.id, enabled: saved.enabled, previous });
    return Promise.resolve();
  }
  deleted(_tx: unknown, _e: unknown, _p: unknown, _f: unknown, state: FeatureState) {
    this.events.push({ event: 'deleted', stateId: state.id, enabled: state.enabled });
    return Promise.resolve();
  }
}

const principal = { kind: 'master_key', key: { id: 1 } } as Principal;
const environment = Object.assign(new Environment(), {
  id: 4,
  projectId: 2,
  project: { organisationId: 1, preventFlagDefaults: true },
});
const identity = Object.assign(new Identity(), { id: 9, identifier: 'alice', environmentId: 4 });

function setup() {
  const values = new InMemoryValues();
  const repo = new InMemoryOverrides(values);
  repo.features.set(
    1,
    Object.assign(new Feature(), { id: 1, name: 'banner', projectId: 2, initialValue: null }),
  );
  repo.features.set(
    2,
    Object.assign(new Feature(), { id: 2, name: 'foreign', projectId: 3, initialValue: null }),
  );
  const uow = new FakeUnitOfWork();
  const webhookEvents = new RecordingWebhookEvents();
  const service = new IdentityOverridesService(
    repo as unknown as IdentityOverridesRepository,
    values,
    uow.asUnitOfWork(),
    webhookEvents as unknown as FeatureStateWebhookEvents,
  );
  return { values, uow, service, webhookEvents };
}

describe('IdentityOverridesService', () => {
  it('create stores the override with its raw value, bumps the environment and audits it', async () => {
    const { uow, service } = setup();
    const json = await service.create(principal, environment, identity, {
      feature: '1',
      enabled: 'yes',
      feature_state_value: 42,
    });
    expect(json).toMatchObject({ feature: 1, enabled: true, feature_state_value: 42, identity: 9 });
    expect([...uow.committed[0].environmentIds]).toEqual([4]);
    expect(uow.committed[0].identities.size).toBe(0);
    expect(uow.committed[0].auditEntries[0]).toMatchObject({
      log: "Identity override created for feature 'banner' and identity 'alice'",
      relatedObjectType: 'FEATURE_STATE',
    });
  });

  it('create, update and remove → one flag event each: updated (no previous), updated (previous), deleted', async () => {
    const { service, webhookEvents } = setup();
    const created = await service.create(principal, environment, identity, { feature: 1, enabled: false });
    await service.update(principal, environment, identity, created.id, { enabled: true });
    await service.remove(principal, environment, identity, created.id);
    expect(webhookEvents.events).toEqual([
      { event: 'updated', stateId: created.id, enabled: false, previous: null },
      { event: 'updated', stateId: created.id, enabled: true, previous: { enabled: false } },
      { event: 'deleted', stateId: created.id, enabled: true },
    ]);
  });

  it('create answers Flagsmith’s messages for a missing, mistyped or foreign feature, before any write', async () => {
    const { uow, service } = setup();
    await expect(service.create(principal, environment, identity, {})).rejects.toEqual(
      new BadRequest('Feature not provided'),
    );
    await expect(service.create(principal, environment, identity, { feature: 'one' })).rejects.toEqual(
      ValidationFailed.field('feature', 'Incorrect type. Expected pk value, received string.'),
    );
    await expect(service.create(principal, environment, identity, { feature: 2 })).rejects.toEqual(
      ValidationFailed.field('feature', 'Invalid pk "2" - object does not exist.'),
    );
    expect(uow.committed).toEqual([]);
  });

  it('create answers every value error together, and refuses a second override of the feature', async () => {
    const { values, service } = setup();
    const attempt = service.create(principal, environment, identity, {
      feature: 1,
      enabled: 'maybe',
      multivariate_feature_state_values: 'x',
    });
    await expect(attempt).rejects.toEqual(
      new ValidationFailed({
        enabled: ['Must be a valid boolean.'],
        multivariate_feature_state_values: {
          non_field_errors: ['Expected a list of items but got type "str".'],
        },
      }),
    );
    await service.create(principal, environment, identity, { feature: 1 });
    await expect(service.create(principal, environment, identity, { feature: 1 })).rejects.toEqual(
      new ValidationFailed({
        non_field_errors: ['Feature state already exists for this environment and identity'],
      }),
    );
    expect(values.states.size).toBe(1);
  });

  it('update refuses another feature and audits the locked override as before', async () => {
    const { values, uow, service } = setup();
    const created = await service.create(principal, environment, identity, { feature: 1, enabled: false });
    await expect(
      service.update(principal, environment, identity, created.id, { feature: 2, enabled: true }),
    ).rejects.toEqual(ValidationFailed.field('feature', 'Cannot change the feature of a feature state'));
    values.states.get(created.id)!.stringValue = 'meanwhile';
    const json = await service.update(principal, environment, identity, created.id, { enabled: true });
    expect(json.enabled).toBe(true);
    expect(uow.committed[1].auditEntries[0]).toMatchObject({
      before: { enabled: false, feature_state_value: 'meanwhile' },
      after: { enabled: true },
    });
    expect([...uow.committed[1].environmentIds]).toEqual([4]);
  });
});
