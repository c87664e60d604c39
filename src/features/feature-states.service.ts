import { writeTransaction } from '../common/transaction';
import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { FastifyRequest } from 'fastify';
import { DataSource, EntityManager, In, QueryFailedError } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Principal } from '../auth/principal';
import { fieldError, notFound } from '../common/errors';
import { paginate } from '../common/pagination';
import { BodyReader, MESSAGES, parseId, toInteger } from '../common/validation';
import { EnvironmentChangesService } from '../environments/environment-changes.service';
import { Environment } from '../environments/environment.entity';
import { Identity } from '../identities/identity.entity';
import { EnvironmentPermission } from '../permissions/permission-keys';
import { PermissionsService } from '../permissions/permissions.service';
import { Segment } from '../segments/segment.entity';
import { Feature, FeatureSegment, FeatureState } from './feature.entity';
import { queryString } from './query-params';
import {
  assertNoErrors,
  FeatureStateValuesService,
  StateChanges,
  ValueForm,
} from './feature-state-values.service';

/** The permission a write to this state needs (Flagsmith's FeatureStatePermissions). */
export function writePermission(state: Pick<FeatureState, 'featureSegmentId'>): EnvironmentPermission {
  return state.featureSegmentId ? 'MANAGE_SEGMENT_OVERRIDES' : 'UPDATE_FEATURE_STATE';
}

/**
 * Feature states (docs/contracts/admin-api.md §7): the environment editor under /environments/{api_key}/featurestates/ (raw values,
 * environment defaults only) and /features/featurestates/ (typed value form, any kind of state).
 */
