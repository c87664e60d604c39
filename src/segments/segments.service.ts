import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { NotFound, ValidationFailed } from '../common/domain-errors';
import { parseUuid } from '../common/drf-values';
import type { PageRequest } from '../common/pagination';
import { UnitOfWork } from '../common/unit-of-work';
import type { FeatureState } from '../features/feature.entity';
import { EntityMetadata, type MetadataValueJson } from '../entity-metadata/entity-metadata';
import type { Project } from '../projects/project.entity';
import { FeatureSegmentsRepository } from './feature-segments.repository';
import type { CloneSegmentInput, RuleInput, SegmentInput } from './segment.schemas';
import { segmentJson } from './segment.serializers';
import type { RuleNode } from './segment-tree';
import { Segment } from './segment.entity';
import { SegmentColumns, SegmentsRepository } from './segments.repository';

/** A segment with its stored rule tree (what the API serves). */
export interface SegmentWithRules {
  readonly segment: Segment;
  readonly rules: RuleNode[];
  readonly metadata: MetadataValueJson[];
}

export interface SegmentListFilter {
  readonly q?: string;
  readonly include_feature_specific?: boolean;
  readonly identity?: number;
}

/**
 * The rule ids of `rules` checked against the stored tree: each `id` must name a rule/condition of this segment,
 * once. Returns the stored ids the new tree does not keep (to delete).
 */
export function staleRuleIds(
  rules: readonly RuleInput[],
  existing: readonly RuleNode[],
): { rules: number[]; conditions: number[] } {
  const ruleIds = new Set<number>();
  const conditionIds = new Set<number>();
  const collect = (nodes: readonly RuleNode[]) => {
    for (const node of nodes) {
      ruleIds.add(node.id);
      for (const c of node.conditions) conditionIds.add(c.id);
      collect(node.rules);
    }
  };
  collect(existing);
  const keptRules = new Set<number>();
  const keptConditions = new Set<number>();
  const check = (inputs: readonly RuleInput[]) => {
    for (const rule of inputs) {
      if (rule.id !== undefined) {
        if (!ruleIds.has(rule.id) || keptRules.has(rule.id))
          throw ValidationFailed.field('rules', `Invalid rule id ${rule.id}: not a rule of this segment.`);
        keptRules.add(rule.id);
      }
      for (const c of rule.conditions) {
        if (c.id === undefined) continue;
        if (!conditionIds.has(c.id) || keptConditions.has(c.id))
          throw ValidationFailed.field(
            'rules',
            `Invalid condition id ${c.id}: not a condition of this segment.`,
          );
        keptConditions.add(c.id);
      }
      check(rule.rules);
    }
  };
  check(rules);
  return {
    rules: [...ruleIds].filter((id) => !keptRules.has(id)),
    conditions: [...conditionIds].filter((id) => !keptConditions.has(id)),
  };
}

function withoutIds(nodes: readonly RuleNode[]): RuleInput[] {
  return nodes.map((n) => ({
    type: n.type,
    rules: withoutIds(n.rules),
    conditions: n.conditions.map((c) => ({
      operator: c.operator,
      property: c.property,
      value: c.value,
      description: c.description,
    })),
  }));
}

/**
 * Segments of a project with their rule trees (docs/contracts/admin-api.md §8). Every write changes the
 * evaluation of every environment of the project (tx.projectChanged) and is audited.
 */
@Injectable()
export class SegmentsService {
  constructor(
    private readonly segments: SegmentsRepository,
    private readonly slots: FeatureSegmentsRepository,
    private readonly uow: UnitOfWork,
    private readonly metadata: EntityMetadata,
  ) {}

  /** One page of the project's segments (`identity`: only those it is in), with their rules. */
  async page(
    project: Project,
    filter: SegmentListFilter,
    page: PageRequest,
  ): Promise<{ count: number; rows: SegmentWithRules[] }> {
    let ids: number[] | undefined;
    if (filter.identity !== undefined) {
      const identity = await this.segments.identity(project.id, filter.identity);
      if (!identity) throw new NotFound();
      ids = await this.segments.segmentsOfIdentity(identity);
    }
    const { count, rows } = await this.segments.page(
      project.id,
      { q: filter.q, includeFeatureSpecific: filter.include_feature_specific ?? true, ids },
      page,
    );
    return { count, rows: await this.withRules(rows) };
  }

