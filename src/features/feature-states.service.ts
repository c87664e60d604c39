import { Injectable } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import type { Principal } from '../auth/principal';
import {
  NotFound,
  PermissionDenied,
  ValidationFailed,
  ValidationMessages,
  type FieldErrors,
} from '../common/domain-errors';
import type { PageRequest } from '../common/pagination';
import { UnitOfWork, type WriteContext } from '../common/unit-of-work';
import { MESSAGES, parseUuid, toInteger } from '../common/drf-values';
import type { Environment } from '../environments/environment.entity';
import type { EnvironmentPermission } from '../permissions/permission-keys';
import { PermissionsService } from '../permissions/permissions.service';
import { Feature, FeatureState } from './feature.entity';
import type {
  CreateEnvironmentStateInput,
  CreateFeatureStateInput,
  FeatureStateJson,
  FeatureStatesQueryInput,
  TypedFeatureStateJson,
  UpdateEnvironmentStateInput,
  UpdateFeatureStateInput,
} from './feature-state.schemas';
import { FeatureStateValuesService } from './feature-state-values.service';
import { FeatureStateWebhookEvents } from './feature-state-webhook';
import { FeatureStatesRepository, StateFilters } from './feature-states.repository';
import { readStateValues, type StateChanges, type ValueForm } from './feature-values';

/** A unique index refused the insert (one state per feature, environment, segment and identity). */
function isUniqueViolation(err: unknown): boolean {
  return err instanceof QueryFailedError && (err.driverError as { code?: string }).code === '23505';
}

/** The permission a write to this state needs (Flagsmith's FeatureStatePermissions). */
export function writePermission(state: Pick<FeatureState, 'featureSegmentId'>): EnvironmentPermission {
  return state.featureSegmentId ? 'MANAGE_SEGMENT_OVERRIDES' : 'UPDATE_FEATURE_STATE';
}

/** A page of serialised states. */
export interface StatePage<T> {
  count: number;
  rows: T[];
}

/** A list filter id: any integer within PostgreSQL's integer (else "A valid integer is required."). */
function filterId(field: string, raw: unknown): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const id = toInteger(raw);
  if (id === undefined || Math.abs(id) > 2147483647) throw ValidationFailed.field(field, MESSAGES.integer);
  return id;
}

/** The body's changes; the schema's body check has refused any error already (also for readInput callers). */
function changesOf(
  input: { enabled?: boolean; feature_state_value?: unknown; multivariate_feature_state_values?: unknown },
  form: ValueForm,
): StateChanges {
  const { changes, errors } = readStateValues(input, form);
  if (Object.keys(errors).length) throw new ValidationFailed(errors);
  return input.enabled === undefined ? changes : { enabled: input.enabled, ...changes };
}

/** `feature` and `environment` may be sent, but must be the state's own. */
function checkParents(state: FeatureState, input: { feature?: unknown; environment?: unknown }): void {
  const errors: FieldErrors = {};
  if (input.feature !== undefined && toInteger(input.feature) !== state.featureId)
    errors.feature = ['Cannot change the feature of a feature state'];
  if (input.environment !== undefined && toInteger(input.environment) !== state.environmentId)
    errors.environment = ['Cannot change the environment of a feature state'];
  if (Object.keys(errors).length) throw new ValidationFailed(errors);
}

/**
 * Feature states (docs/contracts/admin-api.md §7): the environment editor under /environments/{api_key}/featurestates/
 * (raw values, environment defaults only) and /features/featurestates/ (typed value form, any kind of state). SQL in
 * FeatureStatesRepository; every write through the unit of work, on the state row locked FOR NO KEY UPDATE.
 */
@Injectable()
export class FeatureStatesService {
  constructor(
    private readonly states: FeatureStatesRepository,
    private readonly uow: UnitOfWork,
    private readonly permissions: PermissionsService,
    private readonly values: FeatureStateValuesService,
    private readonly webhooks: FeatureStateWebhookEvents,
  ) {}

  // ---- /environments/{api_key}/featurestates/

