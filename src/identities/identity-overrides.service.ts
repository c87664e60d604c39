import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { BadRequest, FieldErrors, NotFound, ValidationFailed } from '../common/domain-errors';
import type { PageRequest } from '../common/pagination';
import { UnitOfWork, WriteContext } from '../common/unit-of-work';
import { parseId, toInteger } from '../common/drf-values';
import type { Environment } from '../environments/environment.entity';
import { FeatureStateValuesService, StateChanges } from '../features/feature-state-values.service';
import { FeatureStateWebhookEvents } from '../features/feature-state-webhook';
import { typedValueFromRaw } from '../features/feature-values';
import type { FeatureState } from '../features/feature.entity';
import { S, validate } from '../http/schema';
import { IdentityOverridesRepository } from './identity-overrides.repository';
import { Identity } from './identity.entity';
import type { IdentityFlagJson, IdentityOverrideInput } from './identity.schemas';
import { identityFlagJson } from './identity.serializers';

/** Flagsmith's FeatureStateSerializerBasic as FeatureStateValuesService.stateJson answers it. */
export type OverrideJson = ReturnType<FeatureStateValuesService['stateJson']>;

/** `enabled` is read with the value and the multivariate list, so that their errors are answered together. */
const Enabled = S.object({ enabled: S.optional(S.boolean()) });

/**
 * Identity overrides: feature states with `identity` set (docs/contracts/admin-api.md §9). They are part of the
 * environment document, so every write bumps the environment. SQL in IdentityOverridesRepository; the value and
 * multivariate rules are the shared feature-state logic's (FeatureStateValuesService).
 */
@Injectable()
export class IdentityOverridesService {
  constructor(
    private readonly overrides: IdentityOverridesRepository,
    private readonly values: FeatureStateValuesService,
    private readonly uow: UnitOfWork,
    private readonly webhooks: FeatureStateWebhookEvents,
  ) {}

  /** `enabled`, a raw `feature_state_value` and `multivariate_feature_state_values`; 400 before any write. */
  private changes(input: Partial<IdentityOverrideInput>): StateChanges {
    const read = validate(Enabled, { enabled: input.enabled });
    const errors: Record<string, unknown> = read.ok ? {} : { ...read.errors };
    const changes: StateChanges = {};
    if (read.ok && read.value.enabled !== undefined) changes.enabled = read.value.enabled;
    if (input.feature_state_value !== undefined) {
      const value = typedValueFromRaw(input.feature_state_value);
      // Flagsmith answers raw-value errors with the value serializer's own (top-level) errors.
      if (value.ok) changes.value = value.value;
      else Object.assign(errors, value.errors);
    }
    const mv = this.values.parseMvValues(input.multivariate_feature_state_values);
    if (mv.errors !== undefined) errors.multivariate_feature_state_values = mv.errors;
    // Flagsmith checks the sum in the state serializer's validate(): a top-level non-field error.
    else if (mv.nonFieldErrors !== undefined) errors.non_field_errors = mv.nonFieldErrors;
    else if (mv.values !== undefined) changes.mvValues = mv.values;
    if (Object.keys(errors).length) throw new ValidationFailed(errors as FieldErrors);
    return changes;
  }

  private audit(
    tx: WriteContext,
    principal: Principal,
    environment: Environment,
    entry: { log: string; type: 'FEATURE_STATE' | 'IDENTITY'; id: number; uuid: string } & {
      before?: unknown;
      after?: unknown;
    },
  ): void {
    const { type, id, uuid, ...rest } = entry;
    tx.audit({
      ...rest,
      principal,
      organisationId: environment.project.organisationId,
      projectId: environment.projectId,
      environmentId: environment.id,
      relatedObjectType: type,
      relatedObjectId: id,
      relatedObjectUuid: uuid,
    });
  }

  /** FeatureStateSerializerBasic: raw value, `identity` as the pk (list views: `{id, identifier}`). */
  private async json(
    states: readonly FeatureState[],
    identity: number | { id: number; identifier: string },
    tx?: WriteContext,
  ): Promise<OverrideJson[]> {
    const mv = await this.overrides.mvValues(
      states.map((s) => s.id),
      tx?.manager,
    );
    return states.map((state) => this.values.stateJson(state, mv.get(state.id) ?? [], 'raw', identity));
  }

  async page(
    identity: Identity,
    featureId: number | undefined,
    page: PageRequest,
  ): Promise<{ count: number; rows: OverrideJson[] }> {
    const { count, rows } = await this.overrides.page(identity.id, featureId, page);
    return { count, rows: await this.json(rows, { id: identity.id, identifier: identity.identifier }) };
  }

  async override(identity: Identity, id: number): Promise<OverrideJson> {
    const state = await this.overrides.find(identity.id, id);
    if (!state) throw new NotFound();
    return (await this.json([state], identity.id))[0];
  }

