import { BadRequestException, Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import { BodyReader, isPlainObject, MESSAGES, toInteger } from '../common/validation';
import { Environment } from '../environments/environment.entity';
import { Project } from '../projects/project.entity';
import {
  Feature,
  FeatureState,
  MultivariateFeatureOption,
  MultivariateFeatureStateValue,
} from './feature.entity';
import {
  rawValue,
  TypedValue,
  typedValueFromForm,
  typedValueFromInitial,
  typedValueFromRaw,
  valueFormJson,
} from './feature-values';

/** One `multivariate_feature_state_values` item: an option's share of a state. */
export interface MvValueInput {
  readonly optionId: number;
  readonly percentageAllocation: number;
}

/** What a feature-state write may change; absent members are left as they are. */
export interface StateChanges {
  enabled?: boolean;
  value?: TypedValue;
  /** The complete list: options not listed lose their value row (Flagsmith's nested-serializer semantics). */
  mvValues?: MvValueInput[];
}

/** DRF-shaped errors that may nest (`{"feature_state_value": {"type": [...]}}`, per-item lists). */
export type NestedErrors = Record<string, unknown>;

/** `raw`: `feature_state_value` is a bare JSON value; `typed`: `{type, string_value, integer_value, boolean_value}`. */
export type ValueForm = 'raw' | 'typed';

/** Throws 400 with the reader's field errors merged with nested ones, if there are any. */
export function assertNoErrors(v: BodyReader, nested: NestedErrors = {}): void {
  const all: NestedErrors = { ...v.errors, ...nested };
  if (Object.keys(all).length) throw new BadRequestException(all);
}

export const MV_SUM_MESSAGE = 'Multivariate percentage values exceed 100%.';

/** Python's name for a JSON value's type, as DRF puts it in "received …" messages. */
function pythonTypeName(value: unknown): string {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return 'dict';
}

/**
 * The feature-state value and multivariate logic shared by every feature-state writer (environment defaults here,
 * segment overrides in src/segments, identity overrides in src/identities). Typical use inside the caller's
 * transaction:
 *
 *   const v = new BodyReader(body, { partial: true });
 *   const { changes, errors } = values.readChanges(v, 'raw');        // or 'typed'
 *   assertNoErrors(v, errors);                                          // 400 before any write
 *   await dataSource.transaction(async (manager) => {
 *     const saved = await values.apply(manager, state, changes);       // 400 on foreign options / sum > 100
 *     await environmentChanges.environmentsChanged(manager, [state.environmentId]);
 *     await audit.record(manager, { ... });
 *     const mv = await values.mvValuesByState(manager, [saved.id]);
 *     return values.stateJson(saved, mv.get(saved.id) ?? [], 'raw');
 *   });
 *
 * New states: `initialValue(project, feature)` gives the value a state gets when none is sent.
 */
@Injectable()
export class FeatureStateValuesService {
  /** Reads `enabled`, `feature_state_value` and `multivariate_feature_state_values` (each optional). */
  readChanges(v: BodyReader, form: ValueForm): { changes: StateChanges; errors: NestedErrors } {
    const errors: NestedErrors = {};
    const changes: StateChanges = {};
    const enabled = v.boolean('enabled', { optional: true });
    if (enabled !== undefined) changes.enabled = enabled;
    const raw = v.raw('feature_state_value');
    if (raw !== undefined) {
      if (form === 'raw') {
        const result = typedValueFromRaw(raw);
        // Flagsmith answers raw-value errors with the value serializer's own (top-level) errors.
        if (result.ok) changes.value = result.value;
        else Object.assign(errors, result.errors);
      } else if (raw !== null) {
        const result = typedValueFromForm(raw);
        if (result.ok) changes.value = result.value;
        else errors.feature_state_value = result.errors;
      } else {
        changes.value = { valueType: 'unicode', stringValue: null, integerValue: null, booleanValue: null };
      }
    }
    const mv = this.parseMvValues(v.raw('multivariate_feature_state_values'));
    if (mv.errors !== undefined) errors.multivariate_feature_state_values = mv.errors;
    // Flagsmith checks the sum in the state serializer's validate(): a top-level non-field error.
    else if (mv.nonFieldErrors !== undefined) errors.non_field_errors = mv.nonFieldErrors;
    else if (mv.values !== undefined) changes.mvValues = mv.values;
    return { changes, errors };
  }

  /**
   * Structural checks of a `multivariate_feature_state_values` list (absent/null → `values` undefined): `errors`
   * belong under the list's field, `nonFieldErrors` (allocations over 100 %) at the top level.
   */
  parseMvValues(raw: unknown): { values?: MvValueInput[]; errors?: unknown; nonFieldErrors?: string[] } {
    if (raw === undefined || raw === null) return {};
    if (!Array.isArray(raw)) {
      return { errors: { non_field_errors: [MESSAGES.list(raw)] } };
    }
    const values: MvValueInput[] = [];
    const itemErrors: Record<string, string[]>[] = [];
    let failed = false;
    for (const item of raw) {
      const e: Record<string, string[]> = {};
      if (!isPlainObject(item)) {
        e.non_field_errors = [MESSAGES.object(item)];
      } else {
        const option = toInteger(item.multivariate_feature_option);
        if (item.multivariate_feature_option === undefined || item.multivariate_feature_option === null)
          e.multivariate_feature_option = ['This field is required.'];
        else if (option === undefined || option < 1)
          e.multivariate_feature_option = [
            `Incorrect type. Expected pk value, received ${pythonTypeName(item.multivariate_feature_option)}.`,
          ];
        const pct = item.percentage_allocation;
        let n: number | undefined;
        if (pct === undefined || pct === null) e.percentage_allocation = ['This field is required.'];
        else {
          n =
            typeof pct === 'number' ? pct : typeof pct === 'string' && pct.trim() !== '' ? Number(pct) : NaN;
          if (!Number.isFinite(n)) e.percentage_allocation = ['A valid number is required.'];
          else if (n < 0) e.percentage_allocation = ['Ensure this value is greater than or equal to 0.'];
          else if (n > 100) e.percentage_allocation = ['Ensure this value is less than or equal to 100.'];
        }
        if (!Object.keys(e).length) values.push({ optionId: option!, percentageAllocation: n! });
      }
      if (Object.keys(e).length) failed = true;
      itemErrors.push(e);
    }
    if (failed) return { errors: itemErrors };
    const total = values.reduce((sum, mv) => sum + mv.percentageAllocation, 0);
    if (total > 100 + 1e-9) return { nonFieldErrors: [MV_SUM_MESSAGE] };
    return { values };
  }

  /**
   * Writes `changes` to `state` (which must be a loaded entity) with the caller's manager. The multivariate list
   * replaces the state's values: every option must belong to the state's feature, each at most once, sum ≤ 100.
   * Throws 400 (nothing written) when it does not hold. Does not audit or bump environments: the caller does.
   */
  async apply(manager: EntityManager, state: FeatureState, changes: StateChanges): Promise<FeatureState> {
    if (changes.mvValues) await this.checkMvValues(manager, state.featureId, changes.mvValues);
    const repo = manager.getRepository(FeatureState);
    let saved: FeatureState;
    if (state.id) {
      // Only the columns given (no lost update of a concurrent change to another column), then the stored row.
      const columns: Partial<FeatureState> = { ...(changes.value ?? {}) };
      if (changes.enabled !== undefined) columns.enabled = changes.enabled;
      if (Object.keys(columns).length) await repo.update({ id: state.id }, columns);
      saved = await repo.findOneByOrFail({ id: state.id });
    } else {
      if (changes.enabled !== undefined) state.enabled = changes.enabled;
      if (changes.value) Object.assign(state, changes.value);
      const { feature: _f, environment: _e, identity: _i, featureSegment: _s, ...columns } = state;
      saved = await repo.save(repo.create(columns));
    }
    if (changes.mvValues) await this.replaceMvValues(manager, saved.id, changes.mvValues);
    return saved;
  }

  private async checkMvValues(manager: EntityManager, featureId: number, values: MvValueInput[]) {
    const ids = new Set(
      (
        await manager.getRepository(MultivariateFeatureOption).find({
          where: { featureId, id: In(values.map((mv) => mv.optionId)) },
          select: { id: true },
        })
      ).map((o) => o.id),
    );
    const itemErrors = values.map((mv) =>
      ids.has(mv.optionId)
        ? {}
        : { multivariate_feature_option: [`Invalid pk "${mv.optionId}" - object does not exist.`] },
    );
    if (itemErrors.some((e) => Object.keys(e).length))
      throw new BadRequestException({ multivariate_feature_state_values: itemErrors });
    if (new Set(values.map((mv) => mv.optionId)).size !== values.length)
      throw new BadRequestException({
        non_field_errors: ['The fields feature_state, multivariate_feature_option must make a unique set.'],
      });
  }

  private async replaceMvValues(manager: EntityManager, stateId: number, values: MvValueInput[]) {
    const repo = manager.getRepository(MultivariateFeatureStateValue);
    const existing = await repo.findBy({ featureStateId: stateId });
    const wanted = new Map(values.map((mv) => [mv.optionId, mv.percentageAllocation]));
    const stale = existing.filter((e) => !wanted.has(e.multivariateFeatureOptionId)).map((e) => e.id);
    if (stale.length) await repo.delete({ id: In(stale) });
    const byOption = new Map(existing.map((e) => [e.multivariateFeatureOptionId, e]));
    const upserts: MultivariateFeatureStateValue[] = [];
    for (const [optionId, pct] of wanted) {
      const row = byOption.get(optionId);
      if (row && row.percentageAllocation === pct) continue;
      upserts.push(
        row
          ? Object.assign(row, { percentageAllocation: pct })
          : repo.create({
              featureStateId: stateId,
              multivariateFeatureOptionId: optionId,
              percentageAllocation: pct,
            }),
      );
    }
    if (upserts.length) await repo.save(upserts);
  }

  /**
   * Copies the MV values of each source state to its copy (`copies`: source state id → new state id): one SELECT and
   * one INSERT for any number of states (environment clone, identity clone).
   */
  async copyMvValues(manager: EntityManager, copies: ReadonlyMap<number, number>): Promise<void> {
    if (!copies.size) return;
    const repo = manager.getRepository(MultivariateFeatureStateValue);
    const rows = await repo.find({
      where: { featureStateId: In([...copies.keys()]) },
      order: { id: 'ASC' },
    });
    if (rows.length)
      await repo.save(
        rows.map((mv) =>
          repo.create({
            featureStateId: copies.get(mv.featureStateId)!,
            multivariateFeatureOptionId: mv.multivariateFeatureOptionId,
            percentageAllocation: mv.percentageAllocation,
          }),
        ),
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
    return manager.getRepository(FeatureState).create({
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
    const environments = await manager
      .getRepository(Environment)
      .find({ where: { projectId: project.id }, select: { id: true }, order: { id: 'ASC' } });
    return this.saveDefaultStates(
      manager,
      environments.map((env) => this.newDefaultState(manager, project, feature, env.id)),
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
    const options = await manager
      .getRepository(MultivariateFeatureOption)
      .find({ where: { featureId: In(features.map((f) => f.id)) }, order: { id: 'ASC' } });
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
    const saved = await manager.getRepository(FeatureState).save(states);
    if (options.length) {
      const values = manager.getRepository(MultivariateFeatureStateValue);
      const rows = saved.flatMap((state) =>
        options
          .filter((o) => o.featureId === state.featureId)
          .map((o) =>
            values.create({
              featureStateId: state.id,
              multivariateFeatureOptionId: o.id,
              percentageAllocation: o.defaultPercentageAllocation,
            }),
          ),
      );
      if (rows.length) await values.save(rows);
    }
    return saved;
  }

  /** MV values of many states in one query, ordered by id. */
  async mvValuesByState(
    manager: EntityManager,
    stateIds: readonly number[],
  ): Promise<Map<number, MultivariateFeatureStateValue[]>> {
    const out = new Map<number, MultivariateFeatureStateValue[]>();
    if (!stateIds.length) return out;
    const rows = await manager
      .getRepository(MultivariateFeatureStateValue)
      .find({ where: { featureStateId: In([...new Set(stateIds)]) }, order: { id: 'ASC' } });
    for (const row of rows) {
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
