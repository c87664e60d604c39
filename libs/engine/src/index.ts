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
export { hashedPercentage } from './hashing';
export { compareSemver, parseSemver, type SemVer } from './semver';
