import { S, type Static } from '../http/schema';

/**
 * Schemas of Flagsmith's user routes beyond /auth/users/me/ (djoser's set_email, the dashboard's onboarding answers;
 * Flagsmith's users/serializers.py: PatchOnboardingSerializer, OnboardingResponseTypeSerializer).
 */

/** djoser's SetUsernameSerializer with Flagsmith's USERNAME_FIELD "email". */
export const SetEmail = S.object({
  current_password: S.string({ trim: false }),
  new_email: S.email(),
});
export type SetEmailInput = Static<typeof SetEmail>;

const OnboardingTask = S.object({
  name: S.string(),
  completed_at: S.optional(S.nullable(S.dateTime())),
});
const OnboardingTools = S.object({
  completed: S.optional(S.nullable(S.boolean())),
  integrations: S.list(S.string({ allowBlank: true })),
});

/** Flagsmith's PatchOnboardingSerializer; its "at least one key" rule runs after the fields, in the service. */
export const PatchOnboarding = S.object({
  tasks: S.optional(S.list(OnboardingTask)),
  tools: S.optional(OnboardingTools),
  hosting_preferences: S.optional(S.list(S.string({ allowBlank: true }))),
});
export type PatchOnboardingInput = Static<typeof PatchOnboarding>;

/** The onboarding answers as /auth/users/me/ shows them (`tasks` always present). */
export const OnboardingJson = S.response({
  tasks: S.list(S.response({ name: S.string(), completed_at: S.dateTime() })),
  tools: S.optional(
    S.response({ completed: S.boolean(), integrations: S.list(S.string({ allowBlank: true })) }),
  ),
  hosting_preferences: S.optional(S.list(S.string({ allowBlank: true }))),
});
export type OnboardingJson = Static<typeof OnboardingJson>;
