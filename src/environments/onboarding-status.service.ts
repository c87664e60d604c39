import { Injectable } from '@nestjs/common';
import { NotFound } from '../common/domain-errors';
import { UnitOfWork } from '../common/unit-of-work';
import type { OnboardingStatusJson } from './onboarding-status.schemas';
import { OnboardingStatusRepository } from './onboarding-status.repository';

/** DRF's 404 of get_object_or_404 on Flagsmith's Environment queryset. */
export const NO_ENVIRONMENT = 'No Environment matches the given query.';

/**
 * Flagsmith's environments/onboarding: whether (and by which SDK) an environment's flags were first evaluated.
 * Like Flagsmith's view, it needs no credentials: the client key is public and the answer says nothing more.
 */
@Injectable()
export class OnboardingStatusService {
  constructor(
    private readonly repository: OnboardingStatusRepository,
    private readonly uow: UnitOfWork,
  ) {}

  async status(apiKey: string): Promise<OnboardingStatusJson> {
    const env = await this.repository.byKey(apiKey);
    if (!env) throw new NotFound(NO_ENVIRONMENT);
    return {
      first_evaluated_at: env.firstEvaluatedAt?.toISOString() ?? null,
      first_evaluated_sdk_label: env.firstEvaluatedSdkLabel,
    };
  }

  /** The first evaluation, recorded once: a later report leaves the first one as it is. */
  async recordFirstEvaluation(apiKey: string, sdkLabel: string, now = new Date()): Promise<void> {
    const env = await this.repository.byKey(apiKey);
    if (!env) throw new NotFound(NO_ENVIRONMENT);
    if (env.firstEvaluatedAt !== null) return;
    await this.uow.run((tx) => this.repository.recordFirst(tx.manager, env.id, now, sdkLabel), {
      unaudited: 'onboarding progress, not a change to flags (Flagsmith records no audit entry)',
    });
  }
}
