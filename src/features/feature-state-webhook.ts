import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import type { WriteContext } from '../common/unit-of-work';
import type { Environment } from '../environments/environment.entity';
import { Feature, FeatureState, MultivariateFeatureOption } from './feature.entity';
import { FeatureStatesRepository } from './feature-states.repository';
import { rawValue } from './feature-values';

/** The job kind a feature-state change enqueues; src/webhooks delivers it to the environment's webhooks. */
export const FEATURE_STATE_CHANGED = 'feature_state.changed';

/** Flagsmith's webhook datetime form (%Y-%m-%dT%H:%M:%S.%fZ: microseconds, UTC). */
export function webhookTimestamp(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function optionValue(o: MultivariateFeatureOption): string | number | boolean | null {
  if (o.type === 'int') return o.integerValue;
  if (o.type === 'bool') return o.booleanValue;
  return o.stringValue;
}

/**
 * What a feature-state write enqueues for the webhooks (Flagsmith's features/tasks.py): the state before and after
 * in the webhook's shape, who changed it and when. Built inside the write, so the payload is the committed change.
 */
@Injectable()
export class FeatureStateWebhookEvents {
  /** Per transaction and environment: does anyone follow its flag changes? (One query each.) */
  private readonly followed = new WeakMap<EntityManager, Map<number, Promise<boolean>>>();

  constructor(private readonly states: FeatureStatesRepository) {}

  /**
   * Whether the environment or its organisation has an enabled webhook. Without one a write builds no payload
   * (six reads fewer inside its locks) and enqueues nothing; the fan-out job reads the webhooks again anyway.
   */
  private follows(manager: EntityManager, env: Environment): Promise<boolean> {
    let byEnv = this.followed.get(manager);
    if (!byEnv) this.followed.set(manager, (byEnv = new Map<number, Promise<boolean>>()));
    let answer = byEnv.get(env.id);
    if (!answer) {
      answer = this.states.webhooksFollow(manager, env.id, env.project.organisationId);
      byEnv.set(env.id, answer);
    }
    return answer;
  }

  /** The state as it is before this transaction writes it, for `previous_state`; null when nobody follows. */
  async before(
    tx: WriteContext,
    state: FeatureState,
    feature: Feature,
    env: Environment,
  ): Promise<Record<string, unknown> | null> {
    return (await this.follows(tx.manager, env)) ? this.stateData(tx.manager, state, feature, env) : null;
  }

  /** One state as Flagsmith's webhook payload has it (Webhook.generate_webhook_feature_state_data). */
  async stateData(
    manager: EntityManager,
    state: FeatureState,
    feature: Feature,
    env: Environment,
  ): Promise<Record<string, unknown>> {
    const [context, options, mvValues] = await Promise.all([
      this.states.webhookContext(manager, state),
      this.states.optionsById(manager, feature.id),
      this.states.mvValues([state.id], manager),
    ]);
    return {
      feature: {
        id: feature.id,
        created_date: webhookTimestamp(feature.createdDate),
        default_enabled: feature.defaultEnabled,
        description: feature.description,
        initial_value: feature.initialValue,
        name: feature.name,
        project: { id: feature.projectId, name: env.project.name },
        type: feature.type,
      },
      environment: { id: env.id, name: env.name },
      identity: state.identityId,
      identity_identifier: context.identifier,
      feature_segment: context.segment && {
        segment: {
          id: context.segment.id,
          name: context.segment.name,
          description: context.segment.description,
        },
        priority: context.segment.priority,
      },
      enabled: state.enabled,
      feature_state_value: rawValue(state),
      multivariate_feature_state_values: mvValues.map((mv) => {
        const option = options.get(mv.multivariateFeatureOptionId);
        return {
          id: mv.id,
          multivariate_feature_option: {
            id: mv.multivariateFeatureOptionId,
            value: option ? optionValue(option) : null,
          },
          percentage_allocation: mv.percentageAllocation,
        };
      }),
    };
  }

  /**
   * FLAG_UPDATED for a state this transaction wrote (`saved`, after the write), with the state as it was before
   * (`previous`, from stateData before the write; null for a new state).
   */
  async updated(
    tx: WriteContext,
    env: Environment,
    principal: Principal,
    feature: Feature,
    saved: FeatureState,
    previous: Record<string, unknown> | null,
  ): Promise<void> {
    if (!(await this.follows(tx.manager, env))) return;
    this.enqueue(tx, env, principal, await this.stateData(tx.manager, saved, feature, env), previous);
  }

  /** FLAG_DELETED for a state this transaction is about to delete: call it before the delete (its data is read). */
  async deleted(
    tx: WriteContext,
    env: Environment,
    principal: Principal,
    feature: Feature,
    state: FeatureState,
  ): Promise<void> {
    if (!(await this.follows(tx.manager, env))) return;
    this.enqueue(tx, env, principal, null, await this.stateData(tx.manager, state, feature, env));
  }

  /** FLAG_DELETED for the override state of a segment-override slot about to be deleted (if it has one). */
  async segmentOverrideDeleted(
    tx: WriteContext,
    env: Environment,
    principal: Principal,
    feature: Feature,
    featureSegmentId: number,
  ): Promise<void> {
    const state = await this.states.overrideOfSlot(tx.manager, featureSegmentId);
    if (state) await this.deleted(tx, env, principal, feature, state);
  }

  /**
   * A feature about to be deleted: FLAG_DELETED for its environment default state in every environment of
   * `project`, as Flagsmith's FeatureViewSet.perform_destroy sends (not for its overrides).
   */
  async featureDeleted(
    tx: WriteContext,
    project: Environment['project'],
    principal: Principal,
    feature: Feature,
  ): Promise<void> {
    for (const state of await this.states.environmentDefaultsOf(tx.manager, feature.id)) {
      const env = Object.assign(state.environment, { project });
      await this.deleted(tx, env, principal, feature, state);
    }
  }

  /** Enqueues FLAG_UPDATED (or FLAG_DELETED with no new state) in the write's transaction. */
  private enqueue(
    tx: WriteContext,
    env: Environment,
    principal: Principal,
    newState: Record<string, unknown> | null,
    previousState: Record<string, unknown> | null,
  ): void {
    const data: Record<string, unknown> = {
      new_state: newState,
      changed_by: principal.kind === 'user' ? principal.user.email : principal.key.name,
      timestamp: webhookTimestamp(new Date()),
    };
    if (previousState) data.previous_state = previousState;
    // Flagsmith sends a flag change to the environment's webhooks and to its organisation's.
    tx.enqueue(FEATURE_STATE_CHANGED, {
      environment_id: env.id,
      organisation_id: env.project.organisationId,
      event_type: newState === null ? 'FLAG_DELETED' : 'FLAG_UPDATED',
      data,
    });
  }
}
