import { DataSource } from 'typeorm';
import { Principal } from '../auth/principal';
import { readInput } from '../http/schema';
import { CreateFeatureSegment, PriorityList } from '../segments/feature-segment.schemas';
import { FeatureSegmentsService } from '../segments/feature-segments.service';
import { FeatureSegment } from '../features/feature.entity';
import { Segment, SegmentCondition, SegmentRule } from '../segments/segment.entity';
import { SegmentInput } from '../segments/segment.schemas';
import type { RuleNode } from '../segments/segment-tree';
import { SegmentsService, SegmentWithRules } from '../segments/segments.service';
import { AdminWriteError, FIXED_PARENT, idOf, unchanged, Values, WritePolicy } from './admin-writer';
import { environmentOf, projectOf } from './panel-lookups';

/** The API services that write segments, their rule trees and segment overrides. */
export interface SegmentServices {
  segments: SegmentsService;
  featureSegments: FeatureSegmentsService;
}

/** A rule tree as the API's segment body carries it: stored items keep their `id`. */
interface TreeCondition {
  id?: number;
  operator: string;
  property: string | null;
  value: string | null;
  description: string | null;
}
interface TreeRule {
  id?: number;
  type: string;
  rules: TreeRule[];
  conditions: TreeCondition[];
}

function treeOf(nodes: readonly RuleNode[]): TreeRule[] {
  return nodes.map((n) => ({
    id: n.id,
    type: n.type,
    rules: treeOf(n.rules),
    conditions: n.conditions.map((c) => ({ ...c })),
  }));
}

/** The rule with this id and the list holding it. */
function findRule(tree: TreeRule[], id: number): { rule: TreeRule; siblings: TreeRule[] } | undefined {
  for (const rule of tree) {
    if (rule.id === id) return { rule, siblings: tree };
    const found = findRule(rule.rules, id);
    if (found) return found;
  }
  return undefined;
}

function ids(
  nodes: readonly RuleNode[],
  kind: 'rules' | 'conditions',
  into = new Set<number>(),
): Set<number> {
  for (const node of nodes) {
    if (kind === 'rules') into.add(node.id);
    else node.conditions.forEach((c) => into.add(c.id));
    ids(node.rules, kind, into);
  }
  return into;
}

/** The one id of `after` that `before` did not have (the item a tree write added). */
function addedId(before: SegmentWithRules, after: SegmentWithRules, kind: 'rules' | 'conditions'): number {
  const old = ids(before.rules, kind);
  const added = [...ids(after.rules, kind)].filter((id) => !old.has(id));
  if (added.length !== 1) throw new Error(`expected one new ${kind} item, found ${added.length}`);
  return added[0];
}

const MISSING = 'The rule this belongs to does not exist (any more).';

/** What the panel writes of a condition (the columns sent; the API's schema reads them). */
function conditionFields(values: Values): Partial<TreeCondition> {
  const fields: Partial<TreeCondition> = {};
  for (const key of ['operator', 'property', 'value', 'description'] as const)
    if (values[key] !== undefined) fields[key] = values[key] as never;
  return fields;
}

/**
 * Segments, their rules and conditions, and segment overrides are written by the API's SegmentsService and
 * FeatureSegmentsService. The API writes a segment's rules as one tree (PUT/PATCH /projects/{pk}/segments/{id}/
 * with `rules`): a panel write of one rule or condition loads the segment's stored tree, changes that one item and
 * sends the whole tree through the API's SegmentInput schema, so the nesting depth, the condition limit, the
 * operator and value checks and their messages, the audit entry ("Segment updated: …") and the invalidation of
 * every environment of the project are the API's.
 */
