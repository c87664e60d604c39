/**
 * Flagsmith flags as OFREP evaluation results (docs/contracts/ofrep.md §7), computed from the SDK snapshot cache with the
 * same engine and the same inputs as the SDK identities endpoint: no I/O.
 *
 * Mapping of one flag:
 * - `key` = feature name; `value` = the evaluated Flagsmith value (multivariate resolved), or, for a flag that
 *   has no value, its `enabled` state as a boolean;
 * - `reason`: `DISABLED` when the flag is disabled, else `SPLIT` when a multivariate option was picked by
 *   percentage, else `TARGETING_MATCH` when a segment or identity override won, else `STATIC`;
 * - `variant` = the multivariate option's key (or `control`), as `/api/v1/identities/` reports it, or the option's
 *   id as a string when the picked option has no key (§7: "mv option key/id"); absent when there is none;
 * - `metadata` = `{enabled, featureId}` (`featureId` left out when the environment hides sensitive data).
 *
 * A disabled flag keeps its value (`false` when it has no value) with reason `DISABLED` and
 * `metadata.enabled: false`: the answer is what Flagsmith's own SDKs report for it, OpenFeature callers can tell
 * disabled flags by the reason, and every OFREP client accepts it (ofrep-core before 2.x refuses an answer without
 * `value`, so the code-default form of ADR-0006 is not used).
 *
 * Without a `targetingKey` the environment's flags are evaluated (no segments, no split): reason `STATIC`
 * (`DISABLED` for disabled flags). With one, the identity is evaluated with the context's other attributes as its
 * complete, transient trait set (stored traits are not read, nothing is written) plus the identity's stored
 * overrides, which the snapshot holds in memory.
 */
import {
  getEnvironmentFlags,
  getIdentityFlags,
  type EvaluatedFlag,
  type FeatureValue,
  type Traits,
} from '../../libs/engine/src';
import type { EnvironmentSnapshot } from '../sdk/environment-snapshot';
import type { KeyOrigin } from '../sdk/sdk.types';

export type OfrepReason = 'STATIC' | 'TARGETING_MATCH' | 'SPLIT' | 'DISABLED';

export interface OfrepFlag {
  readonly key: string;
  readonly value: string | number | boolean;
  readonly reason: OfrepReason;
  readonly variant?: string;
  readonly metadata: { readonly enabled: boolean; readonly featureId?: number };
}

/** The evaluation context of a request: the identity (absent: environment flags) and its traits. */
export interface OfrepContext {
  readonly targetingKey: string | undefined;
  readonly traits: Traits;
}

interface Evaluated {
  readonly featureId: number;
  readonly featureName: string;
  readonly enabled: boolean;
  readonly value: FeatureValue;
  readonly variant: string | null;
  readonly split: boolean;
  readonly targeted: boolean;
}

function fromEngine(flag: EvaluatedFlag): Evaluated {
  return {
    featureId: flag.featureId,
    featureName: flag.featureName,
    enabled: flag.enabled,
    value: flag.value,
    variant: flag.variant ?? (flag.variantOptionId === null ? null : String(flag.variantOptionId)),
    split: flag.reason.startsWith('SPLIT'),
    targeted: flag.source !== 'ENVIRONMENT',
  };
}

/** The snapshot's flags for the context, in document order, before visibility rules. */
function evaluateAll(snapshot: EnvironmentSnapshot, context: OfrepContext): Evaluated[] {
  const { targetingKey, traits } = context;
  if (targetingKey === undefined) {
    return getEnvironmentFlags(snapshot.evaluationInputs('').document).map(fromEngine);
  }
  const { document, overrides } = snapshot.evaluationInputs(targetingKey);
  const flags = getIdentityFlags(document, targetingKey, traits).map(fromEngine);
  if (overrides === undefined) return flags;
  // The identity's own overrides win over segments and defaults, exactly as SdkSnapshot.identityFlags applies them.
  const overridden = new Map<string, Evaluated>();
  for (const flag of getIdentityFlags(overrides, targetingKey, {})) {
    overridden.set(flag.featureName, { ...fromEngine(flag), targeted: true });
  }
  return flags.map((flag) => {
    const override = overridden.get(flag.featureName);
    return override ? { ...override, featureId: flag.featureId } : flag;
  });
}

function toOfrep(flag: Evaluated, hideSensitiveData: boolean): OfrepFlag {
  const value = flag.value === null ? flag.enabled : flag.value;
  const reason: OfrepReason = !flag.enabled
    ? 'DISABLED'
    : flag.split
      ? 'SPLIT'
      : flag.targeted
        ? 'TARGETING_MATCH'
        : 'STATIC';
  const metadata = hideSensitiveData
    ? { enabled: flag.enabled }
    : { enabled: flag.enabled, featureId: flag.featureId };
  return flag.variant === null
    ? { key: flag.featureName, value, reason, metadata }
    : { key: flag.featureName, value, reason, variant: flag.variant, metadata };
}

const serverOnlyOf = new WeakMap<EnvironmentSnapshot, ReadonlySet<number>>();

function serverOnlyFeatures(snapshot: EnvironmentSnapshot): ReadonlySet<number> {
  let ids = serverOnlyOf.get(snapshot);
  if (ids === undefined) {
    ids = new Set(snapshot.document.project.server_key_only_feature_ids);
    serverOnlyOf.set(snapshot, ids);
  }
  return ids;
}

/**
 * Every flag the key may see for this context, as OFREP results. Client keys do not see server-key-only
 * features; `hide_disabled_flags` leaves disabled flags out (as `/flags/` and `/identities/` do).
 */
export function evaluateFlags(
  snapshot: EnvironmentSnapshot,
  origin: KeyOrigin,
  context: OfrepContext,
): OfrepFlag[] {
  const serverOnly = origin === 'CLIENT' ? serverOnlyFeatures(snapshot) : undefined;
  const out: OfrepFlag[] = [];
  for (const flag of evaluateAll(snapshot, context)) {
    if (snapshot.hideDisabledFlags && !flag.enabled) continue;
    if (serverOnly?.has(flag.featureId)) continue;
    out.push(toOfrep(flag, snapshot.hideSensitiveData));
  }
  return out;
}
