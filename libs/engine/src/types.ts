/**
 * Evaluation context (engine input) and evaluation result (engine output), as described in
 * docs/contracts/engine.md §1–§2 (Flagsmith `sdk/evaluation-context.json` / `sdk/evaluation-result.json`).
 */

/** Any JSON value; used for metadata, which the engine only passes through. */
export type JsonValue =
  string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A feature (or variant) value: string, integer, boolean or null. */
export type FeatureValue = string | number | boolean | null;

/** A trait value as stored for an identity (string, int, float, bool); null means "not set". */
export type TraitValue = string | number | boolean | null;

export type Traits = Readonly<Record<string, TraitValue>>;

export type Metadata = { readonly [key: string]: JsonValue | undefined };

export interface EnvironmentContext {
  readonly key: string;
  readonly name: string;
}

export interface IdentityContext {
  readonly identifier: string;
  /** Hashing key; when absent or empty the engine uses `"<environment.key>_<identifier>"`. */
  readonly key?: string | null;
  readonly traits?: Traits | null;
}

export interface FeatureVariant {
  readonly value: FeatureValue;
  /** Percentage allocation, 0..100. */
  readonly weight: number;
  /** Sort key, ascending; missing ⇒ last. BigInt is allowed (UUID-derived priorities). */
  readonly priority?: number | bigint | null;
  /** Variant key reported as `variant` in the result (null when the variant has none). */
  readonly key?: string | null;
  /** The multivariate option's id, for callers that name a variant without a key by its id (OFREP). */
  readonly optionId?: number | null;
}

export interface FeatureContext {
  /** Multivariate hashing key (feature state id or uuid). */
  readonly key?: string | null;
  readonly name: string;
  readonly enabled: boolean;
  readonly value: FeatureValue;
  readonly variants?: readonly FeatureVariant[] | null;
  /** Only meaningful on segment overrides: lower is stronger, missing ⇒ weakest. */
  readonly priority?: number | null;
  readonly metadata?: Metadata | null;
}

/** Condition value: a string; for `IN` it may also be a list of strings. */
export type ConditionValue = string | readonly string[] | null;

export interface SegmentCondition {
  readonly property?: string | null;
  readonly operator: string;
  readonly value?: ConditionValue;
}

export interface SegmentRule {
  /** `ALL` | `ANY` | `NONE`; anything else never matches (unless the rule is empty). */
  readonly type: string;
  readonly conditions?: readonly SegmentCondition[] | null;
  readonly rules?: readonly SegmentRule[] | null;
}

export interface SegmentContext {
  readonly key: string;
  readonly name: string;
  readonly rules: readonly SegmentRule[];
  readonly overrides?: readonly FeatureContext[] | null;
  readonly metadata?: Metadata | null;
}

export interface EvaluationContext {
  readonly environment: EnvironmentContext;
  readonly identity?: IdentityContext | null;
  /** Keyed by feature name. */
  readonly features?: Readonly<Record<string, FeatureContext>> | null;
  /** Keyed by segment key; evaluated in (JavaScript) object order. */
  readonly segments?: Readonly<Record<string, SegmentContext>> | null;
}

export interface FlagResult {
  readonly name: string;
  readonly enabled: boolean;
  readonly value: FeatureValue;
  /** `DEFAULT` | `TARGETING_MATCH; segment=<name>` | `SPLIT; weight=<weight>` */
  readonly reason: string;
  /** Variant key on a split hit, `"control"` when variants were evaluated but none was hit, else null. */
  readonly variant: string | null;
  readonly metadata?: Metadata;
}

export interface SegmentResult {
  readonly name: string;
  readonly metadata?: Metadata;
}

export interface EvaluationResult {
  readonly flags: Record<string, FlagResult>;
  readonly segments: SegmentResult[];
}

export const Reason = {
  DEFAULT: 'DEFAULT',
  TARGETING_MATCH: 'TARGETING_MATCH',
  SPLIT: 'SPLIT',
} as const;

export const RuleType = {
  ALL: 'ALL',
  ANY: 'ANY',
  NONE: 'NONE',
} as const;

export const Operator = {
  EQUAL: 'EQUAL',
  NOT_EQUAL: 'NOT_EQUAL',
  GREATER_THAN: 'GREATER_THAN',
  GREATER_THAN_INCLUSIVE: 'GREATER_THAN_INCLUSIVE',
  LESS_THAN: 'LESS_THAN',
  LESS_THAN_INCLUSIVE: 'LESS_THAN_INCLUSIVE',
  CONTAINS: 'CONTAINS',
  NOT_CONTAINS: 'NOT_CONTAINS',
  REGEX: 'REGEX',
  MODULO: 'MODULO',
  IN: 'IN',
  IS_SET: 'IS_SET',
  IS_NOT_SET: 'IS_NOT_SET',
  PERCENTAGE_SPLIT: 'PERCENTAGE_SPLIT',
} as const;

export type OperatorName = (typeof Operator)[keyof typeof Operator];
