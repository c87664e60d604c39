/**
 * Evaluation straight from an environment document, mapped to an evaluation context the way the node
 * SDK does it in local-evaluation mode (flagsmith-nodejs `evaluationContext/mappers.ts`, docs/contracts/engine.md §6.2,
 * §7.1, docs/contracts/sdk-api.md §5.2):
 *
 * - features are keyed by name; the multivariate hashing key is `String(django_id)`, else `featurestate_uuid`;
 *   variants are `{value, weight: percentage_allocation, priority: id ?? uuid-as-bigint, key}`;
 *   feature metadata is `{id: feature.id}`;
 * - segments are keyed by `String(id)` with metadata `{source: 'api', id}` and the segment's feature states as
 *   overrides (priority = `feature_segment.priority`);
 * - identity overrides become synthetic `identity_overrides` segments (one per distinct override list) matching
 *   `$.identity.identifier IN "<identifiers joined by ,>"`, with override priority -Infinity;
 * - the identity is `{identifier, traits}`; its hashing key is `"<api_key>_<identifier>"`.
 *
 * A document is compiled once (cached per document object); evaluating an identity then only runs the
 * precompiled segment predicates and builds the result.
 */
import { createHash } from 'node:crypto';
import { inConditionItems } from './conditions';
import type { EnrichedIdentity } from './context-path';
import { setOwn } from './engine';
import type {
  DocumentFeatureState,
  DocumentIdentityOverride,
  DocumentSegment,
  DocumentSegmentRule,
  EnvironmentDocument,
} from './environment-document';
import {
  collectOverrides,
  compileFeature,
  compileSegment,
  compileSegmentRules,
  flagResult,
  resolveFeature,
  type CompiledFeature,
  type CompiledSegment,
  type FeatureOutcome,
} from './evaluator';
import { IDENTITY_OVERRIDE_PRIORITY } from './precedence';
import type {
  EvaluationContext,
  EvaluationResult,
  FeatureContext,
  FeatureValue,
  FeatureVariant,
  FlagResult,
  SegmentContext,
  SegmentRule,
  Traits,
} from './types';

export const IDENTITY_OVERRIDE_SEGMENT_NAME = 'identity_overrides';
export const SegmentSource = { API: 'api', IDENTITY_OVERRIDE: 'identity_override' } as const;

/** Where the winning feature state of a flag comes from. */
export type FlagSource = 'ENVIRONMENT' | 'SEGMENT' | 'IDENTITY';

/** One evaluated feature, from a document. */
export interface EvaluatedFlag {
  readonly featureId: number;
  readonly featureName: string;
  readonly featureType: string | null;
  readonly enabled: boolean;
  /** The value after multivariate resolution. */
  readonly value: FeatureValue;
  readonly reason: string;
  readonly variant: string | null;
  /** On a multivariate split hit, the picked option's id (null otherwise or when the document has none). */
  readonly variantOptionId: number | null;
  readonly source: FlagSource;
  /** The winning feature state in the document (environment default, segment or identity override). */
  readonly featureState: DocumentFeatureState;
  /** The segment whose override won, when `source` is `SEGMENT`. */
  readonly segment: DocumentSegment | null;
}

export interface IdentityInput {
  readonly identifier: string;
  readonly traits?: Traits | null;
}

interface FeatureOrigin {
  readonly featureState: DocumentFeatureState;
  readonly source: FlagSource;
  readonly segment: DocumentSegment | null;
}

/** A document prepared for evaluation. Treat as immutable. */
export interface CompiledEnvironment {
  readonly document: EnvironmentDocument;
  /** The evaluation context without identity (as the node SDK builds it). */
  readonly context: EvaluationContext;
  readonly features: readonly CompiledFeature[];
  readonly segments: readonly CompiledSegment[];
  readonly identityOverrideSegments: readonly CompiledSegment[];
  /** Identifier → indices into `identityOverrideSegments` of the synthetic segments it matches. */
  readonly identityOverrideIndex: ReadonlyMap<string, readonly number[]>;
  readonly origins: ReadonlyMap<CompiledFeature, FeatureOrigin>;
  readonly apiSegments: ReadonlyMap<CompiledSegment, DocumentSegment>;
}