@Injectable()
export class FeatureStatesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly permissions: PermissionsService,
    private readonly audit: AuditService,
    private readonly changes: EnvironmentChangesService,
    private readonly values: FeatureStateValuesService,
  ) {}

  // ---- /environments/{api_key}/featurestates/

  async listForEnvironment(request: FastifyRequest, env: Environment) {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const qb = this.dataSource
      .getRepository(FeatureState)
      .createQueryBuilder('s')
      .innerJoin(Feature, 'f', 'f.id = s.feature_id AND f.deleted_at IS NULL')
      .where('s.environment_id = :envId', { envId: env.id })
      .andWhere('s.feature_segment_id IS NULL');
    const anyIdentity = 'anyIdentity' in query;
    qb.andWhere(anyIdentity ? 's.identity_id IS NOT NULL' : 's.identity_id IS NULL');
    const feature = queryString(query, 'feature');
    if (feature !== undefined && feature !== '') {
      const id = toInteger(feature);
      if (id === undefined || Math.abs(id) > 2147483647) throw fieldError('feature', MESSAGES.integer);
      qb.andWhere('s.feature_id = :featureId', { featureId: id });
    }
    const featureName = queryString(query, 'feature_name');
    if (featureName) qb.andWhere('lower(f.name) = lower(:featureName)', { featureName });
    qb.orderBy('s.id', 'ASC');
    return paginate(request, qb, (rows) => this.jsonList(rows, 'raw', anyIdentity));
  }

  /** An environment default state of the environment (404 for overrides, other environments, deleted features). */
  async environmentState(env: Environment, idRaw: unknown): Promise<FeatureState> {
    const id = parseId(idRaw);
    const state = id
      ? await this.dataSource
          .getRepository(FeatureState)
          .createQueryBuilder('s')
          .innerJoin(Feature, 'f', 'f.id = s.feature_id AND f.deleted_at IS NULL')
          .where('s.id = :id AND s.environment_id = :envId', { id, envId: env.id })
          .andWhere('s.identity_id IS NULL AND s.feature_segment_id IS NULL')
          .getOne()
      : null;
    if (!state) throw notFound();
    return state;
  }

  async updateEnvironmentState(
    principal: Principal,
    env: Environment,
    state: FeatureState,
    body: unknown,
  ): Promise<ReturnType<FeatureStateValuesService['stateJson']>> {
    // Flagsmith treats PUT as partial here.
    const v = new BodyReader(body, { partial: true });
    this.checkUnchanged(v, 'feature', state.featureId, 'Cannot change the feature of a feature state');
    this.checkUnchanged(
      v,
      'environment',
      state.environmentId,
      'Cannot change the environment of a feature state',
    );
    const { changes, errors } = this.values.readChanges(v, 'raw');
    assertNoErrors(v, errors);
    return this.write(principal, env, state, changes, 'raw');
  }

  private checkUnchanged(v: BodyReader, field: string, current: number, message: string) {
    if (!v.has(field)) return;
    const raw = v.raw(field);
    const id = toInteger(raw);
    if (raw === null)
      v.error(field, field === 'environment' ? 'Environment may not be null.' : MESSAGES.null);
    else if (id === undefined) v.error(field, `Incorrect type. Expected pk value, received ${typeof raw}.`);
    else if (id !== current) v.error(field, message);
  }

  // ---- /features/featurestates/

  /** `?environment=` (required, VIEW_ENVIRONMENT) with optional `feature` and `feature_segment` filters. */
  async listAll(request: FastifyRequest, principal: Principal) {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const envRaw = queryString(query, 'environment');
    if (envRaw === undefined || envRaw === '')
      throw new BadRequestException(["'environment' GET parameter is required."]);
    const env = await this.permissions.requireEnvironment(principal, envRaw, 'VIEW_ENVIRONMENT', 'id');
    const qb = this.dataSource
      .getRepository(FeatureState)
      .createQueryBuilder('s')
      .innerJoin(Feature, 'f', 'f.id = s.feature_id AND f.deleted_at IS NULL')
      .where('s.environment_id = :envId', { envId: env.id });
    for (const [param, column] of [
      ['feature', 's.feature_id'],
      ['feature_segment', 's.feature_segment_id'],
      ['identity', 's.identity_id'],
    ] as const) {
      const raw = queryString(query, param);
      if (raw === undefined || raw === '') continue;
      const id = toInteger(raw);
      if (id === undefined || Math.abs(id) > 2147483647) throw fieldError(param, MESSAGES.integer);
      qb.andWhere(`${column} = :${param}`, { [param]: id });
    }
    qb.orderBy('s.id', 'ASC');
    return paginate(request, qb, (rows) => this.jsonList(rows, 'typed', false));
  }

  async create(principal: Principal, body: unknown) {
    const v = new BodyReader(body);
    const featureId = v.integer('feature', { min: 1 });
    const envId = v.integer('environment', { min: 1 });
    const featureSegmentId = v.integer('feature_segment', { optional: true, nullable: true, min: 1 }) ?? null;
    const identityId = v.integer('identity', { optional: true, nullable: true, min: 1 }) ?? null;
    const { changes, errors } = this.values.readChanges(v, 'typed');
    assertNoErrors(v, errors);
    const env = await this.permissions.requireEnvironment(
      principal,
      envId,
      featureSegmentId !== null ? 'MANAGE_SEGMENT_OVERRIDES' : 'UPDATE_FEATURE_STATE',
      'id',
    );
    const feature = await this.dataSource.getRepository(Feature).findOneBy({ id: featureId });
    if (!feature) throw fieldError('feature', `Invalid pk "${featureId}" - object does not exist.`);
    if (feature.projectId !== env.projectId) throw fieldError('feature', 'Feature does not exist in project');
    if (featureSegmentId !== null && identityId !== null)
      throw fieldError(
        'non_field_errors',
        'A feature state cannot belong to both an identity and a feature segment.',
      );
    if (featureSegmentId !== null) {
      const fs = await this.dataSource.getRepository(FeatureSegment).findOneBy({ id: featureSegmentId });
      if (!fs)
        throw fieldError('feature_segment', `Invalid pk "${featureSegmentId}" - object does not exist.`);
      if (fs.environmentId !== env.id)
        throw fieldError('non_field_errors', 'Feature Segment does not belong to environment.');
      if (fs.featureId !== feature.id)
        throw fieldError('non_field_errors', 'Feature Segment does not belong to feature.');
    }
    if (identityId !== null) {
      const identity = await this.dataSource.getRepository(Identity).findOneBy({ id: identityId });
      if (!identity) throw fieldError('identity', `Invalid pk "${identityId}" - object does not exist.`);
      if (identity.environmentId !== env.id)
        throw fieldError('non_field_errors', 'Identity does not exist in environment.');
    }
    const state = this.dataSource.getRepository(FeatureState).create({
      featureId: feature.id,
      environmentId: env.id,
      featureSegmentId,
      identityId,
      enabled: false,
      ...this.values.initialValue(env.project, feature),
    });
    return this.write(principal, env, state, changes, 'typed', true).catch((err: unknown) => {
      if (err instanceof QueryFailedError && (err.driverError as { code?: string }).code === '23505')
        throw fieldError('non_field_errors', 'A feature state for this feature already exists here.');
      throw err;
    });
  }

  /** A state by id for /features/featurestates/{id}/, permission-checked on its environment. */
  async anyState(principal: Principal, idRaw: unknown): Promise<{ state: FeatureState; env: Environment }> {
    const id = parseId(idRaw);
    const state = id ? await this.dataSource.getRepository(FeatureState).findOneBy({ id }) : null;
    if (!state) throw notFound();
    const env = await this.permissions.requireEnvironment(
      principal,
      state.environmentId,
      writePermission(state),
      'id',
    );
    const feature = await this.dataSource.getRepository(Feature).findOneBy({ id: state.featureId });
    if (!feature) throw notFound();
    return { state, env };
  }

  async update(principal: Principal, env: Environment, state: FeatureState, body: unknown, partial: boolean) {
    const v = new BodyReader(body, { partial: true });
    if (!partial) {
      if (!v.has('feature')) v.error('feature', MESSAGES.required);
      if (!v.has('environment')) v.error('environment', MESSAGES.required);
    }
    this.checkUnchanged(v, 'feature', state.featureId, 'Cannot change the feature of a feature state');
    this.checkUnchanged(
      v,
      'environment',
      state.environmentId,
      'Cannot change the environment of a feature state',
    );
    const { changes, errors } = this.values.readChanges(v, 'typed');
    assertNoErrors(v, errors);
    return this.write(principal, env, state, changes, 'typed');
  }

  // ---- shared

  async json(state: FeatureState, form: ValueForm) {
    return this.values.stateJson(state, await this.mvOf(this.dataSource.manager, state.id), form);
  }

  private async write(
    principal: Principal,
    env: Environment,
    state: FeatureState,
    changes: StateChanges,
    form: ValueForm,
    created = false,
  ) {
    return writeTransaction(this.dataSource, async (manager) => {
      // The row as it is now, locked: `before` and the multivariate sync see the current state, and a concurrent
      // write of the same state waits instead of interleaving its option rows with ours.
      const current = created
        ? state
        : await manager
            .getRepository(FeatureState)
            .findOne({ where: { id: state.id }, lock: { mode: 'for_no_key_update' } });
      if (!current) throw notFound();
      const feature = await manager.getRepository(Feature).findOneByOrFail({ id: current.featureId });
      const before = created
        ? null
        : this.values.stateJson(current, await this.mvOf(manager, current.id), form);
      const saved = await this.values.apply(manager, current, changes);
      await this.changes.environmentsChanged(manager, [env.id]);
      const after = this.values.stateJson(saved, await this.mvOf(manager, saved.id), form);
      await this.audit.record(manager, {
        log: await this.logLine(manager, saved, feature, changes, created),
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

  private async mvOf(manager: EntityManager, stateId: number) {
    return (await this.values.mvValuesByState(manager, [stateId])).get(stateId) ?? [];
  }

  /** Flagsmith's audit wording for the kind of state and change. */
  private async logLine(
    manager: EntityManager,
    state: FeatureState,
    feature: Feature,
    changes: StateChanges,
    created: boolean,
  ): Promise<string> {
    const valueOnly =
      changes.enabled === undefined && (changes.value !== undefined || changes.mvValues !== undefined);
    if (state.featureSegmentId !== null) {
      const [row] = await manager
        .getRepository(Segment)
        .createQueryBuilder('sg')
        .innerJoin(FeatureSegment, 'fs', 'fs.segment_id = sg.id')
        .where('fs.id = :id', { id: state.featureSegmentId })
        .select('sg.name', 'name')
        .getRawMany<{ name: string }>();
      const segment = row?.name ?? '';
      if (created) return `Segment override created for feature '${feature.name}' and segment '${segment}'`;
      return valueOnly
        ? `Remote config updated for segment override on feature '${feature.name}' and segment '${segment}'.`
        : `Flag state / Remote config value updated for feature '${feature.name}' and segment '${segment}'`;
    }
    if (state.identityId !== null) {
      const identity = await manager.getRepository(Identity).findOneBy({ id: state.identityId });
      const identifier = identity?.identifier ?? '';
      if (created)
        return `Identity override created for feature '${feature.name}' and identity '${identifier}'`;
      return valueOnly
        ? `Remote config value updated for identity override on feature '${feature.name}' and identity '${identifier}'.`
        : `Flag state / Remote config value updated for feature '${feature.name}' and identity '${identifier}'`;
    }
    return valueOnly
      ? `Remote config value updated for feature: ${feature.name}`
      : `Flag state updated for feature: ${feature.name}`;
  }

  /** A page of states as JSON: one query for MV values, one for identities (list views nest `{id, identifier}`). */
  private async jsonList(rows: FeatureState[], form: ValueForm, nestIdentity: boolean) {
    const manager = this.dataSource.manager;
    const mv = await this.values.mvValuesByState(
      manager,
      rows.map((s) => s.id),
    );
    const identityIds = [...new Set(rows.map((s) => s.identityId).filter((id): id is number => id !== null))];
    const identities = new Map<number, { id: number; identifier: string }>();
    if (nestIdentity && identityIds.length)
      for (const i of await manager
        .getRepository(Identity)
        .find({ where: { id: In(identityIds) }, select: { id: true, identifier: true } }))
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