  async environmentStates(
    env: Environment,
    filter: { feature?: unknown; feature_name?: string; anyIdentity: boolean },
    page: PageRequest,
  ): Promise<StatePage<FeatureStateJson>> {
    const { count, rows } = await this.states.pageEnvironmentStates(
      env.id,
      {
        featureId: filterId('feature', filter.feature),
        featureName: filter.feature_name,
        anyIdentity: filter.anyIdentity,
      },
      page,
    );
    return { count, rows: (await this.jsonList(rows, 'raw', filter.anyIdentity)) as FeatureStateJson[] };
  }

  /** An environment default state of the environment (404 for overrides, other environments, deleted features). */
  async environmentState(env: Environment, id: number): Promise<FeatureState> {
    const state = await this.states.environmentState(env.id, id);
    if (!state) throw new NotFound();
    return state;
  }

  /** PUT and PATCH (Flagsmith treats PUT as partial here). */
  async updateEnvironmentState(
    principal: Principal,
    env: Environment,
    id: number,
    input: UpdateEnvironmentStateInput,
  ): Promise<FeatureStateJson> {
    const state = await this.environmentState(env, id);
    checkParents(state, input);
    return (await this.write(principal, env, state, changesOf(input, 'raw'), 'raw')) as FeatureStateJson;
  }

  // ---- /features/featurestates/

  /** `?environment=` (VIEW_ENVIRONMENT) with optional `feature`, `feature_segment` and `identity` filters. */
  async listAll(
    principal: Principal,
    query: FeatureStatesQueryInput & { environment: unknown },
    page: PageRequest,
  ): Promise<StatePage<TypedFeatureStateJson>> {
    const env = await this.permissions.requireEnvironment(
      principal,
      query.environment,
      'VIEW_ENVIRONMENT',
      'id',
    );
    const filters: StateFilters = {
      featureId: filterId('feature', query.feature),
      featureSegmentId: filterId('feature_segment', query.feature_segment),
      identityId: filterId('identity', query.identity),
    };
    const { count, rows } = await this.states.pageStates(env.id, filters, page);
    return { count, rows: (await this.jsonList(rows, 'typed', false)) as TypedFeatureStateJson[] };
  }

  async create(principal: Principal, input: CreateFeatureStateInput): Promise<TypedFeatureStateJson> {
    const changes = changesOf(input, 'typed');
    const featureSegmentId = input.feature_segment ?? null;
    const env = await this.permissions.requireEnvironment(
      principal,
      input.environment,
      featureSegmentId !== null ? 'MANAGE_SEGMENT_OVERRIDES' : 'UPDATE_FEATURE_STATE',
      'id',
    );
    const feature = await this.states.feature(input.feature);
    if (!feature)
      throw ValidationFailed.field('feature', `Invalid pk "${input.feature}" - object does not exist.`);
    if (feature.projectId !== env.projectId)
      throw ValidationFailed.field('feature', 'Feature does not exist in project');
    const identityId = await this.identityOf(env, input);
    return (await this.insert(principal, env, feature, featureSegmentId, identityId, changes, 'typed').catch(
      (err: unknown) => {
        if (isUniqueViolation(err))
          throw ValidationFailed.field(
            'non_field_errors',
            'A feature state for this feature already exists here.',
          );
        throw err;
      },
    )) as TypedFeatureStateJson;
  }

  /**
   * POST /environments/{api_key}/featurestates/ (Flagsmith's EnvironmentFeatureStateViewSet.create, raw values): a
   * state for a feature that has none here. A feature that is missing, unknown or of another project is a 403, as
   * Flagsmith's EnvironmentFeatureStatePermissions cannot find it.
   */
  async createInEnvironment(
    principal: Principal,
    env: Environment,
    input: CreateEnvironmentStateInput,
  ): Promise<FeatureStateJson> {
    const changes = changesOf(input, 'raw');
    const feature = input.feature === undefined ? null : await this.states.feature(input.feature);
    if (!feature || feature.projectId !== env.projectId) throw new PermissionDenied();
    const featureSegmentId = input.feature_segment ?? null;
    const identityId = await this.identityOf(env, input);
    return (await this.insert(principal, env, feature, featureSegmentId, identityId, changes, 'raw').catch(
      (err: unknown) => {
        // Flagsmith's duplicate check raises a Django ValidationError that DRF answers as a list of its text.
        if (isUniqueViolation(err))
          throw new ValidationMessages([
            "['Feature state already exists for this environment, feature, version, segment & identity combination']",
          ]);
        throw err;
      },
    )) as FeatureStateJson;
  }

