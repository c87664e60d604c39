/**
 * Flag-evaluation engine (docs/contracts/engine.md): pure TypeScript, no framework, HTTP or database imports.
 *
 * - `evaluate(context)`: evaluation context → `{flags, segments}` (docs/contracts/engine.md §1–§3).
 * - From an environment document (docs/contracts/sdk-api.md §5.1), mapped like the node SDK does in local evaluation:
 *   `getEnvironmentFlags(doc)`, `getIdentityFlags(doc, identifier, traits)`, `getIdentitySegments(...)`,
 *   `evaluateDocument(doc, identity?)` (spec-shaped result) and `getEvaluationContext(doc, identity?)`.
 *   Documents are compiled once per object (`compileEnvironment`) and must not be mutated afterwards.
 */
export * from './types';
export type * from './environment-document';
export { evaluate } from './engine';
export {
  compileEnvironment,
  evaluateDocument,
  getEnvironmentFlags,
  getEvaluationContext,
  getIdentityFlags,
  getIdentitySegments,
  IDENTITY_OVERRIDE_SEGMENT_NAME,
  SegmentSource,
  type CompiledEnvironment,
  type EvaluatedFlag,
  type FlagSource,
  type IdentityInput,
} from './local-evaluation';
export type {
  CompiledFeature,
  CompiledOverride,
  CompiledSegment,
  CompiledVariant,
  FeatureOutcome,
} from './evaluator';
export type { EnrichedIdentity, Scope } from './context-path';
export { hashedPercentage } from './hashing';
export { IDENTITY_OVERRIDE_PRIORITY, MISSING_PRIORITY, overrideWins, winningOverrides } from './precedence';
export { compareSemver, parseSemver, type SemVer } from './semver';
export { compileRegex, type RegexTest } from './conditions';
