import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { FastifyRequest } from 'fastify';
import { DataSource, EntityManager } from 'typeorm';
import { badRequestDetail, fieldError, notFound } from '../common/errors';
import { paginate } from '../common/pagination';
import { BodyReader, MESSAGES, parseId, toInteger } from '../common/validation';
import { Environment } from '../environments/environment.entity';
import {
  assertNoErrors,
  FeatureStateValuesService,
  StateChanges,
} from '../features/feature-state-values.service';
import { valueColumns } from '../features/feature-values';
import { Feature, FeatureState } from '../features/feature.entity';
import { Principal } from '../auth/principal';
import { IdentitiesService } from './identities.service';
import { identityFlags } from './identity-evaluation';
import { Identity } from './identity.entity';
import { identityFlagJson } from './identity.serializers';

/** Identity overrides: feature states with `identity` set (docs/contracts/admin-api.md §9). */
@Injectable()
export class IdentityOverridesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly identities: IdentitiesService,
    private readonly values: FeatureStateValuesService,
  ) {}

  list(request: FastifyRequest, identity: Identity) {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const qb = this.dataSource
      .getRepository(FeatureState)
      .createQueryBuilder('fs')
      .innerJoin('fs.feature', 'f')
      .where('fs.identity_id = :identity', { identity: identity.id })
      .andWhere('f.deleted_at IS NULL')
      .orderBy('fs.id');
    if (query.feature !== undefined && query.feature !== '') {
      const featureId = parseId(query.feature);
      if (featureId === undefined) throw fieldError('feature', MESSAGES.integer);
      qb.andWhere('fs.feature_id = :feature', { feature: featureId });
    }
    return paginate(request, qb, async (rows) => {
      const mv = await this.values.mvValuesByState(
        this.dataSource.manager,
        rows.map((r) => r.id),
      );
      return rows.map((fs) =>
        this.values.stateJson(fs, mv.get(fs.id) ?? [], 'raw', {
          id: identity.id,
          identifier: identity.identifier,
        }),
      );
    });
  }

  async get(identity: Identity, id: unknown): Promise<FeatureState> {
    const stateId = parseId(id);
    const state = stateId
      ? await this.dataSource
          .getRepository(FeatureState)
          .findOne({ where: { id: stateId, identityId: identity.id }, relations: { feature: true } })
      : null;
    if (!state || !state.feature) throw notFound();
    return state;
  }

  retrieve(identity: Identity, state: FeatureState) {
    return this.json(this.dataSource.manager, identity, state);
  }

  /** FeatureStateSerializerBasic: raw value, `identity` as the pk. */
  private async json(manager: EntityManager, identity: Identity, state: FeatureState) {
    const mv = await this.values.mvValuesByState(manager, [state.id]);
    return this.values.stateJson(state, mv.get(state.id) ?? [], 'raw', identity.id);
  }

  /** `enabled`, a raw `feature_state_value` and `multivariate_feature_state_values`; 400 before any write. */
  private readChanges(v: BodyReader): StateChanges {
    const { changes, errors } = this.values.readChanges(v, 'raw');
    assertNoErrors(v, errors);
    return changes;
  }

  async create(principal: Principal, environment: Environment, identity: Identity, body: unknown) {
    const v = new BodyReader(body);
    v.assertValid();
    const featureRaw = v.raw('feature');
    if (featureRaw === undefined || featureRaw === null) throw badRequestDetail('Feature not provided');
    const featureId = parseId(featureRaw);
    if (toInteger(featureRaw) === undefined)
      throw fieldError('feature', `Incorrect type. Expected pk value, received ${typeof featureRaw}.`);
    const feature = featureId
      ? await this.dataSource
          .getRepository(Feature)
          .findOneBy({ id: featureId, projectId: environment.projectId })
      : null;
    if (!feature)
      throw fieldError('feature', `Invalid pk "${toInteger(featureRaw)}" - object does not exist.`);
    const changes = this.readChanges(v);
    return this.identities.write(principal, environment, async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1, $2)', [feature.id, identity.id]);
      const exists = await manager
        .getRepository(FeatureState)
        .existsBy({ featureId: feature.id, identityId: identity.id });
      if (exists)
        throw new BadRequestException({
          non_field_errors: ['Feature state already exists for this environment and identity'],
        });
      const state = manager.getRepository(FeatureState).create({
        featureId: feature.id,
        environmentId: environment.id,
        identityId: identity.id,
        featureSegmentId: null,
        enabled: false,
        ...this.values.initialValue(environment.project, feature),
      });
      const saved = await this.values.apply(manager, state, changes);
      const json = await this.json(manager, identity, saved);
      return {
        result: json,
        log: `Identity override created for feature '${feature.name}' and identity '${identity.identifier}'`,
        type: 'FEATURE_STATE',
        id: saved.id,
        uuid: saved.uuid,
        after: json,
      };
    });
  }

  /** PUT and PATCH are both partial, as in Flagsmith. */
  async update(
    principal: Principal,
    environment: Environment,
    identity: Identity,
    state: FeatureState,
    body: unknown,
  ) {
    const v = new BodyReader(body, { partial: true });
    v.assertValid();
    if (v.has('feature') && toInteger(v.raw('feature')) !== state.featureId)
      throw fieldError('feature', 'Cannot change the feature of a feature state');
    const changes = this.readChanges(v);
    const feature = state.feature;
    const before = await this.json(this.dataSource.manager, identity, state);
    return this.identities.write(principal, environment, async (manager) => {
      const saved = await this.values.apply(manager, state, changes);
      const json = await this.json(manager, identity, saved);
      return {
        result: json,
        log: `Flag state / Remote config value updated for feature '${feature.name}' and identity '${identity.identifier}'`,
        type: 'FEATURE_STATE',
        id: saved.id,
        uuid: saved.uuid,
        before,
        after: json,
      };
    });
  }

  async remove(principal: Principal, environment: Environment, identity: Identity, state: FeatureState) {
    const before = await this.json(this.dataSource.manager, identity, state);
    await this.identities.write(principal, environment, async (manager) => {
      await manager.getRepository(FeatureState).delete({ id: state.id });
      return {
        result: undefined,
        log: `Flag state / Remote config value deleted for feature '${state.feature.name}' and identity '${identity.identifier}'`,
        type: 'FEATURE_STATE',
        id: state.id,
        uuid: state.uuid,
        before,
      };
    });
  }

  async all(environment: Environment, identity: Identity, manager: EntityManager = this.dataSource.manager) {
    const flags = await identityFlags(manager, environment, environment.project, identity);
    return flags.map(identityFlagJson);
  }

  /** Replaces the identity's overrides with copies of another identity's (same environment). */
  async cloneFrom(principal: Principal, environment: Environment, target: Identity, body: unknown) {
    const v = new BodyReader(body);
    const sourceId = v.integer('source_identity_id', { min: 1 });
    v.assertValid();
    const source = await this.identities.get(environment, sourceId);
    return this.identities.write(principal, environment, async (manager) => {
      const repo = manager.getRepository(FeatureState);
      await repo.delete({ identityId: target.id });
      const states = await repo.find({ where: { identityId: source.id }, order: { id: 'ASC' } });
      const copies = await repo.save(
        states.map((state) =>
          repo.create({
            featureId: state.featureId,
            environmentId: environment.id,
            identityId: target.id,
            featureSegmentId: null,
            enabled: state.enabled,
            ...valueColumns(state),
          }),
        ),
      );
      await this.values.copyMvValues(manager, new Map(states.map((state, i) => [state.id, copies[i].id])));
      return {
        result: await this.all(environment, target, manager),
        log: `Identity overrides of '${target.identifier}' cloned from identity '${source.identifier}'`,
        type: 'IDENTITY',
        id: target.id,
        uuid: target.uuid,
      };
    });
  }
}
