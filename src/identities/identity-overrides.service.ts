import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { FastifyRequest } from 'fastify';
import { DataSource, EntityManager } from 'typeorm';
import { badRequestDetail, fieldError, notFound } from '../common/errors';
import { paginate } from '../common/pagination';
import { BodyReader, MESSAGES, parseId, toInteger } from '../common/validation';
import { Environment } from '../environments/environment.entity';
import { typedValueFromInitial } from '../features/feature-values';
import { Feature, FeatureState } from '../features/feature.entity';
import { Principal } from '../auth/principal';
import {
  applyTypedValue,
  loadMvValues,
  MvValueInput,
  readMvValues,
  typedValueFromJson,
  writeMvValues,
} from '../segments/override-values';
import { IdentitiesService } from './identities.service';
import { identityFlags } from './identity-evaluation';
import { Identity } from './identity.entity';
import { identityFlagJson, identityOverrideJson } from './identity.serializers';

/** Identity overrides: feature states with `identity` set (admin-api §9). */
@Injectable()
export class IdentityOverridesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly identities: IdentitiesService,
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
      const mv = await loadMvValues(
        this.dataSource.manager,
        rows.map((r) => r.id),
      );
      return rows.map((fs) =>
        identityOverrideJson(fs, mv.get(fs.id), { id: identity.id, identifier: identity.identifier }),
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

  async retrieve(identity: Identity, state: FeatureState) {
    const mv = await loadMvValues(this.dataSource.manager, [state.id]);
    return identityOverrideJson(state, mv.get(state.id), identity.id);
  }

  private async json(manager: EntityManager, identity: Identity, state: FeatureState) {
    const mv = await loadMvValues(manager, [state.id]);
    return identityOverrideJson(state, mv.get(state.id), identity.id);
  }

  private async readBody(
    v: BodyReader,
    feature: Feature,
  ): Promise<{ enabled?: boolean; value?: ReturnType<typeof typedValueFromInitial>; mv?: MvValueInput[] }> {
    const enabled = v.boolean('enabled', { optional: true });
    let value: ReturnType<typeof typedValueFromInitial> | undefined;
    const raw = v.raw('feature_state_value');
    if (raw !== undefined) {
      const typed = typedValueFromJson(raw);
      if ('error' in typed) v.error('feature_state_value', typed.error);
      else value = typed;
    }
    let mv: MvValueInput[] | undefined;
    if (v.has('multivariate_feature_state_values')) {
      const result = await readMvValues(
        this.dataSource.manager,
        feature,
        v.raw('multivariate_feature_state_values'),
      );
      if (result.errors) Object.assign(v.errors, result.errors);
      mv = result.values;
    }
    return { enabled, value, mv };
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
    const input = await this.readBody(v, feature);
    v.assertValid();
    return this.identities.write(principal, environment, async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1, $2)', [feature.id, identity.id]);
      const exists = await manager
        .getRepository(FeatureState)
        .existsBy({ featureId: feature.id, identityId: identity.id });
      if (exists)
        throw new BadRequestException({
          non_field_errors: ['Feature state already exists for this environment and identity'],
        });
      const repo = manager.getRepository(FeatureState);
      const state = repo.create({
        featureId: feature.id,
        environmentId: environment.id,
        identityId: identity.id,
        featureSegmentId: null,
        enabled: input.enabled ?? false,
      });
      applyTypedValue(state, input.value ?? typedValueFromInitial(feature.initialValue));
      const saved = await repo.save(state);
      await writeMvValues(manager, saved.id, input.mv ?? []);
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
    const input = await this.readBody(v, state.feature);
    v.assertValid();
    const before = await this.json(this.dataSource.manager, identity, state);
    return this.identities.write(principal, environment, async (manager) => {
      if (input.enabled !== undefined) state.enabled = input.enabled;
      if (input.value !== undefined) applyTypedValue(state, input.value);
      const saved = await manager.getRepository(FeatureState).save(state);
      if (input.mv !== undefined) await writeMvValues(manager, saved.id, input.mv);
      const json = await this.json(manager, identity, saved);
      return {
        result: json,
        log: `Flag state / Remote config value updated for feature '${state.feature.name}' and identity '${identity.identifier}'`,
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
      const mv = await loadMvValues(
        manager,
        states.map((s) => s.id),
      );
      for (const state of states) {
        const copy = repo.create({
          featureId: state.featureId,
          environmentId: environment.id,
          identityId: target.id,
          featureSegmentId: null,
          enabled: state.enabled,
        });
        applyTypedValue(copy, state);
        const saved = await repo.save(copy);
        await writeMvValues(
          manager,
          saved.id,
          (mv.get(state.id) ?? []).map((m) => ({
            optionId: m.multivariateFeatureOptionId,
            percentageAllocation: m.percentageAllocation,
          })),
        );
      }
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
