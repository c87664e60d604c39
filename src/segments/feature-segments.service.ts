import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { BadRequest, NotFound, ValidationFailed } from '../common/domain-errors';
import type { PageRequest } from '../common/pagination';
import { UnitOfWork } from '../common/unit-of-work';
import { parseId } from '../common/drf-values';
import type { Environment } from '../environments/environment.entity';
import { FeatureStateValuesService, mvValueJson } from '../features/feature-state-values.service';
import { FeatureStateWebhookEvents } from '../features/feature-state-webhook';
import { readStateValues, type StateChanges, valueFormJson } from '../features/feature-values';
import type {
  Feature,
  FeatureSegment,
  FeatureState,
  MultivariateFeatureStateValue,
} from '../features/feature.entity';
import { PermissionsService } from '../permissions/permissions.service';
import type {
  CreateFeatureSegmentInput,
  CreateSegmentOverrideInput,
  PriorityInput,
  SegmentOverrideStateJson,
} from './feature-segment.schemas';
import { FeatureSegmentsRepository, SlotKey } from './feature-segments.repository';
import { Segment } from './segment.entity';
import { featureSegmentJson } from './segment.serializers';

const NOT_UNIQUE = 'The fields feature, environment, segment must make a unique set.';

/**
 * Segment override slots (feature × segment × environment) and their priorities (docs/contracts/admin-api.md §8).
 * Priorities of one feature × environment are kept dense, 0 = strongest: a new slot goes last unless a priority is
 * asked for (then it is inserted there and the others move down), deleting closes the gap, update-priorities
 * moves each listed slot to its new position in turn (Flagsmith's django-ordered-model `.to()`).
 */
@Injectable()
export class FeatureSegmentsService {
  constructor(
    private readonly slots: FeatureSegmentsRepository,
    private readonly uow: UnitOfWork,
    private readonly permissions: PermissionsService,
    private readonly values: FeatureStateValuesService,
    private readonly webhooks: FeatureStateWebhookEvents,
  ) {}

  /** One page of a feature's slots in an environment (VIEW_ENVIRONMENT on it), by priority. */
  async page(
    principal: Principal,
    environmentId: number,
    featureId: number,
    page: PageRequest,
  ): Promise<{ count: number; rows: FeatureSegment[] }> {
    const environment = await this.permissions.requireEnvironment(
      principal,
      environmentId,
      'VIEW_ENVIRONMENT',
      'id',
    );
    return this.slots.page(environment.id, featureId, page);
  }

  /** Inserts a new slot at `priority` (or last) and returns it with its final priority. */
  private async insertSlot(
    manager: EntityManager,
    key: SlotKey,
    priority: number | undefined,
  ): Promise<FeatureSegment> {
    await this.slots.lockGroup(manager, key.featureId, key.environmentId);
    if (await this.slots.exists(manager, key)) throw new ValidationFailed({ non_field_errors: [NOT_UNIQUE] });
    const order = await this.slots.orderedIds(manager, key.featureId, key.environmentId);
    const slot = await this.slots.insert(manager, key, order.length);
    if (priority !== undefined && priority < order.length) {
      order.splice(priority, 0, slot.id);
      await this.slots.setOrder(manager, order);
      slot.priority = priority;
    }
    return slot;
  }

  /** The segment of a new slot: one of the project's, and (if feature-specific) of this feature. */
  private async segmentFor(
    projectId: number,
    featureId: number,
    raw: unknown,
  ): Promise<{ segment?: Segment; error?: Record<string, string[]> }> {
    const id = parseId(raw);
    const segment = id ? await this.slots.segment(projectId, id) : null;
    if (!segment) return { error: { segment: [`Invalid pk "${String(raw)}" - object does not exist.`] } };
    if (segment.featureId !== null && segment.featureId !== featureId)
      return {
        error: {
          feature: [`Can only create segment override(using this segment) for feature ${segment.featureId}`],
        },
      };
    return { segment };
  }

  private async featureOf(environment: Environment, raw: unknown): Promise<Feature | null> {
    const id = parseId(raw);
    return id ? this.slots.feature(environment.projectId, id) : null;
  }