  async segment(project: Project, id: number): Promise<Segment> {
    const segment = await this.segments.find(project.id, id);
    if (!segment) throw new NotFound();
    return segment;
  }

  async retrieve(project: Project, id: number): Promise<SegmentWithRules> {
    return (await this.withRules([await this.segment(project, id)]))[0];
  }

  /** A segment by uuid (Django's <uuid:> path converter), with its rules, of any project: the caller checks it. */
  async retrieveByUuid(raw: string): Promise<SegmentWithRules> {
    const uuid = parseUuid(raw, 'converter');
    const segment = uuid ? await this.segments.findByUuid(uuid) : null;
    if (!segment) throw new NotFound();
    return (await this.withRules([segment]))[0];
  }

  async create(principal: Principal, project: Project, input: SegmentInput): Promise<SegmentWithRules> {
    const featureId = (await this.featureOf(project, input.feature)) ?? null;
    return this.uow.run(async (tx) => {
      const segment = await this.segments.insert(tx.manager, {
        name: input.name,
        description: input.description ?? null,
        projectId: project.id,
        featureId,
      });
      await this.segments.saveRules(tx.manager, segment.id, input.rules);
      await this.metadata.replace(
        tx.manager,
        { model: 'segment', id: segment.id, project },
        input.metadata ?? [],
      );
      const saved = await this.withRules([segment], tx.manager);
      tx.projectChanged(project.id);
      tx.audit(
        this.auditEntry(principal, project, `New Segment created: ${segment.name}`, segment, {
          after: saved[0],
        }),
      );
      return saved[0];
    });
  }

  /**
   * PUT (every field) or PATCH (those sent). On the row locked FOR NO KEY UPDATE: `before` and the rule sync see
   * the current tree, and a concurrent update of the same segment's rules waits instead of syncing against a tree
   * that is being replaced. Writes only the columns given (a concurrent PATCH of another column is kept), and
   * always touches updated_at, even when only the rules changed.
   */
  async update(
    principal: Principal,
    project: Project,
    id: number,
    input: Partial<SegmentInput>,
  ): Promise<SegmentWithRules> {
    await this.segment(project, id);
    const featureId = await this.featureOf(project, input.feature);
    return (await this.write(principal, project, id, () => ({ input, featureId }))).after;
  }

  /**
   * An edit of the stored rule tree (the admin panel's change of one rule or condition): `edit` gets the tree as
   * it is under the segment's row lock and returns the new tree, so two concurrent edits of the same segment are
   * applied one after the other and neither drops the other's change (a tree read before the lock would be
   * written back without it). `edit` may run more than once (the unit of work retries a deadlock): it must
   * derive the tree from its argument only. Returns the segment before and after.
   */
  async editRules(
    principal: Principal,
    project: Project,
    id: number,
    edit: (stored: readonly RuleNode[]) => RuleInput[],
  ): Promise<{ before: SegmentWithRules; after: SegmentWithRules }> {
    await this.segment(project, id);
    return this.write(principal, project, id, (stored) => ({
      input: { rules: edit(stored.rules) },
      featureId: undefined,
    }));
  }

  /** The update on the locked row; `change` turns the stored segment into the input to apply. */
  private write(
    principal: Principal,
    project: Project,
    id: number,
    change: (stored: SegmentWithRules) => {
      input: Partial<SegmentInput>;
      featureId: number | null | undefined;
    },
  ): Promise<{ before: SegmentWithRules; after: SegmentWithRules }> {
    return this.uow.run(async (tx) => {
      const current = await this.segments.lock(tx.manager, id);
      if (!current) throw new NotFound();
      const [stored] = await this.withRules([current], tx.manager);
      const before = segmentJson(current, stored.rules, stored.metadata);
      const { input, featureId } = change(stored);
      if (input.rules !== undefined) {
        const stale = staleRuleIds(input.rules, stored.rules);
        await this.segments.saveRules(tx.manager, current.id, input.rules);
        await this.segments.deleteRules(tx.manager, stale.rules, stale.conditions);
      }
      const columns: SegmentColumns = { updatedAt: new Date() };
      if (input.name !== undefined) columns.name = input.name;
      if (input.description !== undefined) columns.description = input.description;
      if (featureId !== undefined) columns.featureId = featureId;
      // Only when sent (PATCH writes only what it names); when sent, the complete list, required fields checked.
      if (input.metadata)
        await this.metadata.replace(
          tx.manager,
          { model: 'segment', id: current.id, project },
          input.metadata,
        );
      const saved = (
        await this.withRules([await this.segments.update(tx.manager, id, columns)], tx.manager)
      )[0];
      tx.projectChanged(project.id);
      tx.audit(
        this.auditEntry(principal, project, `Segment updated: ${saved.segment.name}`, saved.segment, {
          before,
          after: saved,
        }),
      );
      return { before: stored, after: saved };
    });
  }