function featureStateKey(fs: DocumentFeatureState): string | undefined {
  const id = fs.django_id != null ? String(fs.django_id) : '';
  return id || (fs.featurestate_uuid ?? undefined);
}

function uuidPriority(uuid: string | null | undefined): bigint | undefined {
  if (!uuid) return undefined;
  try {
    return BigInt('0x' + uuid.replace(/-/g, ''));
  } catch {
    return undefined;
  }
}

function variantsOf(fs: DocumentFeatureState): FeatureVariant[] | undefined {
  const values = fs.multivariate_feature_state_values;
  if (!values || values.length === 0) return undefined;
  return values.map((mv) => {
    const option = mv.multivariate_feature_option;
    const priority = mv.id ?? uuidPriority(mv.mv_fs_value_uuid);
    const variant: FeatureVariant = {
      value: option.value,
      weight: mv.percentage_allocation,
      priority,
      ...(option.id != null && { optionId: option.id }),
    };
    return option.key != null ? { ...variant, key: option.key } : variant;
  });
}

function featureContextOf(fs: DocumentFeatureState, priority: number | null | undefined): FeatureContext {
  const context: {
    -readonly [K in keyof FeatureContext]: FeatureContext[K];
  } = {
    key: featureStateKey(fs),
    name: fs.feature.name,
    enabled: fs.enabled,
    value: fs.feature_state_value ?? null,
    metadata: { id: fs.feature.id },
  };
  const variants = variantsOf(fs);
  if (variants) context.variants = variants;
  if (priority !== undefined) context.priority = priority;
  return context;
}

function ruleContextOf(rule: DocumentSegmentRule): SegmentRule {
  return {
    type: rule.type,
    conditions: (rule.conditions ?? []).map((c) => ({
      property: c.property_,
      operator: c.operator,
      value: c.value,
    })),
    rules: (rule.rules ?? []).map(ruleContextOf),
  };
}

/** sha1 of the override list as the node SDK serialises it (without hashing keys or variant keys). */
function overrideGroupHash(states: readonly DocumentFeatureState[]): string {
  const canonical = states.map((fs) => ({
    name: fs.feature.name,
    enabled: fs.enabled,
    value: fs.feature_state_value,
    variants: variantsOf(fs)?.map(({ value, weight, priority }) => ({ value, weight, priority })),
    priority: -Infinity,
    metadata: { id: fs.feature.id },
  }));
  const json = JSON.stringify(canonical, (_key: string, value: unknown) =>
    typeof value === 'bigint' ? value.toString() : value,
  );
  return createHash('sha1').update(json).digest('hex');
}

interface OverrideGroup {
  readonly identifiers: string[];
  readonly states: readonly DocumentFeatureState[];
}

function groupIdentityOverrides(overrides: readonly DocumentIdentityOverride[]): Map<string, OverrideGroup> {
  const groups = new Map<string, OverrideGroup>();
  for (const identity of overrides) {
    const features = identity.identity_features;
    if (!features || features.length === 0) continue;
    const states = [...features].sort((a, b) => a.feature.name.localeCompare(b.feature.name));
    const hash = overrideGroupHash(states);
    let group = groups.get(hash);
    if (group === undefined) {
      group = { identifiers: [], states };
      groups.set(hash, group);
    }
    group.identifiers.push(identity.identifier);
  }
  return groups;
}