  /** The identity a create names (`identity`, or `identifier` as Flagsmith's alternative), checked against `env`. */
  private async identityOf(
    env: Environment,
    input: { identity?: number | null; identifier?: string; feature_segment?: number | null },
  ): Promise<number | null> {
    let identityId = input.identity ?? null;
    if (input.identifier) {
      const found = await this.states.identityByIdentifier(env.id, input.identifier);
      if (!found) throw ValidationFailed.field('non_field_errors', 'Invalid identifier');
      identityId = found.id;
    }
    if (input.feature_segment != null && identityId !== null)
      throw ValidationFailed.field(
        'non_field_errors',
        'A feature state cannot belong to both an identity and a feature segment.',
      );
    if (identityId !== null && !input.identifier) {
      const identity = await this.states.identity(identityId);
      if (!identity)
        throw ValidationFailed.field('identity', `Invalid pk "${identityId}" - object does not exist.`);
      if (identity.environmentId !== env.id)
        throw ValidationFailed.field('non_field_errors', 'Identity does not exist in environment.');
    }
    return identityId;
  }

  /** A new state of `feature` in `env` (an environment default, or an override when a segment or identity is given). */
  private async insert(
    principal: Principal,
    env: Environment,
    feature: Feature,
    featureSegmentId: number | null,
    identityId: number | null,
    changes: StateChanges,
    form: ValueForm,
  ) {
    if (featureSegmentId !== null) {
      const fs = await this.states.featureSegment(featureSegmentId);
      if (!fs)
        throw ValidationFailed.field(
          'feature_segment',
          `Invalid pk "${featureSegmentId}" - object does not exist.`,
        );
      if (fs.environmentId !== env.id)
        throw ValidationFailed.field('non_field_errors', 'Feature Segment does not belong to environment.');
      if (fs.featureId !== feature.id)
        throw ValidationFailed.field('non_field_errors', 'Feature Segment does not belong to feature.');
    }
    const state = Object.assign(new FeatureState(), {
      featureId: feature.id,
      environmentId: env.id,
      featureSegmentId,
      identityId,
      enabled: false,
      ...this.values.initialValue(env.project, feature),
    });
    return this.write(principal, env, state, changes, form, true);
  }

  /** A state by id for /features/featurestates/{id}/, permission-checked on its environment. */
  async anyState(principal: Principal, id: number): Promise<{ state: FeatureState; env: Environment }> {
    const state = await this.states.find(id);
    if (!state) throw new NotFound();
    const env = await this.permissions.requireEnvironment(
      principal,
      state.environmentId,
      writePermission(state),
      'id',
    );
    if (!(await this.states.feature(state.featureId))) throw new NotFound();
    return { state, env };
  }

  /** A state of a live feature by uuid (Django's <uuid:> path converter), of any project: the caller checks it. */
  async stateByUuid(raw: string): Promise<{ state: FeatureState; feature: Feature }> {
    const uuid = parseUuid(raw, 'converter');
    const state = uuid ? await this.states.findByUuid(uuid) : null;
    const feature = state ? await this.states.feature(state.featureId) : null;
    if (!state || !feature) throw new NotFound();
    return { state, feature };
  }

  /** PUT (feature and environment required by the schema) or PATCH of /features/featurestates/{id}/. */
  async update(
    principal: Principal,
    env: Environment,
    state: FeatureState,
    input: Partial<UpdateFeatureStateInput>,
  ): Promise<TypedFeatureStateJson> {
    checkParents(state, input);
    return (await this.write(
      principal,
      env,
      state,
      changesOf(input, 'typed'),
      'typed',
    )) as TypedFeatureStateJson;
  }

  // ---- shared

