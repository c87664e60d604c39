import { EntityManager, In } from 'typeorm';
import {
  evaluate,
  IDENTITY_OVERRIDE_PRIORITY,
  winningOverrides,
  type FeatureContext,
  type FeatureValue,
  type SegmentContext,
  type Traits,
  type TraitValue,
} from '../../libs/engine/src';
import type { Environment } from '../environments/environment.entity';
import { rawValue } from '../features/feature-values';
import { FeatureState, FeatureType, MultivariateFeatureStateValue } from '../features/feature.entity';
import type { Project } from '../projects/project.entity';
import { loadRuleTrees, segmentContext } from '../segments/segment-tree';
import { Segment } from '../segments/segment.entity';
import { Identity, Trait } from './identity.entity';

/**
 * Remote evaluation of one identity from the database, for the admin API (segments?identity=,
 * identities/{id}/featurestates/all/). The engine (libs/engine) decides segment membership and multivariate
 * values and precedence (`winningOverrides`, docs/contracts/engine.md §7): identity override > segment override of a matched
 * segment (lowest feature_segment.priority, ties → the segment matched first) > environment default. A fixed
 * number of queries.
 */

export function traitValue(t: Trait): TraitValue {
  switch (t.valueType) {
    case 'int':
      return t.integerValue;
    case 'float':
      return t.floatValue;
    case 'bool':
      return t.booleanValue;
    default:
      return t.stringValue;
  }
}

/** The identity's hashing key in remote evaluation (docs/contracts/engine.md §6.2). */
export function identityHashKey(environment: Environment, identity: Identity): string {
  return environment.useIdentityCompositeKeyForHashing
    ? `${environment.apiKey}_${identity.identifier}`
    : String(identity.id);
}

async function identityContext(manager: EntityManager, environment: Environment, identity: Identity) {
  const traits = await manager
    .getRepository(Trait)
    .find({ where: { identityId: identity.id }, order: { id: 'ASC' } });
  const record: Record<string, TraitValue> = {};
  for (const t of traits) record[t.traitKey] = traitValue(t);
  return {
    environment: { key: environment.apiKey, name: environment.name },
    identity: {
      identifier: identity.identifier,
      key: identityHashKey(environment, identity),
      traits: record as Traits,
    },
  };
}

async function projectSegmentContexts(
  manager: EntityManager,
  projectId: number,
): Promise<{ segments: Segment[]; contexts: Record<string, SegmentContext> }> {
  const segments = await manager
    .getRepository(Segment)
    .find({ where: { projectId }, order: { id: 'ASC' }, select: { id: true, name: true } });
  const trees = await loadRuleTrees(
    manager,
    segments.map((s) => s.id),
  );
  const contexts: Record<string, SegmentContext> = {};
  for (const s of segments) contexts[String(s.id)] = segmentContext(s, trees.get(s.id) ?? []);
  return { segments, contexts };
}

/** Ids of the project's segments the identity belongs to (ascending). */
export async function matchingSegmentIds(
  manager: EntityManager,
  environment: Environment,
  identity: Identity,
): Promise<number[]> {
  const base = await identityContext(manager, environment, identity);
  const { contexts } = await projectSegmentContexts(manager, environment.projectId);
  const result = evaluate({ ...base, segments: contexts });
  return result.segments.map((s) => Number(s.metadata?.id)).filter((id) => Number.isInteger(id));
}

export type MvValueWithOption = MultivariateFeatureStateValue;

export interface IdentityFlag {
  readonly feature: { id: number; name: string; type: FeatureType };
  readonly enabled: boolean;
  /** After multivariate resolution for this identity. */
  readonly value: FeatureValue;
  readonly overriddenBy: 'IDENTITY' | 'SEGMENT' | null;
  readonly segment: { id: number; name: string } | null;
  readonly featureState: FeatureState;
  readonly multivariateValues: readonly MvValueWithOption[];
}