  async remove(principal: Principal, project: Project, id: number): Promise<void> {
    const segment = await this.segment(project, id);
    await this.uow.run(async (tx) => {
      const [before] = await this.withRules([segment], tx.manager);
      const slots = await this.segments.overrideSlots(tx.manager, segment.id);
      await this.segments.delete(tx.manager, segment.id);
      await this.metadata.remove(tx.manager, 'segment', [segment.id]);
      await this.slots.renumber(tx.manager, slots);
      tx.projectChanged(project.id);
      tx.audit(this.auditEntry(principal, project, `Segment deleted: ${segment.name}`, segment, { before }));
    });
  }

  /** A new segment with the source's description, feature and a copy of its rule tree. */
  async clone(
    principal: Principal,
    project: Project,
    id: number,
    input: CloneSegmentInput,
  ): Promise<SegmentWithRules> {
    const source = await this.segment(project, id);
    return this.uow.run(async (tx) => {
      const tree = (await this.segments.ruleTrees([source.id], tx.manager)).get(source.id) ?? [];
      const clone = await this.segments.insert(tx.manager, {
        name: input.name,
        description: source.description,
        projectId: project.id,
        featureId: source.featureId,
      });
      await this.segments.saveRules(tx.manager, clone.id, withoutIds(tree));
      const [saved] = await this.withRules([clone], tx.manager);
      tx.projectChanged(project.id);
      tx.audit(
        this.auditEntry(principal, project, `New Segment created: ${clone.name}`, clone, { after: saved }),
      );
      return saved;
    });
  }

  /** One page of the override states using the segment (`environmentId`: one of the project's). */
  async associatedStates(
    project: Project,
    id: number,
    environmentId: number | undefined,
    page: PageRequest,
  ): Promise<{ count: number; rows: FeatureState[] }> {
    const segment = await this.segment(project, id);
    if (environmentId !== undefined && !(await this.segments.environment(project.id, environmentId)))
      throw new NotFound();
    return this.segments.associatedStates(segment.id, environmentId, page);
  }

  /** The segments with their rule trees (one pair of queries for all). */
  private async withRules(
    segments: readonly Segment[],
    manager?: EntityManager,
  ): Promise<SegmentWithRules[]> {
    const ids = segments.map((s) => s.id);
    const trees = await this.segments.ruleTrees(ids, manager);
    const metadata = await this.metadata.valuesOf('segment', ids, manager);
    return segments.map((segment) => ({
      segment,
      rules: trees.get(segment.id) ?? [],
      metadata: metadata.get(segment.id) ?? [],
    }));
  }

  /** The feature a body names (a feature of the project), null for none, undefined when not sent. */
  private async featureOf(
    project: Project,
    id: number | null | undefined,
  ): Promise<number | null | undefined> {
    if (id === undefined || id === null) return id;
    const feature = id >= 1 && id <= 2147483647 ? await this.segments.feature(project.id, id) : null;
    if (!feature) throw ValidationFailed.field('feature', `Invalid pk "${id}" - object does not exist.`);
    return feature.id;
  }

  private auditEntry(
    principal: Principal,
    project: Project,
    log: string,
    segment: Segment,
    change: { before?: object; after?: SegmentWithRules },
  ) {
    return {
      log,
      principal,
      organisationId: project.organisationId,
      projectId: project.id,
      relatedObjectType: 'SEGMENT' as const,
      relatedObjectId: segment.id,
      relatedObjectUuid: segment.uuid,
      ...(change.before ? { before: change.before } : {}),
      ...(change.after
        ? { after: segmentJson(change.after.segment, change.after.rules, change.after.metadata) }
        : {}),
    };
  }
}
