import { BodyReader, isPlainObject, MESSAGES, toInteger } from '../common/validation';
import {
  SEGMENT_CONDITION_OPERATORS,
  SEGMENT_RULE_TYPES,
  SegmentConditionOperator,
  SegmentRuleType,
} from './segment.entity';

/**
 * Reading the nested `rules` of a segment body (docs/contracts/admin-api.md §8, Flagsmith `segments/serializers.py`):
 *
 *   rules: [{id?, type: ALL|ANY|NONE, delete?, rules: [{id?, type, delete?, conditions: [...]}], conditions: [...]}]
 *   condition: {id?, operator, property?: string|null, value?: string|number|boolean|null, description?, delete?}
 *
 * Items with `delete: true` are dropped (they are removed from the stored tree); `id` asks to keep (update) a stored
 * rule or condition of the same segment. Rules nest at most two levels (segment → rule → rule), as upstream.
 * Errors come back DRF-shaped: `{"rules": [{}, {"conditions": [{"operator": ["…"]}]}]}`.
 */
export const SEGMENT_RULES_MAX_DEPTH = 2;
/** Flagsmith's SEGMENT_RULES_CONDITIONS_LIMIT default. */
export const SEGMENT_RULES_CONDITIONS_LIMIT = 100;

export interface ConditionInput {
  readonly id?: number;
  readonly operator: SegmentConditionOperator;
  readonly property: string | null;
  readonly value: string | null;
  readonly description: string | null;
}

export interface RuleInput {
  readonly id?: number;
  readonly type: SegmentRuleType;
  readonly rules: RuleInput[];
  readonly conditions: ConditionInput[];
}

type ErrorTree = string[] | { [key: string]: ErrorTree } | ErrorTree[];

function hasErrors(errors: ErrorTree): boolean {
  if (Array.isArray(errors)) return errors.some((e) => typeof e === 'string' || hasErrors(e));
  return Object.keys(errors).length > 0;
}

function readId(v: BodyReader): number | undefined {
  if (!v.has('id')) return undefined;
  const id = toInteger(v.raw('id'));
  if (id === undefined || id < 1 || id > 2147483647) {
    v.error('id', MESSAGES.integer);
    return undefined;
  }
  return id;
}

function isDeleted(item: unknown): boolean {
  return isPlainObject(item) && (item.delete === true || item.delete === 'true' || item.delete === 'True');
}

export class RuleTreeReader {
  constructor(private readonly valueLimit: number) {}

  /** Returns the rules, or a DRF error tree for the `rules` field. */
  read(raw: unknown): { rules: RuleInput[] } | { errors: ErrorTree } {
    if (!Array.isArray(raw)) return { errors: [MESSAGES.list(raw)] };
    if (this.depth(raw) > SEGMENT_RULES_MAX_DEPTH)
      return {
        errors: { segment: [`Rules must not be nested more than ${SEGMENT_RULES_MAX_DEPTH} levels deep.`] },
      };
    const errors: ErrorTree[] = [];
    const rules: RuleInput[] = [];
    for (const item of raw) {
      if (isDeleted(item)) continue;
      const result = this.rule(item, 1);
      errors.push(result.errors);
      if (result.rule) rules.push(result.rule);
    }
    if (hasErrors(errors)) return { errors };
    return { rules };
  }

  private depth(raw: unknown): number {
    if (!Array.isArray(raw) || raw.length === 0) return 0;
    let deepest = 0;
    for (const item of raw) {
      if (isPlainObject(item)) deepest = Math.max(deepest, this.depth(item.rules));
    }
    return deepest + 1;
  }

  private rule(raw: unknown, level: number): { rule?: RuleInput; errors: ErrorTree } {
    if (!isPlainObject(raw)) return { errors: { non_field_errors: [MESSAGES.object(raw)] } };
    const v = new BodyReader(raw);
    const id = readId(v);
    const type = v.choice('type', SEGMENT_RULE_TYPES);
    const fieldErrors: { [key: string]: ErrorTree } = { ...v.errors };
    const conditions: ConditionInput[] = [];
    const rules: RuleInput[] = [];
    if (v.has('conditions')) {
      const list = v.raw('conditions');
      if (!Array.isArray(list)) fieldErrors.conditions = [MESSAGES.list(list)];
      else {
        const errors: ErrorTree[] = [];
        for (const item of list) {
          if (isDeleted(item)) continue;
          const result = this.condition(item);
          errors.push(result.errors);
          if (result.condition) conditions.push(result.condition);
        }
        if (hasErrors(errors)) fieldErrors.conditions = errors;
      }
    }
    if (v.has('rules') && level < SEGMENT_RULES_MAX_DEPTH) {
      const list = v.raw('rules');
      if (!Array.isArray(list)) fieldErrors.rules = [MESSAGES.list(list)];
      else {
        const errors: ErrorTree[] = [];
        for (const item of list) {
          if (isDeleted(item)) continue;
          const result = this.rule(item, level + 1);
          errors.push(result.errors);
          if (result.rule) rules.push(result.rule);
        }
        if (hasErrors(errors)) fieldErrors.rules = errors;
      }
    }
    if (Object.keys(fieldErrors).length > 0 || type === undefined) return { errors: fieldErrors };
    return { rule: { ...(id !== undefined ? { id } : {}), type, rules, conditions }, errors: {} };
  }

  private condition(raw: unknown): { condition?: ConditionInput; errors: ErrorTree } {
    if (!isPlainObject(raw)) return { errors: { non_field_errors: [MESSAGES.object(raw)] } };
    const v = new BodyReader(raw);
    const id = readId(v);
    const operator = v.choice('operator', SEGMENT_CONDITION_OPERATORS);
    const property = v.string('property', { optional: true, nullable: true, maxLength: 1000, trim: false });
    const description = v.string('description', {
      optional: true,
      nullable: true,
      allowBlank: true,
      trim: false,
    });
    // Flagsmith stores str(value): numbers and booleans are accepted and kept as text.
    let value: string | null = null;
    const rawValue = v.raw('value');
    if (typeof rawValue === 'string') value = rawValue;
    else if (typeof rawValue === 'number' && Number.isFinite(rawValue)) value = String(rawValue);
    else if (typeof rawValue === 'boolean') value = rawValue ? 'True' : 'False';
    else if (rawValue !== undefined && rawValue !== null) v.error('value', MESSAGES.string);
    if (value !== null && value.length > this.valueLimit)
      v.error('value', MESSAGES.maxLength(this.valueLimit));
    if (!v.valid || operator === undefined) return { errors: v.errors };
    return {
      condition: {
        ...(id !== undefined ? { id } : {}),
        operator,
        property: property ?? null,
        value,
        description: description ?? null,
      },
      errors: {},
    };
  }
}

export function countConditions(rules: readonly RuleInput[]): number {
  return rules.reduce((sum, rule) => sum + rule.conditions.length + countConditions(rule.rules), 0);
}
