import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { type FieldErrors, ValidationFailed } from '../common/domain-errors';
import type { Project } from '../projects/project.entity';
import {
  Feature,
  FeatureState,
  MultivariateFeatureOption,
  MultivariateFeatureStateValue,
} from './feature.entity';
import { FeatureStateColumns, FeatureStatesRepository } from './feature-states.repository';
import {
  type MvValueInput,
  parseMvValues,
  rawValue,
  type StateChanges,
  TypedValue,
  typedValueFromInitial,
  type ValueForm,
  valueFormJson,
} from './feature-values';

export type { MvValueInput, StateChanges, ValueForm } from './feature-values';
export { MV_SUM_MESSAGE } from './feature-values';

/**
 * The feature-state value and multivariate logic shared by every feature-state writer (environment defaults here,
 * segment overrides in src/segments, identity overrides in src/identities). With a schema (feature-state.schemas.ts
 * reads the value fields with readStateValues in its body check, so the 400 comes before any write):
 *
 *   const { changes } = readStateValues(input, 'raw');                 // or 'typed'
 *   return this.uow.run(async (tx) => {
 *     const saved = await values.apply(tx.manager, state, changes);    // ValidationFailed: foreign options
 *     tx.environmentsChanged([state.environmentId]);
 *     tx.audit({ ... });
 *     const mv = await values.mvValuesByState(tx.manager, [saved.id]);
 *     return values.stateJson(saved, mv.get(saved.id) ?? [], 'raw');
 *   });
 *
 * New states: `initialValue(project, feature)` gives the value a state gets when none is sent.
 */
@Injectable()
export class FeatureStateValuesService {
  constructor(private readonly repository: FeatureStatesRepository) {}

  /** See parseMvValues in feature-values.ts. */
  parseMvValues(raw: unknown): ReturnType<typeof parseMvValues> {
    return parseMvValues(raw);
  }

  /**
   * Writes `changes` to `state` (which must be a loaded entity) with the caller's manager. The multivariate list
   * replaces the state's values: every option must belong to the state's feature, each at most once, sum ≤ 100.
   * Throws ValidationFailed (nothing written) when it does not hold. Does not audit or announce: the caller does.
   */
  async apply(manager: EntityManager, state: FeatureState, changes: StateChanges): Promise<FeatureState> {
    if (changes.mvValues) await this.checkMvValues(manager, state.featureId, changes.mvValues);
    let saved: FeatureState;
    if (state.id) {
      // Only the columns given (no lost update of a concurrent change to another column), then the stored row.
      const columns: FeatureStateColumns = { ...(changes.value ?? {}) };
      if (changes.enabled !== undefined) columns.enabled = changes.enabled;
      saved = await this.repository.update(manager, state.id, columns);
    } else {
      if (changes.enabled !== undefined) state.enabled = changes.enabled;
      if (changes.value) Object.assign(state, changes.value);
      const { feature: _f, environment: _e, identity: _i, featureSegment: _s, ...columns } = state;
      saved = await this.repository.insert(manager, columns);
    }
    if (changes.mvValues) await this.repository.replaceMvValues(manager, saved.id, changes.mvValues);
    return saved;
  }

  private async checkMvValues(manager: EntityManager, featureId: number, values: MvValueInput[]) {
    const ids = await this.repository.optionIdsOf(
      manager,
      featureId,
      values.map((mv) => mv.optionId),
    );
    const itemErrors = values.map((mv): FieldErrors =>
      ids.has(mv.optionId)
        ? {}
        : { multivariate_feature_option: [`Invalid pk "${mv.optionId}" - object does not exist.`] },
    );
    if (itemErrors.some((e) => Object.keys(e).length))
      throw new ValidationFailed({ multivariate_feature_state_values: itemErrors });
    if (new Set(values.map((mv) => mv.optionId)).size !== values.length)
      throw ValidationFailed.field(
        'non_field_errors',
        'The fields feature_state, multivariate_feature_option must make a unique set.',
      );
  }

  /**
   * Copies the MV values of each source state to its copy (`copies`: source state id → new state id): one SELECT and
   * one INSERT for any number of states (environment clone, identity clone).
   */
  async copyMvValues(manager: EntityManager, copies: ReadonlyMap<number, number>): Promise<void> {
    if (!copies.size) return;
    const rows = await this.repository.mvValues([...copies.keys()], manager);
    await this.repository.insertMvValues(
      manager,
      rows.map((mv) => ({
        featureStateId: copies.get(mv.featureStateId)!,
        multivariateFeatureOptionId: mv.multivariateFeatureOptionId,
        percentageAllocation: mv.percentageAllocation,
      })),
    );
  }