  /** POST /features/feature-segments/ `{feature, segment, environment}`: a new slot, last. */
  async create(
    principal: Principal,
    environment: Environment,
    input: CreateFeatureSegmentInput,
  ): Promise<FeatureSegment> {
    const feature = await this.featureOf(environment, input.feature);
    if (!feature)
      throw ValidationFailed.field('feature', `Invalid pk "${input.feature}" - object does not exist.`);
    const { segment, error } = await this.segmentFor(environment.projectId, feature.id, input.segment);
    if (!segment) throw new ValidationFailed(error ?? {});
    return this.uow.run(async (tx) => {
      const slot = await this.insertSlot(
        tx.manager,
        { featureId: feature.id, segmentId: segment.id, environmentId: environment.id },
        undefined,
      );
      tx.environmentsChanged([environment.id]);
      tx.audit({
        log: `Segment override added for feature '${feature.name}' and segment '${segment.name}' in environment '${environment.name}'`,
        principal,
        organisationId: environment.project.organisationId,
        projectId: environment.projectId,
        environmentId: environment.id,
        relatedObjectType: 'FEATURE',
        relatedObjectId: feature.id,
        relatedObjectUuid: feature.uuid,
        after: featureSegmentJson(slot),
      });
      return slot;
    });
  }

  /** A slot visible to the principal with `MANAGE_SEGMENT_OVERRIDES` on its environment (404 / 403 otherwise). */
  async getForWrite(
    principal: Principal,
    ref: number | { uuid: string },
  ): Promise<{ slot: FeatureSegment; environment: Environment }> {
    const slot = typeof ref === 'number' ? await this.slots.find(ref) : await this.slots.findByUuid(ref.uuid);
    if (!slot || !slot.feature || slot.feature.deletedAt) throw new NotFound();
    const environment = await this.permissions.requireEnvironment(
      principal,
      slot.environmentId,
      'MANAGE_SEGMENT_OVERRIDES',
      'id',
    );
    return { slot, environment };
  }

  async remove(principal: Principal, id: number): Promise<void> {
    const { slot, environment } = await this.getForWrite(principal, id);
    await this.uow.run(async (tx) => {
      await this.slots.lockGroup(tx.manager, slot.featureId, slot.environmentId);
      await this.webhooks.segmentOverrideDeleted(tx, environment, principal, slot.feature, slot.id);
      await this.slots.delete(tx.manager, slot.id);
      await this.slots.renumber(tx.manager, [slot]);
      tx.environmentsChanged([environment.id]);
      tx.audit({
        log: `Flag state / Remote config value deleted for feature '${slot.feature.name}' and segment '${slot.segment.name}'`,
        principal,
        organisationId: environment.project.organisationId,
        projectId: environment.projectId,
        environmentId: environment.id,
        relatedObjectType: 'FEATURE',
        relatedObjectId: slot.featureId,
        relatedObjectUuid: slot.feature.uuid,
        before: featureSegmentJson(slot),
      });
    });
  }

  /**
   * POST /features/feature-segments/update-priorities/ `[{id, priority}]` (one feature × environment): the
   * listed slots, by their new priority. A request that moves nothing writes nothing (and is not audited).
   */
  async updatePriorities(principal: Principal, pairs: readonly PriorityInput[]): Promise<FeatureSegment[]> {
    if (pairs.length === 0) return [];
    const ids = [...new Set(pairs.map((p) => p.id))];
    if (ids.length !== pairs.length) throw new BadRequest('Each feature segment may only be given once.');
    const slots = await this.slots.findMany(ids);
    if (slots.length !== ids.length || slots.some((s) => !s.feature || s.feature.deletedAt))
      throw new NotFound();
    const first = slots[0];
    const environment = await this.permissions.requireEnvironment(
      principal,
      first.environmentId,
      'MANAGE_SEGMENT_OVERRIDES',
      'id',
    );
    if (slots.some((s) => s.environmentId !== first.environmentId || s.featureId !== first.featureId))
      throw new ValidationFailed({
        non_field_errors: ['All feature segments must belong to the same feature & environment.'],
      });
    return this.uow.run(
      async (tx) => {
        await this.slots.lockGroup(tx.manager, first.featureId, first.environmentId);
        const order = await this.slots.orderedIds(tx.manager, first.featureId, first.environmentId);
        const before = order.slice();
        for (const { id, priority } of pairs) {
          const from = order.indexOf(id);
          if (from < 0) throw new NotFound();
          order.splice(from, 1);
          order.splice(Math.min(priority, order.length), 0, id);
        }
        await this.slots.setOrder(tx.manager, order);
        if (order.some((id, index) => before[index] !== id)) {
          tx.environmentsChanged([environment.id]);
          tx.audit({
            log: `Segment override priorities updated for feature '${first.feature.name}' in environment '${environment.name}'`,
            principal,
            organisationId: environment.project.organisationId,
            projectId: environment.projectId,
            environmentId: environment.id,
            relatedObjectType: 'FEATURE',
            relatedObjectId: first.featureId,
            relatedObjectUuid: first.feature.uuid,
            before: before.map((id, priority) => ({ id, priority })),
            after: order.map((id, priority) => ({ id, priority })),
          });
        }
        return this.slots.listed(tx.manager, ids);
      },
      { unaudited: 'an update that moves no slot changes nothing' },
    );
  }

