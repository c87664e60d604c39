import {
  collectOverrides,
  compileFeature,
  compileSegment,
  enrichIdentity,
  flagResult,
  matchSegments,
  resolveFeature,
  type CompiledFeature,
  type CompiledSegment,
} from './evaluator';
import type {
  EvaluationContext,
  EvaluationResult,
  FeatureContext,
  FlagResult,
  SegmentContext,
} from './types';

const compiledFeatures = new WeakMap<object, readonly CompiledFeature[]>();
const compiledSegments = new WeakMap<object, readonly CompiledSegment[]>();

function featuresOf(features: Readonly<Record<string, FeatureContext>>): readonly CompiledFeature[] {
  let compiled = compiledFeatures.get(features);
  if (compiled === undefined) {
    compiled = Object.values(features).map(compileFeature);
    compiledFeatures.set(features, compiled);
  }
  return compiled;
}

function segmentsOf(segments: Readonly<Record<string, SegmentContext>>): readonly CompiledSegment[] {
  let compiled = compiledSegments.get(segments);
  if (compiled === undefined) {
    compiled = Object.values(segments).map((segment) => compileSegment(segment));
    compiledSegments.set(segments, compiled);
  }
  return compiled;
}

/** Sets `record[key]` as an own data property, even for `__proto__`. */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    record[key] = value;
  }
}

/**
 * Evaluates flags and segments for an evaluation context (docs/contracts/engine.md §3).
 *
 * Compiled forms of `context.features` and `context.segments` are cached per object: reuse the same
 * objects across calls (and don't mutate them) to skip recompilation.
 */
export function evaluate(context: EvaluationContext): EvaluationResult {
  const identity = context.identity ? enrichIdentity(context.identity, context.environment.key) : undefined;
  const matched =
    identity && context.segments
      ? matchSegments(segmentsOf(context.segments), { identity, root: context })
      : [];
  const winners = collectOverrides(matched);

  const flags: Record<string, FlagResult> = {};
  for (const feature of context.features ? featuresOf(context.features) : []) {
    const winner = winners.get(feature.context.name);
    const chosen = winner ? winner.feature : feature;
    const outcome = resolveFeature(chosen, identity?.key, winner?.segmentName);
    setOwn(flags, chosen.context.name, flagResult(chosen.context, outcome));
  }
  return { flags, segments: matched.map((segment) => segment.result) };
}