  /** The value a new state of `feature` gets when none is given (null when the project prevents flag defaults). */
  initialValue(
    project: Pick<Project, 'preventFlagDefaults'>,
    feature: Pick<Feature, 'initialValue'>,
  ): TypedValue {
    return project.preventFlagDefaults || feature.initialValue === null
      ? { valueType: 'unicode', stringValue: null, integerValue: null, booleanValue: null }
      : typedValueFromInitial(feature.initialValue);
  }

  /**
   * A new environment default state (not saved): enabled = default_enabled with the feature's initial value, or
   * disabled with no value when the project prevents flag defaults (Flagsmith's FeatureState defaults).
   */
  newDefaultState(
    manager: EntityManager,
    project: Pick<Project, 'preventFlagDefaults'>,
    feature: Pick<Feature, 'id' | 'defaultEnabled' | 'initialValue'>,
    environmentId: number,
  ): FeatureState {
    return Object.assign(new FeatureState(), {
      featureId: feature.id,
      environmentId,
      identityId: null,
      featureSegmentId: null,
      enabled: project.preventFlagDefaults ? false : feature.defaultEnabled,
      ...this.initialValue(project, feature),
    });
  }

  /**
   * The environment default states of a new feature, one per environment of the project (two INSERTs in all),
   * each with one MV value per option at its default allocation.
   */
  async createDefaultStates(
    manager: EntityManager,
    project: Project,
    feature: Feature,
    options: readonly MultivariateFeatureOption[],
  ): Promise<FeatureState[]> {
    const environmentIds = await this.repository.environmentIds(manager, project.id);
    return this.saveDefaultStates(
      manager,
      environmentIds.map((id) => this.newDefaultState(manager, project, feature, id)),
      options,
    );
  }

  /**
   * The default states of a new environment, one per given feature (two INSERTs in all), each with one MV value per
   * option of its feature at the option's default allocation.
   */
  async createEnvironmentDefaultStates(
    manager: EntityManager,
    project: Pick<Project, 'preventFlagDefaults'>,
    environmentId: number,
    features: readonly Feature[],
  ): Promise<FeatureState[]> {
    if (!features.length) return [];
    const options = await this.repository.options(
      manager,
      features.map((f) => f.id),
    );
    return this.saveDefaultStates(
      manager,
      features.map((feature) => this.newDefaultState(manager, project, feature, environmentId)),
      options,
    );
  }

  /** Saves new states and gives each one MV value per option of its feature (options' default allocations). */
  private async saveDefaultStates(
    manager: EntityManager,
    states: FeatureState[],
    options: readonly MultivariateFeatureOption[],
  ): Promise<FeatureState[]> {
    if (!states.length) return [];
    const saved = await this.repository.insertMany(manager, states);
    await this.repository.insertMvValues(
      manager,
      saved.flatMap((state) =>
        options
          .filter((o) => o.featureId === state.featureId)
          .map((o) => ({
            featureStateId: state.id,
            multivariateFeatureOptionId: o.id,
            percentageAllocation: o.defaultPercentageAllocation,
          })),
      ),
    );
    return saved;
  }

  /** MV values of many states in one query, ordered by id. */
  async mvValuesByState(
    manager: EntityManager,
    stateIds: readonly number[],
  ): Promise<Map<number, MultivariateFeatureStateValue[]>> {
    const out = new Map<number, MultivariateFeatureStateValue[]>();
    for (const row of await this.repository.mvValues(stateIds, manager)) {
      const list = out.get(row.featureStateId) ?? [];
      list.push(row);
      out.set(row.featureStateId, list);
    }
    return out;
  }

  /**
   * Flagsmith's feature-state body: `feature_state_value` raw (environment/identity endpoints) or in the typed form
   * (`/features/featurestates/`). `identity` defaults to the id; pass `{id, identifier}` for list views.
   */
  stateJson(
    state: FeatureState,
    mvValues: readonly MultivariateFeatureStateValue[],
    form: ValueForm,
    identity: number | { id: number; identifier: string } | null = state.identityId,
  ) {
    return {
      id: state.id,
      uuid: state.uuid,
      feature: state.featureId,
      enabled: state.enabled,
      feature_state_value: form === 'raw' ? rawValue(state) : valueFormJson(state),
      environment: state.environmentId,
      identity,
      feature_segment: state.featureSegmentId,
      multivariate_feature_state_values: mvValues.map(mvValueJson),
      live_from: state.liveFrom?.toISOString() ?? null,
      version: state.version,
      created_at: state.createdAt.toISOString(),
      updated_at: state.updatedAt.toISOString(),
      change_request: null,
      environment_feature_version: null,
      deleted_at: null,
    };
  }
}

/** Flagsmith's MultivariateFeatureStateValueSerializer: `{id, multivariate_feature_option, percentage_allocation}`. */
export function mvValueJson(mv: MultivariateFeatureStateValue) {
  return {
    id: mv.id,
    multivariate_feature_option: mv.multivariateFeatureOptionId,
    percentage_allocation: mv.percentageAllocation,
  };
}
