import { Injectable } from '@nestjs/common';
import { verifyPassword } from '../auth/passwords';
import { NotFound, ValidationFailed, type FieldErrors } from '../common/domain-errors';
import { UnitOfWork } from '../common/unit-of-work';
import { ACCOUNTS_UNAUDITED } from './accounts.service';
import { User } from './user.entity';
import { onboardingJson } from './onboarding';
import type { PatchOnboardingInput, SetEmailInput } from './user-profile.schemas';
import { UsersRepository } from './users.repository';

/** Django's unique message for FFAdminUser.email (verbose name "Feature flag admin user"). */
export const EMAIL_IN_USE = 'Feature flag admin user with this email already exists.';

export const ONBOARDING_NEEDS_A_KEY =
  "At least one of 'tasks' or 'tools' or 'hosting_preferences' must be provided.";

/**
 * The current user's email and onboarding answers (djoser's set_email, Flagsmith's me/onboarding action). SQL in
 * UsersRepository; writes through the unit of work on the locked row.
 */
@Injectable()
export class UserProfileService {
  constructor(
    private readonly users: UsersRepository,
    private readonly uow: UnitOfWork,
  ) {}

  /** POST /auth/users/set_email/: both fields are checked before anything is written (DRF reports both). */
  async setEmail(user: User, input: SetEmailInput): Promise<void> {
    await this.uow.run(
      async (tx) => {
        const current = await this.users.lock(tx.manager, user.id);
        if (!current) throw new NotFound();
        const errors: FieldErrors = {};
        if (!(await verifyPassword(input.current_password, current.password)))
          errors.current_password = ['Invalid password.'];
        const holder = await this.users.byEmail(input.new_email, tx.manager);
        if (holder) errors.new_email = [EMAIL_IN_USE];
        if (Object.keys(errors).length) throw new ValidationFailed(errors);
        await this.users.update(tx.manager, current.id, { email: input.new_email });
        user.email = input.new_email;
      },
      { unaudited: ACCOUNTS_UNAUDITED },
    );
  }

  /**
   * PATCH /auth/users/me/onboarding/: the keys sent replace the stored ones (a task list is replaced whole);
   * a task without `completed_at` is completed now, tools without `completed` are completed.
   */
  async patchOnboarding(user: User, input: PatchOnboardingInput, now = new Date()): Promise<void> {
    if (input.tasks === undefined && input.tools === undefined && input.hosting_preferences === undefined)
      throw ValidationFailed.field('non_field_errors', ONBOARDING_NEEDS_A_KEY);
    const patch: Record<string, unknown> = {};
    if (input.tasks !== undefined)
      patch.tasks = input.tasks.map((t) => ({
        name: t.name,
        completed_at: t.completed_at ? new Date(t.completed_at).toISOString() : now.toISOString(),
      }));
    if (input.tools !== undefined)
      patch.tools = { completed: input.tools.completed ?? true, integrations: input.tools.integrations };
    if (input.hosting_preferences !== undefined) patch.hosting_preferences = input.hosting_preferences;
    await this.uow.run(
      async (tx) => {
        const current = await this.users.lock(tx.manager, user.id);
        if (!current) throw new NotFound();
        const stored = onboardingJson(current) ?? {};
        const onboardingData = JSON.stringify({ ...stored, ...patch });
        await this.users.update(tx.manager, current.id, { onboardingData });
        user.onboardingData = onboardingData;
      },
      { unaudited: ACCOUNTS_UNAUDITED },
    );
  }
}
