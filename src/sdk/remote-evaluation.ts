import {
  compileEnvironment,
  hashedPercentage,
  IDENTITY_OVERRIDE_PRIORITY,
  overrideWins,
  type CompiledEnvironment,
  type CompiledFeature,
  type CompiledSegment,
  type DocumentSegment,
  type EnvironmentDocument,
  type Scope,
  type Traits,
} from '../../libs/engine/src';
import type { KeyOrigin } from './sdk.types';

/**
 * One feature state as the identity endpoints serve it, serialised when the snapshot is built: a flag object
 * (with `variant`) per possible outcome, as UTF-8 bytes preceded by a comma (`,{…}`: the list separator; the
 * object alone is `subarray(1)`). Only multivariate states depend on the identity (its hash bucket).
 */
export interface FlagState {
  /** Index of the feature among the environment's features (evaluation order). */
  readonly index: number;
  readonly enabled: boolean;
  readonly visibleToClient: boolean;
  readonly visibleToServer: boolean;
  /** The whole flag object when it does not depend on the identity; null for multivariate states. */
  readonly fixed: Buffer | null;
  /** Multivariate: the feature state's hashing key (`String(django_id)` or uuid), '' when it has none. */
  readonly hashKey: string;
  /** Multivariate: the flag object for each variant bucket [start, limit), in priority order. */
  readonly buckets: readonly { readonly start: number; readonly limit: number; readonly json: Buffer }[];
  /** Multivariate: the flag object when the identity falls outside every bucket (`"variant":"control"`). */
  readonly control: Buffer;
}

/** Which override a segment contributes (which one wins is the engine's `overrideWins`). */
interface SegmentOverride {
  readonly state: FlagState;
  readonly priority: number;
}

interface ServedSegment {
  readonly compiled: CompiledSegment;
  readonly document: DocumentSegment | undefined;
  readonly overrides: readonly SegmentOverride[];
}

/** How the identity endpoints see a feature state: where its ids come from. */
export interface StateSource {
  readonly featureId: number;
  readonly stateId: number;
  /** Serialises the flag object for a value + variant. */
  readonly serialize: (value: CompiledFeature['context']['value'], variant: string | null) => string;
}

/**
 * The identity being evaluated. `key` is its hashing key: `"<client key>_<identifier>"`, or its database id when
 * the environment turns `use_identity_composite_key_for_hashing` off.
 */
export interface EvaluationIdentity {
  readonly identifier: string;
  readonly key: string;
  readonly traits: Traits;
}

/**
 * The evaluated flags of one identity: flag objects in feature order (each `,{…}`, see FlagState), with the
 * feature index of each.
 */
export interface EvaluatedFlags {
  readonly parts: Buffer[];
  readonly indices: number[];
}

const OPEN_LIST = Buffer.from('[');

/**
 * The bytes `<before>[<flag>,<flag>,…]<after>`: the flags' bytes are copied, never re-encoded. `before` and `after`
 * are small (identifier, traits).
 */
export function flagListBytes(before: string, flags: EvaluatedFlags, after: string): Buffer {
  const parts = flags.parts;
  const chunks: Buffer[] = new Array<Buffer>(parts.length + 2);
  chunks[0] = Buffer.from(`${before}[`);
  let length = chunks[0].length;
  for (let i = 0; i < parts.length; i++) {
    const part = i === 0 ? parts[i].subarray(1) : parts[i];
    chunks[i + 1] = part;
    length += part.length;
  }
  const tail = Buffer.from(`]${after}`);
  chunks[parts.length + 1] = tail;
  return Buffer.concat(chunks, length + tail.length);
}

/**
 * Remote evaluation for the identity endpoints over one environment version (docs/contracts/sdk-api.md §2/§3,
 * docs/contracts/engine.md §7): the engine's precedence (identity override > segment override by priority > environment
 * default, libs/engine precedence.ts), multivariate bucketing on the identity's hash key — the engine's algorithm
 * on the engine's compiled segments, with every flag
 * object serialised in advance. Per request it runs only the segment predicates, one MD5 per multivariate flag
 * and the concatenation of the flag objects.
 */
export class RemoteEvaluator {
  readonly featureNames: readonly string[];
  private readonly indexByName = new Map<string, number>();
  private readonly defaults: FlagState[] = [];
  private readonly segments: ServedSegment[] = [];
  // Scratch space for one evaluation (evaluation is synchronous): the winning override per feature index, valid
  // where stamp[i] === epoch.
  private readonly stamp: Uint32Array;
  private readonly winner: (FlagState | undefined)[];
  private readonly priority: Float64Array;
  private epoch = 0;
  private readonly compiled: CompiledEnvironment;

