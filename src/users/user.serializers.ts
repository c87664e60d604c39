import { onboardingJson } from './onboarding';
import { User } from './user.entity';
import type { CurrentUserJson, RegisteredUserJson } from './user.schemas';

export function currentUserJson(user: User): CurrentUserJson {
  return {
    id: user.id,
    email: user.email,
    first_name: user.firstName,
    last_name: user.lastName,
    is_superuser: user.isSuperuser,
    date_joined: user.dateJoined.toISOString(),
    last_login: user.lastLogin?.toISOString() ?? null,
    uuid: user.uuid,
    auth_type: user.authType,
    sign_up_type: user.signUpType,
    marketing_consent_given: user.marketingConsentGiven,
    is_active: user.isActive,
    onboarding: onboardingJson(user),
  };
}

export function registeredUserJson(user: User, key: string): RegisteredUserJson {
  return {
    id: user.id,
    email: user.email,
    first_name: user.firstName,
    last_name: user.lastName,
    is_active: user.isActive,
    uuid: user.uuid,
    sign_up_type: user.signUpType,
    marketing_consent_given: user.marketingConsentGiven,
    key,
  };
}
