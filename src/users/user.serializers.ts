import { User } from './user.entity';

export function currentUserJson(user: User) {
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
  };
}

export function userSummaryJson(user: User) {
  return { id: user.id, email: user.email, first_name: user.firstName, last_name: user.lastName };
}