/** Every feature's effective flag for the identity (hide_disabled_flags honoured), ordered by feature id. */
export async function identityFlags(
  manager: EntityManager,
  environment: Environment,
  project: Project,
  identity: Identity,
): Promise<IdentityFlag[]> {
  const base = await identityContext(manager, environment, identity);
  const states = await manager
    .getRepository(FeatureState)
    .createQueryBuilder('fs')
    .innerJoinAndSelect('fs.feature', 'f')
    .leftJoinAndSelect('fs.featureSegment', 'fsg')
    .where('fs.environment_id = :env', { env: environment.id })
    .andWhere('f.deleted_at IS NULL')
    .andWhere('(fs.identity_id IS NULL OR fs.identity_id = :identity)', { identity: identity.id })
    .orderBy('fs.id')
    .getMany();
  const mvRows = states.length
    ? await manager.getRepository(MultivariateFeatureStateValue).find({
        where: { featureStateId: In(states.map((s) => s.id)) },
        relations: { multivariateFeatureOption: true },
        order: { id: 'ASC' },
      })
    : [];
  const mvByState = new Map<number, MvValueWithOption[]>();
  for (const mv of mvRows) {
    const list = mvByState.get(mv.featureStateId) ?? [];
    list.push(mv);
    mvByState.set(mv.featureStateId, list);
  }
  const { segments, contexts } = await projectSegmentContexts(manager, project.id);
  const matched = evaluate({ ...base, segments: contexts }).segments.map((s) => Number(s.metadata?.id));
  const segmentNames = new Map(segments.map((s) => [s.id, s.name]));

  const chosen = chooseFeatureStates(states, matched);

  const features: Record<string, FeatureContext> = {};
  for (const { fs } of chosen) features[`f${fs.featureId}`] = featureContext(fs, mvByState.get(fs.id));
  const flags = evaluate({ ...base, features }).flags;

  const hideDisabled = environment.hideDisabledFlags ?? project.hideDisabledFlags;
  const out: IdentityFlag[] = [];
  for (const { fs, by } of chosen) {
    const flag = flags[`f${fs.featureId}`];
    if (!flag) continue;
    if (hideDisabled && !flag.enabled) continue;
    const segmentId = by === 'SEGMENT' ? fs.featureSegment!.segmentId : null;
    out.push({
      feature: { id: fs.feature.id, name: fs.feature.name, type: fs.feature.type },
      enabled: flag.enabled,
      value: flag.value,
      overriddenBy: by,
      segment: segmentId !== null ? { id: segmentId, name: segmentNames.get(segmentId) ?? '' } : null,
      featureState: fs,
      multivariateValues: mvByState.get(fs.id) ?? [],
    });
  }
  return out;
}

/**
 * Per feature, the state that applies to the identity (by feature id): its identity override, else the winning
 * override of a matched segment, else the environment default — the engine's precedence (`winningOverrides`).
 * `states`: the environment's states of the identity (defaults, segment overrides, its identity overrides);
 * `matchedSegmentIds`: the segments it belongs to, in the engine's match order.
 */
export function chooseFeatureStates(
  states: readonly FeatureState[],
  matchedSegmentIds: readonly number[],
): { fs: FeatureState; by: IdentityFlag['overriddenBy'] }[] {
  const matchedOrder = new Map(matchedSegmentIds.map((id, index) => [id, index]));
  const defaults = new Map<number, FeatureState>();
  const segmentOverrides: FeatureState[] = [];
  const identityOverrides: FeatureState[] = [];
  for (const fs of states) {
    if (fs.identityId !== null) identityOverrides.push(fs);
    else if (fs.featureSegment === null) defaults.set(fs.featureId, fs);
    else if (matchedOrder.has(fs.featureSegment.segmentId)) segmentOverrides.push(fs);
  }
  // Candidates in segment order (the engine's tie rule), identity overrides last, as the engine offers them.
  segmentOverrides.sort(
    (a, b) => matchedOrder.get(a.featureSegment!.segmentId)! - matchedOrder.get(b.featureSegment!.segmentId)!,
  );
  const winners = winningOverrides(
    [...segmentOverrides, ...identityOverrides],
    (fs) => fs.featureId,
    (fs) => (fs.identityId !== null ? IDENTITY_OVERRIDE_PRIORITY : fs.featureSegment!.priority),
  );

  const chosen: { fs: FeatureState; by: IdentityFlag['overriddenBy'] }[] = [];
  for (const [featureId, fallback] of defaults) {
    const winner = winners.get(featureId);
    if (winner === undefined) chosen.push({ fs: fallback, by: null });
    else chosen.push({ fs: winner, by: winner.identityId !== null ? 'IDENTITY' : 'SEGMENT' });
  }
  chosen.sort((a, b) => a.fs.featureId - b.fs.featureId);
  return chosen;
}

/** Engine feature context of a state: named by an opaque key so that names never collide. */
function featureContext(fs: FeatureState, mv: readonly MvValueWithOption[] | undefined): FeatureContext {
  return {
    key: String(fs.id),
    name: `f${fs.featureId}`,
    enabled: fs.enabled,
    value: rawValue(fs),
    variants: (mv ?? []).map((v) => ({
      value: rawValue({
        valueType: v.multivariateFeatureOption.type,
        stringValue: v.multivariateFeatureOption.stringValue,
        integerValue: v.multivariateFeatureOption.integerValue,
        booleanValue: v.multivariateFeatureOption.booleanValue,
      }),
      weight: v.percentageAllocation,
      priority: v.id,
      key: v.multivariateFeatureOption.key,
    })),
  };
}
