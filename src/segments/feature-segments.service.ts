import { writeTransaction } from '../common/transaction';
import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { FastifyRequest } from 'fastify';
import { DataSource, EntityManager, In } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Principal } from '../auth/principal';
import { badRequestDetail, fieldError, notFound } from '../common/errors';
import { Page, paginate } from '../common/pagination';
import { BodyReader, isPlainObject, MESSAGES, parseId, toInteger } from '../common/validation';
import { Environment } from '../environments/environment.entity';
import { EnvironmentChangesService } from '../environments/environment-changes.service';
import { PermissionsService } from '../permissions/permissions.service';
import {
  assertNoErrors,
  FeatureStateValuesService,
  mvValueJson,
  NestedErrors,
} from '../features/feature-state-values.service';
import { valueFormJson } from '../features/feature-values';
import {
  Feature,
  FeatureSegment,
  FeatureState,
  MultivariateFeatureStateValue,
} from '../features/feature.entity';
import { Segment } from './segment.entity';
import { featureSegmentJson, featureSegmentListJson } from './segment.serializers';

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
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly permissions: PermissionsService,
    private readonly audit: AuditService,
    private readonly changes: EnvironmentChangesService,
    private readonly values: FeatureStateValuesService,
  ) {}

  async list(
    request: FastifyRequest,
    principal: Principal,
  ): Promise<Page<ReturnType<typeof featureSegmentListJson>>> {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const errors: Record<string, string[]> = {};
    const read = (field: string): number | undefined => {
      const raw = query[field];
      if (raw === undefined || raw === '') errors[field] = [MESSAGES.required];
      else if (parseId(raw) === undefined) errors[field] = [MESSAGES.integer];
      return parseId(raw);
    };
    const environmentId = read('environment');
    const featureId = read('feature');
    if (Object.keys(errors).length > 0) throw new BadRequestException(errors);
    const environment = await this.permissions.requireEnvironment(
      principal,
      environmentId,
      'VIEW_ENVIRONMENT',
      'id',
    );
    const qb = this.dataSource
      .getRepository(FeatureSegment)
      .createQueryBuilder('fsg')
      .innerJoinAndSelect('fsg.segment', 's')
      .innerJoin('fsg.feature', 'f')
      .where('fsg.environment_id = :env', { env: environment.id })
      .andWhere('fsg.feature_id = :feature', { feature: featureId })
      .andWhere('f.deleted_at IS NULL')
      .orderBy('fsg.priority')
      .addOrderBy('fsg.id');
    return paginate(request, qb, (rows) => rows.map(featureSegmentListJson));
  }

  private async lockGroup(manager: EntityManager, featureId: number, environmentId: number): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock($1, $2)', [featureId, environmentId]);
  }

  private async orderedIds(
    manager: EntityManager,
    featureId: number,
    environmentId: number,
  ): Promise<number[]> {
    const rows = await manager.query<{ id: number }[]>(
      'SELECT id FROM feature_segments WHERE feature_id = $1 AND environment_id = $2 ORDER BY priority, id',
      [featureId, environmentId],
    );
    return rows.map((r) => r.id);
  }

  private async setOrder(manager: EntityManager, ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await manager.query(
      `UPDATE feature_segments f SET priority = v.p FROM unnest($1::int[], $2::int[]) AS v(id, p)
        WHERE f.id = v.id AND f.priority <> v.p`,
      [ids, ids.map((_, index) => index)],
    );
  }

  /** Makes the priorities of these slots' feature × environment groups dense again (after deletions). */
  async renumber(
    manager: EntityManager,
    slots: readonly { featureId: number; environmentId: number }[],
  ): Promise<void> {
    if (slots.length === 0) return;
    await manager.query(
      `UPDATE feature_segments f SET priority = r.rn - 1
         FROM (SELECT id, row_number() OVER (PARTITION BY feature_id, environment_id ORDER BY priority, id) AS rn
                 FROM feature_segments
                WHERE (feature_id, environment_id) IN (SELECT * FROM unnest($1::int[], $2::int[]))) r
        WHERE f.id = r.id AND f.priority <> r.rn - 1`,
      [slots.map((s) => s.featureId), slots.map((s) => s.environmentId)],
    );
  }

  /** Inserts a new slot at `priority` (or last) and returns it with its final priority. */
  private async insertSlot(
    manager: EntityManager,
    values: { featureId: number; segmentId: number; environmentId: number },
    priority: number | undefined,
  ): Promise<FeatureSegment> {
    await this.lockGroup(manager, values.featureId, values.environmentId);
    const duplicate = await manager.getRepository(FeatureSegment).existsBy(values);
    if (duplicate) throw new BadRequestException({ non_field_errors: [NOT_UNIQUE] });
    const order = await this.orderedIds(manager, values.featureId, values.environmentId);
    const repo = manager.getRepository(FeatureSegment);
    const slot = await repo.save(repo.create({ ...values, priority: order.length }));
    if (priority !== undefined && priority < order.length) {
      order.splice(priority, 0, slot.id);
      await this.setOrder(manager, order);
      slot.priority = priority;
    }
    return slot;
  }

  private async readSegmentFor(
    manager: EntityManager,
    projectId: number,
    featureId: number,
    raw: unknown,
  ): Promise<{ segment?: Segment; error?: Record<string, string[]> }> {
    const id = parseId(raw);
    const segment = id ? await manager.getRepository(Segment).findOneBy({ id, projectId }) : null;
    if (!segment) return { error: { segment: [`Invalid pk "${String(raw)}" - object does not exist.`] } };
    if (segment.featureId !== null && segment.featureId !== featureId)
      return {
        error: {
          feature: [`Can only create segment override(using this segment) for feature ${segment.featureId}`],
        },
      };
    return { segment };
  }

  /** POST /features/feature-segments/ `{feature, segment, environment}`. */
  async create(principal: Principal, environment: Environment, body: unknown) {
    const v = new BodyReader(body);
    const featureRaw = v.raw('feature');
    const segmentRaw = v.raw('segment');
    for (const [field, raw] of [
      ['feature', featureRaw],
      ['segment', segmentRaw],
    ] as const) {
      if (raw === undefined || raw === null) v.error(field, MESSAGES.required);
      else if (toInteger(raw) === undefined)
        v.error(field, `Incorrect type. Expected pk value, received ${typeof raw}.`);
    }
    v.assertValid();
    const feature = await this.featureOf(environment, featureRaw);
    if (!feature) throw fieldError('feature', `Invalid pk "${String(featureRaw)}" - object does not exist.`);
    const { segment, error } = await this.readSegmentFor(
      this.dataSource.manager,
      environment.projectId,
      feature.id,
      segmentRaw,
    );
    if (!segment) throw new BadRequestException(error);
    return writeTransaction(this.dataSource, async (manager) => {
      const slot = await this.insertSlot(
        manager,
        { featureId: feature.id, segmentId: segment.id, environmentId: environment.id },
        undefined,
      );
      await this.changes.environmentsChanged(manager, [environment.id]);
      await this.audit.record(manager, {
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
      return featureSegmentJson(slot);
    });
  }

  private async featureOf(environment: Environment, raw: unknown): Promise<Feature | null> {
    const id = parseId(raw);
    return id
      ? this.dataSource.getRepository(Feature).findOneBy({ id, projectId: environment.projectId })
      : null;
  }

  /** A slot visible to the principal with `MANAGE_SEGMENT_OVERRIDES` on its environment (404 / 403 otherwise). */
  async getForWrite(
    principal: Principal,
    id: unknown,
  ): Promise<{ slot: FeatureSegment; environment: Environment }> {
    const slotId = parseId(id);
    const slot = slotId
      ? await this.dataSource
          .getRepository(FeatureSegment)
          .findOne({ where: { id: slotId }, relations: { segment: true, feature: true } })
      : null;
    if (!slot || !slot.feature || slot.feature.deletedAt) throw notFound();
    const environment = await this.permissions.requireEnvironment(
      principal,
      slot.environmentId,
      'MANAGE_SEGMENT_OVERRIDES',
      'id',
    );
    return { slot, environment };
  }

  async remove(principal: Principal, id: unknown): Promise<void> {
    const { slot, environment } = await this.getForWrite(principal, id);
    await writeTransaction(this.dataSource, async (manager) => {
      await this.lockGroup(manager, slot.featureId, slot.environmentId);
      await manager.getRepository(FeatureSegment).delete({ id: slot.id });
      await this.renumber(manager, [slot]);
      await this.changes.environmentsChanged(manager, [environment.id]);
      await this.audit.record(manager, {
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

  /** POST /features/feature-segments/update-priorities/ `[{id, priority}]` (one feature × environment). */
  async updatePriorities(principal: Principal, body: unknown) {
    if (!Array.isArray(body)) throw new BadRequestException({ non_field_errors: [MESSAGES.list(body)] });
    const itemErrors: Record<string, string[]>[] = [];
    const pairs: { id: number; priority: number }[] = [];
    for (const item of body) {
      if (!isPlainObject(item)) {
        itemErrors.push({ non_field_errors: [MESSAGES.object(item)] });
        continue;
      }
      const v = new BodyReader(item);
      const id = v.integer('id', { min: 1 });
      const priority = v.integer('priority', { min: 0 });
      itemErrors.push(v.errors);
      if (v.valid) pairs.push({ id: id!, priority: priority! });
    }
    // DRF answers a list of per-item errors; the error pipeline serves objects, so report the first bad item.
    const firstBad = itemErrors.find((e) => Object.keys(e).length > 0);
    if (firstBad) throw new BadRequestException(firstBad);
    if (pairs.length === 0) return [];
    const ids = [...new Set(pairs.map((p) => p.id))];
    if (ids.length !== pairs.length) throw badRequestDetail('Each feature segment may only be given once.');
    const slots = await this.dataSource
      .getRepository(FeatureSegment)
      .find({ where: { id: In(ids) }, relations: { feature: true } });
    if (slots.length !== ids.length || slots.some((s) => !s.feature || s.feature.deletedAt)) throw notFound();
    const first = slots[0];
    const environment = await this.permissions.requireEnvironment(
      principal,
      first.environmentId,
      'MANAGE_SEGMENT_OVERRIDES',
      'id',
    );
    if (slots.some((s) => s.environmentId !== first.environmentId || s.featureId !== first.featureId)) {
      throw new BadRequestException({
        non_field_errors: ['All feature segments must belong to the same feature & environment.'],
      });
    }
    return writeTransaction(this.dataSource, async (manager) => {
      await this.lockGroup(manager, first.featureId, first.environmentId);
      const order = await this.orderedIds(manager, first.featureId, first.environmentId);
      const before = order.slice();
      for (const { id, priority } of pairs) {
        const from = order.indexOf(id);
        if (from < 0) throw notFound();
        order.splice(from, 1);
        order.splice(Math.min(priority, order.length), 0, id);
      }
      await this.setOrder(manager, order);
      const changed = order.some((id, index) => before[index] !== id);
      if (changed) {
        await this.changes.environmentsChanged(manager, [environment.id]);
        await this.audit.record(manager, {
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
      const updated = await manager.getRepository(FeatureSegment).find({
        where: { id: In(ids) },
        relations: { segment: true },
        order: { priority: 'ASC', id: 'ASC' },
      });
      return updated.map(featureSegmentListJson);
    });
  }

  /**
   * POST /environments/{api_key}/features/{feature_pk}/create-segment-override/: the slot, its override state and
   * multivariate values in one transaction. 201 with the state (typed value, nested feature_segment).
   */
  async createSegmentOverride(
    principal: Principal,
    environment: Environment,
    featurePk: unknown,
    body: unknown,
  ) {
    const feature = await this.featureOf(environment, featurePk);
    if (!feature) throw notFound();
    const v = new BodyReader(body);
    // The typed value is a required nested serializer (CreateSegmentOverrideFeatureStateSerializer).
    if (!v.has('feature_state_value')) v.error('feature_state_value', MESSAGES.required);
    else if (v.raw('feature_state_value') === null) v.error('feature_state_value', MESSAGES.null);
    const { changes, errors } = this.values.readChanges(v, 'typed');
    const nested: NestedErrors = { ...errors };
    let segmentRaw: unknown;
    let priority: number | undefined;
    const slotRaw = v.raw('feature_segment');
    if (slotRaw === undefined || slotRaw === null) v.error('feature_segment', MESSAGES.required);
    else if (!isPlainObject(slotRaw))
      nested.feature_segment = { non_field_errors: [MESSAGES.object(slotRaw)] };
    else {
      const sv = new BodyReader(slotRaw);
      segmentRaw = sv.raw('segment');
      if (segmentRaw === undefined || segmentRaw === null) sv.error('segment', MESSAGES.required);
      else if (toInteger(segmentRaw) === undefined)
        sv.error('segment', `Incorrect type. Expected pk value, received ${typeof segmentRaw}.`);
      priority = sv.integer('priority', { optional: true, nullable: true, min: 0 }) ?? undefined;
      if (!sv.valid) nested.feature_segment = sv.errors;
    }
    assertNoErrors(v, nested);
    const { segment, error } = await this.readSegmentFor(
      this.dataSource.manager,
      environment.projectId,
      feature.id,
      segmentRaw,
    );
    if (!segment) throw new BadRequestException({ feature_segment: error });
    return writeTransaction(this.dataSource, async (manager) => {
      const slot = await this.insertSlot(
        manager,
        { featureId: feature.id, segmentId: segment.id, environmentId: environment.id },
        priority,
      );
      const state = manager.getRepository(FeatureState).create({
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
      await this.changes.environmentsChanged(manager, [environment.id]);
      await this.audit.record(manager, {
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
) {
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
