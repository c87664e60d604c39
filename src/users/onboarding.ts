import type { User } from './user.entity';
import type { OnboardingJson } from './user-profile.schemas';

/** The stored onboarding answers, as Flagsmith's OnboardingResponseTypeSerializer shows them (null when none). */
export function onboardingJson(user: Pick<User, 'onboardingData'>): OnboardingJson | null {
  if (!user.onboardingData) return null;
  let stored: Partial<OnboardingJson>;
  try {
    stored = JSON.parse(user.onboardingData) as Partial<OnboardingJson>;
  } catch {
    return null;
  }
  if (!stored || typeof stored !== 'object' || Object.keys(stored).length === 0) return null;
  return {
    tasks: stored.tasks ?? [],
    ...(stored.tools !== undefined ? { tools: stored.tools } : {}),
    ...(stored.hosting_preferences !== undefined ? { hosting_preferences: stored.hosting_preferences } : {}),
  };
}
