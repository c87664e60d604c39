import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { NotFound, PermissionDenied, ValidationFailed } from '../common/domain-errors';
import { FakeUnitOfWork } from '../common/unit-of-work.fake';
import type { Environment } from '../environments/environment.entity';
import type { Identity } from '../identities/identity.entity';
import type { PermissionsService } from '../permissions/permissions.service';
import type { User } from '../users/user.entity';
import { Feature, FeatureSegment, FeatureState, MultivariateFeatureStateValue } from './feature.entity';
import { FEATURE_STATE_CHANGED, FeatureStateWebhookEvents } from './feature-state-webhook';
import { FeatureStateValuesService } from './feature-state-values.service';
import type {
  FeatureStateColumns,
  FeatureStatesRepository,
  NewFeatureState,
} from './feature-states.repository';
import { FeatureStatesService } from './feature-states.service';
import type { MvValueInput } from './feature-values';

const at = new Date('2024-01-01T00:00:00Z');

/** FeatureStatesRepository in memory: states, features, options, MV values; locks recorded. */
class InMemoryStates {
  readonly states = new Map<number, FeatureState>();
  readonly features = new Map<number, Feature>();
  readonly segments = new Map<number, FeatureSegment & { name: string }>();
  readonly options = new Map<number, number>(); // option id → feature id
  mv: MultivariateFeatureStateValue[] = [];
  readonly locked: number[] = [];
  private nextId = 100;

  addState(fields: Partial<FeatureState>): FeatureState {
    const state = Object.assign(new FeatureState(), {
      id: this.nextId++,
      uuid: `uuid-${this.nextId}`,
      identityId: null,
      featureSegmentId: null,
      enabled: true,
      valueType: 'unicode',
      stringValue: null,
      integerValue: null,
      booleanValue: null,
      liveFrom: null,
      version: 1,
      createdAt: at,
      updatedAt: at,
      ...fields,
    });
    this.states.set(state.id, state);
    return state;
  }
  private copy(state: FeatureState | undefined) {
    return state ? Object.assign(new FeatureState(), state) : null;
  }
  reader() {
    return {} as EntityManager;
  }
  environmentState(environmentId: number, id: number) {
    const s = this.states.get(id);
    const ok = s && s.environmentId === environmentId && s.identityId === null && s.featureSegmentId === null;
    return Promise.resolve(ok ? this.copy(s) : null);
  }
  find(id: number) {
    return Promise.resolve(this.copy(this.states.get(id)));
  }
  feature(id: number) {
    return Promise.resolve(this.features.get(id) ?? null);
  }
  featureSegment(id: number) {
    return Promise.resolve(this.segments.get(id) ?? null);
  }
  readonly identityRows = new Map<number, Identity>();
  identity(id: number) {
    return Promise.resolve(this.identityRows.get(id) ?? null);
  }
  identityByIdentifier(environmentId: number, identifier: string) {
    const found = [...this.identityRows.values()].find(
      (i) => i.environmentId === environmentId && i.identifier === identifier,
    );
    return Promise.resolve(found ?? null);
  }
  identities() {
    return Promise.resolve([]);
  }
  segmentName(_m: EntityManager, featureSegmentId: number) {
    return Promise.resolve(this.segments.get(featureSegmentId)?.name ?? '');
  }
  lock(_m: EntityManager, id: number) {
    this.locked.push(id);
    return Promise.resolve(this.copy(this.states.get(id)));
  }
  insert(_m: EntityManager, fields: NewFeatureState) {
    // The database fills what the new row does not name (id, uuid, timestamps).
    const given = Object.entries(fields).filter(([, v]) => v !== undefined);
    return Promise.resolve(this.copy(this.addState(Object.fromEntries(given)))!);
  }
  update(_m: EntityManager, id: number, columns: FeatureStateColumns) {
    return Promise.resolve(this.copy(Object.assign(this.states.get(id)!, columns))!);
  }
  optionIdsOf(_m: EntityManager, featureId: number, ids: readonly number[]) {
    return Promise.resolve(new Set(ids.filter((id) => this.options.get(id) === featureId)));
  }
  mvValues(stateIds: readonly number[]) {
    return Promise.resolve(this.mv.filter((v) => stateIds.includes(v.featureStateId)));
  }
  /** Whether the environment has an enabled webhook (environment or organisation). */
  followed = true;
  webhooksFollow() {
    return Promise.resolve(this.followed);
  }
  webhookContext() {
    return Promise.resolve({ identifier: null, segment: null });
  }
  optionsById() {
    return Promise.resolve(new Map());
  }
  replaceMvValues(_m: EntityManager, stateId: number, values: readonly MvValueInput[]) {
    this.mv = [
      ...this.mv.filter((v) => v.featureStateId !== stateId),
      ...values.map((v, i) =>
        Object.assign(new MultivariateFeatureStateValue(), {
          id: 1000 + i,
          featureStateId: stateId,
          multivariateFeatureOptionId: v.optionId,
          percentageAllocation: v.percentageAllocation,
        }),
      ),
    ];
    return Promise.resolve();
  }
}