export function segmentPolicies(api: SegmentServices, dataSource: DataSource) {
  const segmentRow = async (id: number | undefined, field: string) => {
    const segment = id === undefined ? null : await dataSource.getRepository(Segment).findOneBy({ id });
    if (!segment) throw new AdminWriteError({ [field]: id === undefined ? 'Required.' : 'No such segment.' });
    return segment;
  };

  /** The segment a (possibly nested) rule belongs to, walking up its parent rules. */
  const segmentOfRule = async (ruleId: number | undefined, field: string) => {
    let id = ruleId;
    for (let hops = 0; id !== undefined && hops < 100; hops++) {
      const rule = await dataSource.getRepository(SegmentRule).findOneBy({ id });
      if (!rule) break;
      if (rule.segmentId !== null) return segmentRow(rule.segmentId, field);
      id = rule.ruleId ?? undefined;
    }
    throw new AdminWriteError({ [field]: ruleId === undefined ? 'Required.' : MISSING });
  };

  /**
   * Lets `edit` change the segment's stored tree and writes it as PATCH {rules} would, read and written under the
   * segment's row lock (SegmentsService.editRules), so a concurrent panel edit of the same segment is never lost.
   */
  const writeTree = async (principal: Principal, segment: Segment, edit: (tree: TreeRule[]) => void) => {
    const project = await projectOf(dataSource, segment.projectId);
    return api.segments.editRules(principal, project, segment.id, (stored) => {
      const tree = treeOf(stored);
      edit(tree);
      return readInput(SegmentInput, { rules: tree }, { partial: true }).rules ?? [];
    });
  };

  const editRule = (tree: TreeRule[], id: number) => {
    const found = findRule(tree, id);
    if (!found) throw new AdminWriteError({}, MISSING);
    return found;
  };

  const segment: WritePolicy<Segment> = {
    entity: Segment,
    label: 'Segment',
    service: {
      async create(principal, values) {
        const project = await projectOf(dataSource, idOf(values, 'projectId'));
        // The API refuses a segment without rules: the panel's starts with one empty ALL rule, to which its rules
        // and conditions are then added.
        const input = readInput(SegmentInput, {
          name: values.name,
          description: values.description,
          feature: values.featureId,
          rules: [{ type: 'ALL', rules: [], conditions: [] }],
        });
        return (await api.segments.create(principal, project, input)).segment;
      },
      async update(principal, row, values) {
        unchanged(values, row, FIXED_PARENT, 'projectId');
        const project = await projectOf(dataSource, row.projectId);
        const body: Record<string, unknown> = {};
        if (values.name !== undefined) body.name = values.name;
        if (values.description !== undefined) body.description = values.description;
        if (values.featureId !== undefined) body.feature = values.featureId;
        const input = readInput(SegmentInput, body, { partial: true });
        return (await api.segments.update(principal, project, row.id, input)).segment;
      },
      async remove(principal, row) {
        await api.segments.remove(principal, await projectOf(dataSource, row.projectId), row.id);
      },
    },
    fields: { feature: 'featureId' },
  };

  const segmentRule: WritePolicy<SegmentRule> = {
    entity: SegmentRule,
    label: 'Segment rule',
    service: {
      async create(principal, values) {
        const segmentId = idOf(values, 'segmentId');
        const parentId = idOf(values, 'ruleId');
        if ((segmentId === undefined) === (parentId === undefined))
          throw new AdminWriteError({
            segmentId: 'Set either the segment (top-level rule) or the parent rule, not both.',
          });
        const owner =
          segmentId !== undefined
            ? await segmentRow(segmentId, 'segmentId')
            : await segmentOfRule(parentId, 'ruleId');
        const rule: TreeRule = { type: values.type as string, rules: [], conditions: [] };
        const { before, after } = await writeTree(principal, owner, (tree) =>
          (parentId === undefined ? tree : editRule(tree, parentId).rule.rules).push(rule),
        );
        return dataSource.getRepository(SegmentRule).findOneByOrFail({ id: addedId(before, after, 'rules') });
      },
      async update(principal, row, values) {
        unchanged(values, row, FIXED_PARENT, 'segmentId', 'ruleId');
        const owner = await segmentOfRule(row.id, 'ruleId');
        await writeTree(principal, owner, (tree) => {
          if (values.type !== undefined) editRule(tree, row.id).rule.type = values.type as string;
        });
        return dataSource.getRepository(SegmentRule).findOneByOrFail({ id: row.id });
      },
      async remove(principal, row) {
        const owner = await segmentOfRule(row.id, 'ruleId');
        await writeTree(principal, owner, (tree) => {
          const { rule, siblings } = editRule(tree, row.id);
          siblings.splice(siblings.indexOf(rule), 1);
        });
      },
    },
  };

  const segmentCondition: WritePolicy<SegmentCondition> = {
    entity: SegmentCondition,
    label: 'Segment condition',
    service: {
      async create(principal, values) {
        const ruleId = idOf(values, 'ruleId');
        const owner = await segmentOfRule(ruleId, 'ruleId');
        const condition = { property: null, value: null, description: null, ...conditionFields(values) };
        const { before, after } = await writeTree(principal, owner, (tree) =>
          editRule(tree, ruleId!).rule.conditions.push(condition as TreeCondition),
        );
        return dataSource
          .getRepository(SegmentCondition)
          .findOneByOrFail({ id: addedId(before, after, 'conditions') });
      },
      async update(principal, row, values) {
        unchanged(values, row, FIXED_PARENT, 'ruleId');
        const owner = await segmentOfRule(row.ruleId, 'ruleId');
        await writeTree(principal, owner, (tree) => {
          const condition = editRule(tree, row.ruleId).rule.conditions.find((c) => c.id === row.id);
          if (!condition) throw new AdminWriteError({}, 'The condition does not exist (any more).');
          Object.assign(condition, conditionFields(values));
        });
        return dataSource.getRepository(SegmentCondition).findOneByOrFail({ id: row.id });
      },
      async remove(principal, row) {
        const owner = await segmentOfRule(row.ruleId, 'ruleId');
        await writeTree(principal, owner, (tree) => {
          const { rule } = editRule(tree, row.ruleId);
          rule.conditions = rule.conditions.filter((c) => c.id !== row.id);
        });
      },
    },
    fields: { segment: 'ruleId' },
  };

  /** Segment overrides: created last (then moved to the priority asked for), reordered, deleted by the API. */
  const featureSegment: WritePolicy<FeatureSegment> = {
    entity: FeatureSegment,
    label: 'Segment override',
    service: {
      async create(principal, values) {
        const environment = await environmentOf(dataSource, idOf(values, 'environmentId'));
        const input = readInput(CreateFeatureSegment, {
          feature: values.featureId,
          segment: values.segmentId,
          environment: environment.id,
        });
        const slot = await api.featureSegments.create(principal, environment, input);
        if (typeof values.priority === 'number' && values.priority !== slot.priority)
          await api.featureSegments.updatePriorities(
            principal,
            readInput(PriorityList, [{ id: slot.id, priority: values.priority }]),
          );
        return dataSource.getRepository(FeatureSegment).findOneByOrFail({ id: slot.id });
      },
      async update(principal, row, values) {
        unchanged(values, row, FIXED_PARENT, 'featureId', 'segmentId', 'environmentId');
        if (values.priority !== undefined && values.priority !== row.priority)
          await api.featureSegments.updatePriorities(
            principal,
            readInput(PriorityList, [{ id: row.id, priority: values.priority }]),
          );
        return dataSource.getRepository(FeatureSegment).findOneByOrFail({ id: row.id });
      },
      remove: (principal, row) => api.featureSegments.remove(principal, row.id),
    },
  };

  return { segment, segmentRule, segmentCondition, featureSegment };
}