  async create(
    principal: Principal,
    environment: Environment,
    identity: Identity,
    input: IdentityOverrideInput,
  ): Promise<OverrideJson> {
    const featureRaw = input.feature;
    if (featureRaw === undefined || featureRaw === null) throw new BadRequest('Feature not provided');
    const requested = toInteger(featureRaw);
    if (requested === undefined)
      throw ValidationFailed.field(
        'feature',
        `Incorrect type. Expected pk value, received ${typeof featureRaw}.`,
      );
    const featureId = parseId(featureRaw);
    const feature = featureId
      ? await this.overrides.featureOfProject(environment.projectId, featureId)
      : null;
    if (!feature)
      throw ValidationFailed.field('feature', `Invalid pk "${requested}" - object does not exist.`);
    const changes = this.changes(input);
    return this.uow.run(async (tx) => {
      if (await this.overrides.lockPairAndCheck(tx.manager, feature.id, identity.id))
        throw new ValidationFailed({
          non_field_errors: ['Feature state already exists for this environment and identity'],
        });
      const state = this.overrides.newOverride(tx.manager, {
        featureId: feature.id,
        environmentId: environment.id,
        identityId: identity.id,
        enabled: false,
        ...this.values.initialValue(environment.project, feature),
      });
      const saved = await this.values.apply(tx.manager, state, changes);
      const [json] = await this.json([saved], identity.id, tx);
      tx.environmentsChanged([environment.id]);
      await this.webhooks.updated(tx, environment, principal, feature, saved, null);
      this.audit(tx, principal, environment, {
        log: `Identity override created for feature '${feature.name}' and identity '${identity.identifier}'`,
        type: 'FEATURE_STATE',
        id: saved.id,
        uuid: saved.uuid,
        after: json,
      });
      return json;
    });
  }

  /** PUT and PATCH are both partial, as in Flagsmith; `before` is the override as locked. */
  async update(
    principal: Principal,
    environment: Environment,
    identity: Identity,
    id: number,
    input: Partial<IdentityOverrideInput>,
  ): Promise<OverrideJson> {
    const found = await this.overrides.find(identity.id, id);
    if (!found) throw new NotFound();
    if (input.feature !== undefined && toInteger(input.feature) !== found.featureId)
      throw ValidationFailed.field('feature', 'Cannot change the feature of a feature state');
    const changes = this.changes(input);
    return this.uow.run(async (tx) => {
      const state = await this.overrides.lock(tx.manager, identity.id, id);
      if (!state) throw new NotFound();
      const [before] = await this.json([state], identity.id, tx);
      const previous = await this.webhooks.before(tx, state, state.feature, environment);
      const saved = await this.values.apply(tx.manager, state, changes);
      const [json] = await this.json([saved], identity.id, tx);
      tx.environmentsChanged([environment.id]);
      await this.webhooks.updated(tx, environment, principal, state.feature, saved, previous);
      this.audit(tx, principal, environment, {
        log: `Flag state / Remote config value updated for feature '${state.feature.name}' and identity '${identity.identifier}'`,
        type: 'FEATURE_STATE',
        id: saved.id,
        uuid: saved.uuid,
        before,
        after: json,
      });
      return json;
    });
  }

  remove(principal: Principal, environment: Environment, identity: Identity, id: number): Promise<void> {
    return this.uow.run(async (tx) => {
      const state = await this.overrides.lock(tx.manager, identity.id, id);
      if (!state) throw new NotFound();
      const [before] = await this.json([state], identity.id, tx);
      await this.webhooks.deleted(tx, environment, principal, state.feature, state);
      await this.overrides.delete(tx.manager, state.id);
      tx.environmentsChanged([environment.id]);
      this.audit(tx, principal, environment, {
        log: `Flag state / Remote config value deleted for feature '${state.feature.name}' and identity '${identity.identifier}'`,
        type: 'FEATURE_STATE',
        id: state.id,
        uuid: state.uuid,
        before,
      });
    });
  }

  /** Every feature's effective flag for the identity (…/featurestates/all/). */
  async all(environment: Environment, identity: Identity, tx?: WriteContext): Promise<IdentityFlagJson[]> {
    return (await this.overrides.flags(environment, identity, tx?.manager)).map(identityFlagJson);
  }

  /** Replaces the identity's overrides with copies of another identity's (same environment). */
  cloneFrom(
    principal: Principal,
    environment: Environment,
    target: Identity,
    source: Identity,
  ): Promise<IdentityFlagJson[]> {
    return this.uow.run(async (tx) => {
      await this.overrides.replaceWithCopies(tx.manager, environment.id, source.id, target.id);
      tx.environmentsChanged([environment.id]);
      this.audit(tx, principal, environment, {
        log: `Identity overrides of '${target.identifier}' cloned from identity '${source.identifier}'`,
        type: 'IDENTITY',
        id: target.id,
        uuid: target.uuid,
      });
      return this.all(environment, target, tx);
    });
  }
}