const user = {
  kind: 'user',
  user: { id: 7, email: 'editor@example.com' } as User,
  tokenKey: 'k',
} as Principal;
const env = {
  id: 5,
  projectId: 2,
  project: { id: 2, name: 'p', organisationId: 1, preventFlagDefaults: true },
} as unknown as Environment;

function setup() {
  const repo = new InMemoryStates();
  repo.features.set(
    1,
    Object.assign(new Feature(), {
      id: 1,
      name: 'flag',
      projectId: 2,
      initialValue: null,
      createdDate: new Date(0),
    }),
  );
  repo.features.set(
    3,
    Object.assign(new Feature(), {
      id: 3,
      name: 'mv',
      projectId: 2,
      initialValue: null,
      createdDate: new Date(0),
    }),
  );
  repo.options.set(31, 3).set(32, 3).set(41, 4);
  const flag = repo.addState({ featureId: 1, environmentId: 5, stringValue: 'hello' });
  const mv = repo.addState({ featureId: 3, environmentId: 5, stringValue: 'control' });
  repo.segments.set(
    9,
    Object.assign(new FeatureSegment(), { id: 9, featureId: 3, environmentId: 5, name: 'pros' }),
  );
  const uow = new FakeUnitOfWork();
  const permissions = {
    requireEnvironment: () => Promise.resolve(env),
  } as unknown as PermissionsService;
  const states = repo as unknown as FeatureStatesRepository;
  const service = new FeatureStatesService(
    states,
    uow.asUnitOfWork(),
    permissions,
    new FeatureStateValuesService(states),
    new FeatureStateWebhookEvents(states),
  );
  return { repo, uow, service, flag, mv };
}