function compile(document: EnvironmentDocument): CompiledEnvironment {
  const origins = new Map<CompiledFeature, FeatureOrigin>();

  const featureRecord: Record<string, FeatureContext> = Object.create(null) as Record<string, FeatureContext>;
  const featureStateOf = new Map<FeatureContext, DocumentFeatureState>();
  for (const fs of document.feature_states) {
    const feature = featureContextOf(fs, fs.feature_segment ? fs.feature_segment.priority : undefined);
    featureStateOf.set(feature, fs);
    featureRecord[fs.feature.name] = feature;
  }
  const features = Object.values(featureRecord).map((context) => {
    const compiled = compileFeature(context);
    origins.set(compiled, {
      featureState: featureStateOf.get(context)!,
      source: 'ENVIRONMENT',
      segment: null,
    });
    return compiled;
  });

  const segmentRecord: Record<string, SegmentContext> = Object.create(null) as Record<string, SegmentContext>;
  const documentSegmentOf = new Map<SegmentContext, DocumentSegment>();
  for (const segment of document.project.segments ?? []) {
    const key = String(segment.id);
    const overrides = (segment.feature_states ?? []).map((fs) =>
      featureContextOf(fs, fs.feature_segment ? fs.feature_segment.priority : undefined),
    );
    const context: SegmentContext = {
      key,
      name: segment.name,
      rules: (segment.rules ?? []).map(ruleContextOf),
      overrides,
      metadata: { source: SegmentSource.API, id: segment.id },
    };
    documentSegmentOf.set(context, segment);
    segmentRecord[key] = context;
  }
  const apiSegments = new Map<CompiledSegment, DocumentSegment>();
  const segments = Object.values(segmentRecord).map((context) => {
    const compiled = compileSegment(context);
    const segment = documentSegmentOf.get(context)!;
    const states = segment.feature_states ?? [];
    compiled.overrides.forEach((override, i) => {
      origins.set(override.feature, { featureState: states[i], source: 'SEGMENT', segment });
    });
    apiSegments.set(compiled, segment);
    return compiled;
  });

  const identityOverrideSegments: CompiledSegment[] = [];
  const identityOverrideIndex = new Map<string, number[]>();
  for (const [hash, group] of groupIdentityOverrides(document.identity_overrides ?? [])) {
    const key = `identity_override_${hash}`;
    const value = group.identifiers.join(',');
    const context: SegmentContext = {
      key,
      name: IDENTITY_OVERRIDE_SEGMENT_NAME,
      rules: [{ type: 'ALL', conditions: [{ property: '$.identity.identifier', operator: 'IN', value }] }],
      metadata: { source: SegmentSource.IDENTITY_OVERRIDE },
      overrides: group.states.map((fs) => featureContextOf(fs, IDENTITY_OVERRIDE_PRIORITY)),
    };
    setOwn(segmentRecord, key, context);
    const compiled = compileSegment(context, compileSegmentRules(context));
    compiled.overrides.forEach((override, i) => {
      origins.set(override.feature, { featureState: group.states[i], source: 'IDENTITY', segment: null });
    });
    const index = identityOverrideSegments.push(compiled) - 1;
    // The synthetic segment matches exactly the identities whose identifier is one of the IN items.
    for (const item of inConditionItems(value)) {
      const indices = identityOverrideIndex.get(item);
      if (indices) indices.push(index);
      else identityOverrideIndex.set(item, [index]);
    }
  }

  const context: EvaluationContext = {
    environment: { key: document.api_key, name: document.name },
    features: featureRecord,
    segments: segmentRecord,
  };
  return {
    document,
    context,
    features,
    segments,
    identityOverrideSegments,
    identityOverrideIndex,
    origins,
    apiSegments,
  };
}

const compiledDocuments = new WeakMap<EnvironmentDocument, CompiledEnvironment>();

/** Compiles a document (cached per document object; documents must not be mutated afterwards). */
export function compileEnvironment(document: EnvironmentDocument): CompiledEnvironment {
  let compiled = compiledDocuments.get(document);
  if (compiled === undefined) {
    compiled = compile(document);
    compiledDocuments.set(document, compiled);
  }
  return compiled;
}

/** The evaluation context the node SDK builds for this document (+ identity). */
export function getEvaluationContext(
  document: EnvironmentDocument,
  identity?: IdentityInput,
): EvaluationContext {
  const { context } = compileEnvironment(document);
  if (!identity) return context;
  return { ...context, identity: { identifier: identity.identifier, traits: identity.traits ?? {} } };
}

function enrichedIdentity(env: CompiledEnvironment, identity: IdentityInput): EnrichedIdentity {
  return {
    identifier: identity.identifier,
    key: `${env.document.api_key}_${identity.identifier}`,
    traits: identity.traits ?? {},
  };
}