  constructor(
    document: EnvironmentDocument,
    private readonly describe: (feature: CompiledFeature, env: CompiledEnvironment) => StateSource,
    private readonly visibility: (
      featureId: number,
      enabled: boolean,
    ) => { client: boolean; server: boolean },
  ) {
    this.compiled = compileEnvironment(document);
    const env = this.compiled;
    const names: string[] = [];
    env.features.forEach((feature, index) => {
      names.push(feature.context.name);
      this.indexByName.set(feature.context.name, index);
      this.defaults.push(this.flagState(feature, index, env));
    });
    this.featureNames = names;
    for (const segment of env.segments) {
      const overrides: SegmentOverride[] = [];
      for (const override of segment.overrides) {
        const index = this.indexByName.get(override.feature.context.name);
        if (index === undefined) continue;
        overrides.push({ state: this.flagState(override.feature, index, env), priority: override.priority });
      }
      this.segments.push({ compiled: segment, document: env.apiSegments.get(segment), overrides });
    }
    this.stamp = new Uint32Array(names.length);
    this.winner = new Array<FlagState | undefined>(names.length).fill(undefined);
    this.priority = new Float64Array(names.length);
  }

  indexOf(featureName: string): number | undefined {
    return this.indexByName.get(featureName);
  }

  /** Flag states for an identity's own overrides (a document of their own, see EnvironmentSnapshot). */
  overrideStates(
    overrides: EnvironmentDocument,
    describe: (feature: CompiledFeature, env: CompiledEnvironment) => StateSource,
  ): FlagState[] {
    const env = compileEnvironment(overrides);
    const states: FlagState[] = [];
    for (const feature of env.features) {
      const index = this.indexByName.get(feature.context.name);
      if (index !== undefined) states.push(this.flagState(feature, index, env, describe));
    }
    return states;
  }

  /**
   * Evaluates every flag for an identity. `overrides` are its identity overrides (they beat everything);
   * `segmentsOut` collects the document segments it belongs to.
   */
  evaluate(
    identity: EvaluationIdentity,
    origin: KeyOrigin,
    overrides: readonly FlagState[] | undefined,
    segmentsOut?: DocumentSegment[],
  ): EvaluatedFlags {
    if (this.epoch >= 0xfffffff0) {
      this.stamp.fill(0);
      this.epoch = 0;
    }
    const epoch = ++this.epoch;
    const { stamp, winner, priority } = this;
    const scope: Scope = { identity, root: this.compiled.context };
    for (const segment of this.segments) {
      if (!segment.compiled.matches(scope)) continue;
      if (segmentsOut && segment.document) segmentsOut.push(segment.document);
      for (const { state, priority: p } of segment.overrides) {
        const i = state.index;
        if (stamp[i] !== epoch || overrideWins(p, priority[i])) {
          stamp[i] = epoch;
          priority[i] = p;
          winner[i] = state;
        }
      }
    }
    if (overrides) {
      // Identity overrides are offered last, as the engine does (its synthetic identity-override segments).
      for (const state of overrides) {
        const i = state.index;
        if (stamp[i] !== epoch || overrideWins(IDENTITY_OVERRIDE_PRIORITY, priority[i])) {
          stamp[i] = epoch;
          priority[i] = IDENTITY_OVERRIDE_PRIORITY;
          winner[i] = state;
        }
      }
    }
    const server = origin === 'SERVER';
    const parts: Buffer[] = [];
    const indices: number[] = [];
    const defaults = this.defaults;
    for (let i = 0; i < defaults.length; i++) {
      const state = stamp[i] === epoch ? winner[i]! : defaults[i];
      if (!(server ? state.visibleToServer : state.visibleToClient)) continue;
      parts.push(state.fixed ?? bucketJson(state, identity.key));
      indices.push(i);
    }
    return { parts, indices };
  }

  private flagState(
    feature: CompiledFeature,
    index: number,
    env: CompiledEnvironment,
    describe = this.describe,
  ): FlagState {
    const source = describe(feature, env);
    const enabled = feature.context.enabled;
    const seen = this.visibility(source.featureId, enabled);
    const common = {
      index,
      enabled,
      visibleToClient: seen.client,
      visibleToServer: seen.server,
      hashKey: feature.context.key ?? '',
    };
    const value = feature.context.value;
    const bytes = (json: string) => Buffer.from(`,${json}`);
    if (feature.variants === null) {
      return { ...common, fixed: bytes(source.serialize(value, null)), buckets: [], control: OPEN_LIST };
    }
    return {
      ...common,
      fixed: null,
      buckets: feature.variants.map((v) => ({
        start: v.start,
        limit: v.limit,
        json: bytes(source.serialize(v.value, v.key)),
      })),
      control: bytes(source.serialize(value, 'control')),
    };
  }
}

function bucketJson(state: FlagState, identityKey: string): Buffer {
  const percentage = hashedPercentage([state.hashKey, identityKey]);
  for (const bucket of state.buckets) {
    if (bucket.start <= percentage && percentage < bucket.limit) return bucket.json;
  }
  return state.control;
}