describe('FeatureStatesService', () => {
  it('an environment state update writes only the value sent, on the locked row, before from that row', async () => {
    const { repo, uow, service, flag } = setup();
    // Another writer disabled the flag after the controller's guard ran.
    repo.states.get(flag.id)!.enabled = false;
    const json = await service.updateEnvironmentState(user, env, flag.id, { feature_state_value: 7 });
    expect(json).toMatchObject({ id: flag.id, enabled: false, feature_state_value: 7 });
    expect(repo.states.get(flag.id)).toMatchObject({ enabled: false, valueType: 'int', integerValue: 7 });
    expect(repo.locked).toEqual([flag.id]);
    const [record] = uow.committed;
    expect([...record.environmentIds]).toEqual([5]);
    expect(record.auditEntries.map((e) => e.log)).toEqual(['Remote config value updated for feature: flag']);
    expect(record.auditEntries[0].before).toMatchObject({ enabled: false, feature_state_value: 'hello' });
  });

  it('an environment state update → enqueues FLAG_UPDATED with the new and previous state for the webhooks', async () => {
    const { uow, service, flag } = setup();
    await service.updateEnvironmentState(user, env, flag.id, { enabled: false });
    const [job] = uow.committed[0].jobs;
    expect(job.kind).toBe(FEATURE_STATE_CHANGED);
    expect(job.payload).toMatchObject({
      environment_id: 5,
      event_type: 'FLAG_UPDATED',
      data: {
        new_state: { enabled: false, feature_state_value: 'hello', environment: { id: 5 } },
        previous_state: { enabled: true, feature_state_value: 'hello' },
        changed_by: 'editor@example.com',
      },
    });
  });

  it('an environment state update with no webhook following → no job, the write still lands', async () => {
    const { repo, uow, service, flag } = setup();
    repo.followed = false;
    await service.updateEnvironmentState(user, env, flag.id, { enabled: false });
    expect(repo.states.get(flag.id)!.enabled).toBe(false);
    expect(uow.committed[0].jobs).toEqual([]);
  });

  it('an environment state update naming another feature is refused and writes nothing', async () => {
    const { repo, uow, service, flag } = setup();
    await expect(
      service.updateEnvironmentState(user, env, flag.id, { feature: 3, enabled: false }),
    ).rejects.toEqual(ValidationFailed.field('feature', 'Cannot change the feature of a feature state'));
    expect(repo.states.get(flag.id)!.enabled).toBe(true);
    expect(uow.committed).toEqual([]);
  });

  it('an environment state update of an override or unknown id is NotFound', async () => {
    const { repo, service } = setup();
    const override = repo.addState({ featureId: 1, environmentId: 5, identityId: 8 });
    for (const id of [override.id, 999])
      await expect(service.updateEnvironmentState(user, env, id, { enabled: false })).rejects.toBeInstanceOf(
        NotFound,
      );
  });

  it('an MV list naming an option of another feature is refused per item and changes nothing', async () => {
    const { repo, uow, service, mv } = setup();
    const attempt = service.updateEnvironmentState(user, env, mv.id, {
      enabled: false,
      multivariate_feature_state_values: [
        { multivariate_feature_option: 31, percentage_allocation: 10 },
        { multivariate_feature_option: 41, percentage_allocation: 10 },
      ],
    });
    await expect(attempt).rejects.toEqual(
      new ValidationFailed({
        multivariate_feature_state_values: [
          {},
          { multivariate_feature_option: ['Invalid pk "41" - object does not exist.'] },
        ],
      }),
    );
    expect(repo.mv).toEqual([]);
    expect(uow.committed).toEqual([]);
  });

  it('a typed update whose allocations exceed 100% is refused with the non-field message', async () => {
    const { uow, service, mv } = setup();
    const { state } = await service.anyState(user, mv.id);
    await expect(
      service.update(user, env, state, {
        multivariate_feature_state_values: [
          { multivariate_feature_option: 31, percentage_allocation: 70 },
          { multivariate_feature_option: 32, percentage_allocation: 40 },
        ],
      }),
    ).rejects.toEqual(
      ValidationFailed.field('non_field_errors', 'Multivariate percentage values exceed 100%.'),
    );
    expect(uow.committed).toEqual([]);
  });

  it('create of a segment override stores the typed value and MV values and audits the creation', async () => {
    const { repo, uow, service } = setup();
    const json = await service.create(user, {
      feature: 3,
      environment: 5,
      feature_segment: 9,
      enabled: true,
      feature_state_value: { type: 'int', integer_value: 12 },
      multivariate_feature_state_values: [{ multivariate_feature_option: 31, percentage_allocation: 100 }],
    });
    expect(json).toMatchObject({
      feature: 3,
      feature_segment: 9,
      enabled: true,
      feature_state_value: { type: 'int', integer_value: 12, string_value: null, boolean_value: null },
      multivariate_feature_state_values: [{ multivariate_feature_option: 31, percentage_allocation: 100 }],
    });
    expect(repo.states.get(json.id)).toMatchObject({
      featureSegmentId: 9,
      valueType: 'int',
      integerValue: 12,
    });
    expect(uow.committed[0].auditEntries.map((e) => [e.log, e.before])).toEqual([
      ["Segment override created for feature 'mv' and segment 'pros'", null],
    ]);
    expect([...uow.committed[0].environmentIds]).toEqual([5]);
  });

  it('create with a feature segment of another feature is refused before any write', async () => {
    const { repo, uow, service } = setup();
    const count = repo.states.size;
    await expect(service.create(user, { feature: 1, environment: 5, feature_segment: 9 })).rejects.toEqual(
      ValidationFailed.field('non_field_errors', 'Feature Segment does not belong to feature.'),
    );
    expect(repo.states.size).toBe(count);
    expect(uow.committed).toEqual([]);
  });

  describe('createInEnvironment (POST /environments/{key}/featurestates/)', () => {
    function withNewFeature() {
      const ctx = setup();
      ctx.repo.features.set(
        6,
        Object.assign(new Feature(), {
          id: 6,
          name: 'fresh',
          projectId: 2,
          initialValue: null,
          createdDate: new Date(0),
        }),
      );
      return ctx;
    }

    it('a feature with no state here gets one with the raw value sent, audited as created and announced', async () => {
      const { repo, uow, service } = withNewFeature();
      const json = await service.createInEnvironment(user, env, {
        feature: 6,
        enabled: true,
        feature_state_value: 12,
      });
      expect(json).toMatchObject({
        feature: 6,
        environment: 5,
        enabled: true,
        feature_state_value: 12,
        identity: null,
      });
      const stored = [...repo.states.values()].find((s) => s.featureId === 6);
      expect(stored).toMatchObject({ enabled: true, valueType: 'int', integerValue: 12, identityId: null });
      const [record] = uow.committed;
      expect([...record.environmentIds]).toEqual([5]);
      expect(record.auditEntries.map((e) => e.log)).toEqual(['New Flag / Remote Config created: fresh']);
      expect(record.auditEntries[0].before).toBeNull();
    });

    it.each([
      ['missing', undefined],
      ['unknown', 99],
    ])(
      'a %s feature is PermissionDenied (Flagsmith cannot find it to check tags) and writes nothing',
      async (_what, feature) => {
        const { repo, uow, service } = withNewFeature();
        const count = repo.states.size;
        await expect(
          service.createInEnvironment(user, env, { feature, enabled: true }),
        ).rejects.toBeInstanceOf(PermissionDenied);
        expect(repo.states.size).toBe(count);
        expect(uow.committed).toEqual([]);
      },
    );

    it('a feature of another project is PermissionDenied', async () => {
      const { repo, service } = withNewFeature();
      repo.features.set(
        8,
        Object.assign(new Feature(), {
          id: 8,
          name: 'theirs',
          projectId: 99,
          initialValue: null,
          createdDate: new Date(0),
        }),
      );
      await expect(service.createInEnvironment(user, env, { feature: 8 })).rejects.toBeInstanceOf(
        PermissionDenied,
      );
    });

    it('an identifier of the environment makes an identity override; an unknown one is "Invalid identifier"', async () => {
      const { repo, service } = withNewFeature();
      repo.identityRows.set(
        44,
        Object.assign({} as Identity, { id: 44, environmentId: 5, identifier: 'ann' }),
      );
      const json = await service.createInEnvironment(user, env, {
        feature: 6,
        identifier: 'ann',
        enabled: true,
      });
      expect(json).toMatchObject({ feature: 6, identity: 44, enabled: true });
      await expect(service.createInEnvironment(user, env, { feature: 6, identifier: 'bob' })).rejects.toEqual(
        ValidationFailed.field('non_field_errors', 'Invalid identifier'),
      );
    });

    it("an identity of another environment is refused with Flagsmith's message", async () => {
      const { repo, service } = withNewFeature();
      repo.identityRows.set(45, Object.assign({} as Identity, { id: 45, environmentId: 6, identifier: 'x' }));
      await expect(service.createInEnvironment(user, env, { feature: 6, identity: 45 })).rejects.toEqual(
        ValidationFailed.field('non_field_errors', 'Identity does not exist in environment.'),
      );
    });
  });
});