  /** The feature of a create-segment-override path: one of the environment's project (404 otherwise). */
  async featureInPath(environment: Environment, featurePk: unknown): Promise<Feature> {
    const feature = await this.featureOf(environment, featurePk);
    if (!feature) throw new NotFound();
    return feature;
  }

  /**
   * POST /environments/{api_key}/features/{feature_pk}/create-segment-override/: the slot, its override state and
   * multivariate values in one transaction; the state in the typed value form with its slot nested.
   */
  async createSegmentOverride(
    principal: Principal,
    environment: Environment,
    feature: Feature,
    input: CreateSegmentOverrideInput,
  ): Promise<SegmentOverrideStateJson> {
    const { changes: valueChanges } = readStateValues(input, 'typed');
    const changes: StateChanges =
      input.enabled === undefined ? valueChanges : { enabled: input.enabled, ...valueChanges };
    const { priority } = input.feature_segment;
    const { segment, error } = await this.segmentFor(
      environment.projectId,
      feature.id,
      input.feature_segment.segment,
    );
    if (!segment) throw new ValidationFailed({ feature_segment: error ?? {} });
    return this.uow.run(async (tx) => {
      const manager = tx.manager;
      const slot = await this.insertSlot(
        manager,
        { featureId: feature.id, segmentId: segment.id, environmentId: environment.id },
        priority,
      );
      const state = this.slots.newOverrideState(manager, {
        featureId: feature.id,
        environmentId: environment.id,
        featureSegmentId: slot.id,
        identityId: null,
        enabled: false,
        ...this.values.initialValue(environment.project, feature),
      });
      // Foreign or repeated options answer 400 from here, rolling the slot back with the state.
      const saved = await this.values.apply(manager, state, changes);
      const mv = await this.values.mvValuesByState(manager, [saved.id]);
      const json = segmentOverrideStateJson(saved, slot, mv.get(saved.id) ?? []);
      tx.environmentsChanged([environment.id]);
      await this.webhooks.updated(tx, environment, principal, feature, saved, null);
      tx.audit({
        log: `Segment override created for feature '${feature.name}' and segment '${segment.name}'`,
        principal,
        organisationId: environment.project.organisationId,
        projectId: environment.projectId,
        environmentId: environment.id,
        relatedObjectType: 'FEATURE_STATE',
        relatedObjectId: saved.id,
        relatedObjectUuid: saved.uuid,
        after: json,
      });
      return json;
    });
  }
}

/** Flagsmith's CreateSegmentOverrideFeatureStateSerializer: typed value, nested feature_segment. */
export function segmentOverrideStateJson(
  fs: FeatureState,
  slot: FeatureSegment,
  mv: readonly MultivariateFeatureStateValue[],
): SegmentOverrideStateJson {
  return {
    id: fs.id,
    uuid: fs.uuid,
    feature: fs.featureId,
    enabled: fs.enabled,
    feature_state_value: valueFormJson(fs),
    feature_segment: { id: slot.id, uuid: slot.uuid, segment: slot.segmentId, priority: slot.priority },
    deleted_at: null,
    created_at: fs.createdAt.toISOString(),
    updated_at: fs.updatedAt.toISOString(),
    live_from: fs.liveFrom?.toISOString() ?? null,
    environment: fs.environmentId,
    identity: null,
    change_request: null,
    multivariate_feature_state_values: mv.map(mvValueJson),
  };
}
