import type { EntityManager } from 'typeorm';
import type { SegmentContext, SegmentRule as EngineRule } from '../../libs/engine/src';
import type { SegmentConditionOperator, SegmentRuleType } from './segment.entity';
import type { SegmentRuleJson } from './segment.schemas';

/** A stored condition, as served by the admin API. */
export interface ConditionNode {
  readonly id: number;
  readonly operator: SegmentConditionOperator;
  readonly property: string | null;
  readonly value: string | null;
  readonly description: string | null;
}

/** A stored rule with its sub-rules and conditions (ordered by id). */
export interface RuleNode {
  readonly id: number;
  readonly type: SegmentRuleType;
  readonly rules: RuleNode[];
  readonly conditions: ConditionNode[];
}

interface RuleRow {
  id: number;
  root_segment_id: number;
  rule_id: number | null;
  type: SegmentRuleType;
}

interface ConditionRow {
  id: number;
  rule_id: number;
  operator: SegmentConditionOperator;
  property: string | null;
  value: string | null;
  description: string | null;
}

/**
 * The rule trees of many segments in two queries (rules through a recursive CTE, then their conditions),
 * whatever the number of segments or the depth of the trees. Segments without rules map to `[]`.
 */
export async function loadRuleTrees(
  manager: EntityManager,
  segmentIds: readonly number[],
): Promise<Map<number, RuleNode[]>> {
  const trees = new Map<number, RuleNode[]>(segmentIds.map((id) => [id, []]));
  if (segmentIds.length === 0) return trees;
  const rules = await manager.query<RuleRow[]>(
    `WITH RECURSIVE tree AS (
       SELECT r.id, r.segment_id AS root_segment_id, r.rule_id, r.type FROM segment_rules r WHERE r.segment_id = ANY($1)
       UNION ALL
       SELECT c.id, t.root_segment_id, c.rule_id, c.type FROM segment_rules c JOIN tree t ON c.rule_id = t.id
     )
     SELECT id, root_segment_id, rule_id, type FROM tree ORDER BY id`,
    [[...new Set(segmentIds)]],
  );
  if (rules.length === 0) return trees;
  const conditions = await manager.query<ConditionRow[]>(
    `SELECT id, rule_id, operator, property, value, description FROM segment_conditions
      WHERE rule_id = ANY($1) ORDER BY id`,
    [rules.map((r) => r.id)],
  );
  const nodes = new Map<number, RuleNode>();
  for (const row of rules) nodes.set(row.id, { id: row.id, type: row.type, rules: [], conditions: [] });
  for (const row of conditions) {
    nodes.get(row.rule_id)?.conditions.push({
      id: row.id,
      operator: row.operator,
      property: row.property,
      value: row.value,
      description: row.description,
    });
  }
  for (const row of rules) {
    const node = nodes.get(row.id)!;
    if (row.rule_id === null) trees.get(row.root_segment_id)?.push(node);
    else nodes.get(row.rule_id)?.rules.push(node);
  }
  return trees;
}

/** Admin API JSON of a rule tree: `[{id, type, rules, conditions: [{id, operator, property, value, description}]}]`. */
export function rulesJson(rules: readonly RuleNode[]): SegmentRuleJson[] {
  return rules.map((rule) => ({
    id: rule.id,
    type: rule.type,
    rules: rulesJson(rule.rules),
    conditions: rule.conditions.map((c) => ({
      id: c.id,
      operator: c.operator,
      property: c.property,
      value: c.value,
      description: c.description,
    })),
  }));
}

function engineRule(rule: RuleNode): EngineRule {
  return {
    type: rule.type,
    conditions: rule.conditions.map((c) => ({ property: c.property, operator: c.operator, value: c.value })),
    rules: rule.rules.map(engineRule),
  };
}

/** The segment as an engine segment context (key = String(id), metadata `{source: 'api', id}`). */
export function segmentContext(
  segment: { id: number; name: string },
  rules: readonly RuleNode[],
  overrides: SegmentContext['overrides'] = [],
): SegmentContext {
  return {
    key: String(segment.id),
    name: segment.name,
    rules: rules.map(engineRule),
    overrides,
    metadata: { source: 'api', id: segment.id },
  };
}
