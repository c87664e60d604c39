/**
 * The evaluation algorithm (docs/contracts/engine.md §3, §5–§7): segments → segment overrides → flags.
 *
 * Contexts are compiled once (rules into predicates, variants into sorted buckets) and the compiled form
 * is cached per `features` / `segments` object, so evaluating many identities against the same context
 * objects does no repeated parsing.
 */
import { compileCondition, type Predicate } from './conditions';
import { enrichIdentity, type EnrichedIdentity, type Scope } from './context-path';
import { hashedPercentage } from './hashing';
import { isList } from './list';
import { MISSING_PRIORITY, overrideWins } from './precedence';
import {
  Reason,
  RuleType,
  type FeatureContext,
  type FeatureValue,
  type FeatureVariant,
  type FlagResult,
  type SegmentContext,
  type SegmentResult,
  type SegmentRule,
} from './types';

export interface CompiledVariant {
  readonly value: FeatureValue;
  readonly weight: number;
  readonly key: string | null;
  readonly optionId: number | null;
  /** The bucket is [start, limit) on the 0..100 scale. */
  readonly start: number;
  readonly limit: number;
}

export interface CompiledFeature {
  readonly context: FeatureContext;
  /** Sorted by priority; null when the feature is not multivariate. */
  readonly variants: readonly CompiledVariant[] | null;
}

export interface CompiledOverride {
  readonly feature: CompiledFeature;
  /** Missing priority ⇒ +Infinity (weakest). */
  readonly priority: number;
  /** Name of the segment the override belongs to (for the reason). */
  readonly segmentName: string;
}

export interface CompiledSegment {
  readonly context: SegmentContext;
  readonly matches: Predicate;
  readonly overrides: readonly CompiledOverride[];
  readonly result: SegmentResult;
}

const never = (): boolean => false;
const always = (): boolean => true;

function priorityOf(priority: number | bigint | null | undefined): number | bigint {
  return priority ?? Infinity;
}

function comparePriority(a: number | bigint, b: number | bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compileVariants(variants: readonly FeatureVariant[] | null | undefined): CompiledVariant[] | null {
  if (!variants || variants.length === 0) return null;
  const sorted = [...variants].sort((a, b) =>
    comparePriority(priorityOf(a.priority), priorityOf(b.priority)),
  );
  const compiled: CompiledVariant[] = [];
  let start = 0;
  for (const variant of sorted) {
    const limit = start + variant.weight;
    compiled.push({
      value: variant.value,
      weight: variant.weight,
      key: variant.key ?? null,
      optionId: variant.optionId ?? null,
      start,
      limit,
    });
    start = limit;
  }
  return compiled;
}

export function compileFeature(feature: FeatureContext): CompiledFeature {
  return { context: feature, variants: compileVariants(feature.variants) };
}

/** Quantifier over lazily evaluated predicates; an unknown rule type never matches. */
function quantify(type: string, predicates: readonly Predicate[]): Predicate {
  if (predicates.length === 0) return always;
  switch (type) {
    case RuleType.ALL:
      return predicates.length === 1 ? predicates[0] : (scope) => predicates.every((p) => p(scope));
    case RuleType.ANY:
      return predicates.length === 1 ? predicates[0] : (scope) => predicates.some((p) => p(scope));
    case RuleType.NONE:
      return (scope) => !predicates.some((p) => p(scope));
    default:
      return never;
  }
}

function both(a: Predicate, b: Predicate): Predicate {
  if (a === always) return b;
  if (b === always) return a;
  if (a === never || b === never) return never;
  return (scope) => a(scope) && b(scope);
}

/** A rule matches ⇔ Q(conditions) && Q(sub-rules), each side true when empty (docs/contracts/engine.md §5). */
function compileRule(rule: SegmentRule, segmentKey: string | undefined): Predicate {
  const conditions = (rule.conditions ?? []).map((c) => compileCondition(c, segmentKey));
  const subRules = (rule.rules ?? []).map((r) => compileRule(r, segmentKey));
  return both(quantify(rule.type, conditions), quantify(rule.type, subRules));
}

/** A segment matches ⇔ it has rules and every top-level rule matches. */
export function compileSegmentRules(segment: SegmentContext): Predicate {
  if (segment.rules.length === 0) return never;
  const rules = segment.rules.map((r) => compileRule(r, segment.key));
  if (rules.includes(never)) return never;
  return rules.length === 1 ? rules[0] : (scope) => rules.every((r) => r(scope));
}

/** The (frozen, shared) entry a matched segment contributes to `result.segments`. */
export function segmentResult(segment: SegmentContext): SegmentResult {
  return Object.freeze(
    segment.metadata
      ? { name: segment.name, metadata: Object.freeze({ ...segment.metadata }) }
      : { name: segment.name },
  );
}

export function compileSegment(
  segment: SegmentContext,
  matches: Predicate = compileSegmentRules(segment),
): CompiledSegment {
  const overrides = isList(segment.overrides) ? segment.overrides : [];
  return {
    context: segment,
    matches,
    overrides: overrides.map((o) => ({
      feature: compileFeature(o),
      priority: o.priority ?? MISSING_PRIORITY,
      segmentName: segment.name,
    })),
    result: segmentResult(segment),
  };
}

/** Per feature name, the winning override of the matched segments (precedence.ts), without allocating. */
export function collectOverrides(matched: readonly CompiledSegment[]): Map<string, CompiledOverride> {
  const winners = new Map<string, CompiledOverride>();
  for (const segment of matched) {
    for (const override of segment.overrides) {
      const name = override.feature.context.name;
      const current = winners.get(name);
      if (current === undefined || overrideWins(override.priority, current.priority))
        winners.set(name, override);
    }
  }
  return winners;
}

export interface FeatureOutcome {
  readonly value: FeatureValue;
  readonly reason: string;
  readonly variant: string | null;
  /** On a split hit, the multivariate option's id when the context gives one. */
  readonly variantOptionId?: number | null;
}

/** Value/reason/variant of the winning feature context (multivariate split when an identity key exists). */
export function resolveFeature(
  feature: CompiledFeature,
  identityKey: string | undefined,
  segmentName: string | undefined,
): FeatureOutcome {
  const fallbackReason =
    segmentName === undefined ? Reason.DEFAULT : `${Reason.TARGETING_MATCH}; segment=${segmentName}`;
  const variants = feature.variants;
  if (variants === null || !identityKey) {
    return { value: feature.context.value, reason: fallbackReason, variant: null };
  }
  const percentage = hashedPercentage([feature.context.key, identityKey]);
  for (const variant of variants) {
    if (variant.start <= percentage && percentage < variant.limit) {
      return {
        value: variant.value,
        reason: `${Reason.SPLIT}; weight=${variant.weight}`,
        variant: variant.key,
        variantOptionId: variant.optionId,
      };
    }
  }
  return { value: feature.context.value, reason: fallbackReason, variant: 'control' };
}

export function flagResult(feature: FeatureContext, outcome: FeatureOutcome): FlagResult {
  const { name, enabled, metadata } = feature;
  const { value, reason, variant } = outcome;
  return metadata
    ? { name, enabled, value, reason, variant, metadata }
    : { name, enabled, value, reason, variant };
}

export function matchSegments(segments: readonly CompiledSegment[], scope: Scope): CompiledSegment[] {
  const matched: CompiledSegment[] = [];
  for (const segment of segments) if (segment.matches(scope)) matched.push(segment);
  return matched;
}

export function makeScope(identity: EnrichedIdentity, root: object): Scope {
  return { identity, root };
}

export { enrichIdentity };
