import type { User } from '../users/user.entity';
import {
  Invite,
  InviteLink,
  MasterApiKey,
  Organisation,
  OrganisationRole,
  UserGroup,
  UserGroupMember,
} from './organisation.entity';
import type { GroupJson } from './group.schemas';
import type { InviteJson, InviteLinkJson } from './invite.schemas';
import type { MasterApiKeyJson } from './master-api-key.schemas';
import type { OrganisationJson, OrganisationUserJson } from './organisation.schemas';

export function organisationJson(
  org: Organisation,
  role: OrganisationRole | null,
  numSeats: number,
): OrganisationJson {
  return {
    id: org.id,
    uuid: org.uuid,
    name: org.name,
    created_date: org.createdDate.toISOString(),
    webhook_notification_email: org.webhookNotificationEmail,
    num_seats: numSeats,
    subscription: {
      id: null,
      uuid: null,
      subscription_id: null,
      subscription_date: null,
      plan: null,
      max_seats: numSeats,
      max_api_calls: null,
      cancellation_date: null,
      customer_id: null,
      payment_method: null,
      notes: null,
    },
    role,
    persist_trait_data: org.persistTraitData,
    block_access_to_admin: org.blockAccessToAdmin,
    restrict_project_create_to_admin: org.restrictProjectCreateToAdmin,
    force_2fa: org.force2fa,
    stop_serving_flags: org.stopServingFlags,
    feature_analytics: org.featureAnalytics,
  };
}

export function organisationUserJson(user: User, role: OrganisationRole): OrganisationUserJson {
  return {
    id: user.id,
    email: user.email,
    first_name: user.firstName,
    last_name: user.lastName,
    last_login: user.lastLogin?.toISOString() ?? null,
    uuid: user.uuid,
    role,
    date_joined: user.dateJoined.toISOString(),
  };
}

export function groupJson(group: UserGroup, members: UserGroupMember[]): GroupJson {
  return {
    id: group.id,
    name: group.name,
    is_default: group.isDefault,
    external_id: group.externalId,
    users: members.map((m) => ({
      id: m.user.id,
      email: m.user.email,
      first_name: m.user.firstName,
      last_name: m.user.lastName,
      last_login: m.user.lastLogin?.toISOString() ?? null,
      group_admin: m.groupAdmin,
    })),
  };
}

export function inviteJson(invite: Invite): InviteJson {
  return {
    id: invite.id,
    email: invite.email,
    role: invite.role,
    date_created: invite.dateCreated.toISOString(),
    invited_by: invite.invitedBy
      ? {
          id: invite.invitedBy.id,
          email: invite.invitedBy.email,
          first_name: invite.invitedBy.firstName,
          last_name: invite.invitedBy.lastName,
        }
      : null,
    permission_groups: (invite.permissionGroups ?? []).map((g) => g.id),
  };
}

export function inviteLinkJson(link: InviteLink): InviteLinkJson {
  return {
    id: link.id,
    hash: link.hash,
    date_created: link.dateCreated.toISOString(),
    role: link.role,
    expires_at: link.expiresAt?.toISOString() ?? null,
  };
}

export function masterApiKeyJson(key: MasterApiKey, plaintext?: string): MasterApiKeyJson {
  return {
    id: key.id,
    prefix: key.prefix,
    created: key.created.toISOString(),
    name: key.name,
    revoked: key.revoked,
    expiry_date: key.expiryDate?.toISOString() ?? null,
    is_admin: key.isAdmin,
    has_expired: key.expiryDate !== null && key.expiryDate.getTime() <= Date.now(),
    organisation: key.organisationId,
    ...(plaintext ? { key: plaintext } : {}),
  };
}