  async json(state: FeatureState, form: ValueForm) {
    return this.values.stateJson(state, await this.mvOf(state.id), form);
  }

  private write(
    principal: Principal,
    env: Environment,
    state: FeatureState,
    changes: StateChanges,
    form: ValueForm,
    created = false,
  ) {
    return this.uow.run(async (tx) => {
      // The row as it is now, locked: `before` and the multivariate sync see the current state, and a concurrent
      // write of the same state waits instead of interleaving its option rows with ours.
      const current = created ? state : await this.states.lock(tx.manager, state.id);
      if (!current) throw new NotFound();
      const feature = await this.states.feature(current.featureId, tx.manager);
      if (!feature) throw new NotFound();
      const before = created ? null : this.values.stateJson(current, await this.mvOf(current.id, tx), form);
      const previous = created ? null : await this.webhooks.before(tx, current, feature, env);
      const saved = await this.values.apply(tx.manager, current, changes);
      tx.environmentsChanged([env.id]);
      await this.webhooks.updated(tx, env, principal, feature, saved, previous);
      const after = this.values.stateJson(saved, await this.mvOf(saved.id, tx), form);
      tx.audit({
        log: await this.logLine(tx, saved, feature, changes, created),
        principal,
        organisationId: env.project.organisationId,
        projectId: env.projectId,
        environmentId: env.id,
        relatedObjectType: 'FEATURE_STATE',
        relatedObjectId: feature.id,
        relatedObjectUuid: saved.uuid,
        before,
        after,
      });
      return after;
    });
  }

  private async mvOf(stateId: number, tx?: WriteContext) {
    return (
      (await this.values.mvValuesByState(tx?.manager ?? this.states.reader(), [stateId])).get(stateId) ?? []
    );
  }

  /** Flagsmith's audit wording for the kind of state and change. */
  private async logLine(
    tx: WriteContext,
    state: FeatureState,
    feature: Feature,
    changes: StateChanges,
    created: boolean,
  ): Promise<string> {
    const valueOnly =
      changes.enabled === undefined && (changes.value !== undefined || changes.mvValues !== undefined);
    if (state.featureSegmentId !== null) {
      const segment = await this.states.segmentName(tx.manager, state.featureSegmentId);
      if (created) return `Segment override created for feature '${feature.name}' and segment '${segment}'`;
      return valueOnly
        ? `Remote config updated for segment override on feature '${feature.name}' and segment '${segment}'.`
        : `Flag state / Remote config value updated for feature '${feature.name}' and segment '${segment}'`;
    }
    if (state.identityId !== null) {
      const identity = await this.states.identity(state.identityId, tx.manager);
      const identifier = identity?.identifier ?? '';
      if (created)
        return `Identity override created for feature '${feature.name}' and identity '${identifier}'`;
      return valueOnly
        ? `Remote config value updated for identity override on feature '${feature.name}' and identity '${identifier}'.`
        : `Flag state / Remote config value updated for feature '${feature.name}' and identity '${identifier}'`;
    }
    if (created) return `New Flag / Remote Config created: ${feature.name}`;
    return valueOnly
      ? `Remote config value updated for feature: ${feature.name}`
      : `Flag state updated for feature: ${feature.name}`;
  }

  /** A page of states as JSON: one query for MV values, one for identities (list views nest `{id, identifier}`). */
  private async jsonList(rows: FeatureState[], form: ValueForm, nestIdentity: boolean) {
    const mv = await this.values.mvValuesByState(
      this.states.reader(),
      rows.map((s) => s.id),
    );
    const identityIds = [...new Set(rows.map((s) => s.identityId).filter((id): id is number => id !== null))];
    const identities = new Map<number, { id: number; identifier: string }>();
    if (nestIdentity)
      for (const i of await this.states.identities(identityIds))
        identities.set(i.id, { id: i.id, identifier: i.identifier });
    return rows.map((s) =>
      this.values.stateJson(
        s,
        mv.get(s.id) ?? [],
        form,
        nestIdentity && s.identityId !== null ? (identities.get(s.identityId) ?? s.identityId) : s.identityId,
      ),
    );
  }
}
