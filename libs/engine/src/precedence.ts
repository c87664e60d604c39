/**
 * Override precedence (docs/contracts/engine.md §3, §7) — the one implementation, used by the engine, the SDK's remote
 * evaluator and the admin API's identity evaluation:
 *
 *   identity override  >  segment override of a matched segment (lowest priority; a tie keeps the segment
 *   matched first)  >  the environment default.
 *
 * An identity override is an override of priority IDENTITY_OVERRIDE_PRIORITY; a segment override without a
 * priority has MISSING_PRIORITY. Offer candidates in segment order (identity overrides last): `overrideWins`
 * then decides whether a candidate replaces the current winner of its feature.
 */

/** The priority of an identity override: it beats every segment override. */
export const IDENTITY_OVERRIDE_PRIORITY = -Infinity;

/** The priority of a segment override that has none: every other override beats it. */
export const MISSING_PRIORITY = Infinity;

/** Whether an override of priority `candidate` replaces the current winner (of priority `current`). */
export function overrideWins(candidate: number, current: number): boolean {
  return candidate < current;
}

/**
 * The winning override per feature among `candidates`, offered in segment order. Features without a winner
 * fall back to the environment default.
 */
export function winningOverrides<K, T>(
  candidates: Iterable<T>,
  featureOf: (candidate: T) => K,
  priorityOf: (candidate: T) => number,
): Map<K, T> {
  const winners = new Map<K, { candidate: T; priority: number }>();
  for (const candidate of candidates) {
    const feature = featureOf(candidate);
    const priority = priorityOf(candidate);
    const current = winners.get(feature);
    if (current === undefined || overrideWins(priority, current.priority))
      winners.set(feature, { candidate, priority });
  }
  const out = new Map<K, T>();
  for (const [feature, { candidate }] of winners) out.set(feature, candidate);
  return out;
}