function matchedSegments(env: CompiledEnvironment, identity: EnrichedIdentity): CompiledSegment[] {
  const scope = { identity, root: env.context };
  const matched: CompiledSegment[] = [];
  for (const segment of env.segments) if (segment.matches(scope)) matched.push(segment);
  const indices = identity.identifier
    ? env.identityOverrideIndex.get(String(identity.identifier))
    : undefined;
  if (indices) for (const i of indices) matched.push(env.identityOverrideSegments[i]);
  return matched;
}

/** Maps every feature to `build(winning feature, outcome)`, in document order. */
function evaluateFlags<T>(
  env: CompiledEnvironment,
  identity: EnrichedIdentity | undefined,
  matched: readonly CompiledSegment[],
  build: (feature: CompiledFeature, outcome: FeatureOutcome) => T,
): T[] {
  const winners = matched.length > 0 ? collectOverrides(matched) : undefined;
  const results: T[] = [];
  for (const base of env.features) {
    const winner = winners?.get(base.context.name);
    const feature = winner ? winner.feature : base;
    results.push(build(feature, resolveFeature(feature, identity?.key, winner?.segmentName)));
  }
  return results;
}

/**
 * Spec-shaped evaluation result for a document (environment-only when `identity` is omitted), equal to what
 * the node SDK's engine returns for the same document, plus `variant`.
 */
export function evaluateDocument(document: EnvironmentDocument, identity?: IdentityInput): EvaluationResult {
  const env = compileEnvironment(document);
  const enriched = identity ? enrichedIdentity(env, identity) : undefined;
  const matched = enriched ? matchedSegments(env, enriched) : [];
  const flags: Record<string, FlagResult> = {};
  evaluateFlags(env, enriched, matched, (feature, outcome) =>
    setOwn(flags, feature.context.name, flagResult(feature.context, outcome)),
  );
  return { flags, segments: matched.map((segment) => segment.result) };
}

function evaluatedFlag(
  env: CompiledEnvironment,
  feature: CompiledFeature,
  outcome: FeatureOutcome,
): EvaluatedFlag {
  const origin = env.origins.get(feature)!;
  const documentFeature = origin.featureState.feature;
  return {
    featureId: documentFeature.id,
    featureName: feature.context.name,
    featureType: documentFeature.type ?? null,
    enabled: feature.context.enabled,
    value: outcome.value,
    reason: outcome.reason,
    variant: outcome.variant,
    variantOptionId: outcome.variantOptionId ?? null,
    source: origin.source,
    featureState: origin.featureState,
    segment: origin.segment,
  };
}

/** Environment flags (no identity: no segments, no multivariate split), in document order. */
export function getEnvironmentFlags(document: EnvironmentDocument): EvaluatedFlag[] {
  const env = compileEnvironment(document);
  return evaluateFlags(env, undefined, [], (feature, outcome) => evaluatedFlag(env, feature, outcome));
}

/** Flags for an identity: identity overrides > segment overrides > environment defaults, multivariate resolved. */
export function getIdentityFlags(
  document: EnvironmentDocument,
  identifier: string,
  traits?: Traits | null,
): EvaluatedFlag[] {
  const env = compileEnvironment(document);
  const identity = enrichedIdentity(env, { identifier, traits });
  return evaluateFlags(env, identity, matchedSegments(env, identity), (feature, outcome) =>
    evaluatedFlag(env, feature, outcome),
  );
}

/** The document segments an identity belongs to (synthetic identity-override segments excluded). */
export function getIdentitySegments(
  document: EnvironmentDocument,
  identifier: string,
  traits?: Traits | null,
): DocumentSegment[] {
  const env = compileEnvironment(document);
  const identity = enrichedIdentity(env, { identifier, traits });
  const segments: DocumentSegment[] = [];
  for (const compiled of matchedSegments(env, identity)) {
    const segment = env.apiSegments.get(compiled);
    if (segment) segments.push(segment);
  }
  return segments;
}
