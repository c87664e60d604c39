import { fieldError } from '../common/errors';
import { BodyReader } from '../common/validation';
import { ORGANISATION_ROLES, OrganisationRole } from './organisation.entity';

export interface InviteRequest {
  email: string;
  role: OrganisationRole;
}

/** POST /organisations/{id}/invites/ */
export interface NewInviteInput extends InviteRequest {
  permissionGroupIds: number[];
}

/** POST /organisations/{id}/invite/: several addresses, the same groups for all. */
export interface NewInvitesInput {
  invites: InviteRequest[];
  permissionGroupIds: number[];
}

export interface NewInviteLinkInput {
  role: OrganisationRole;
  expiresAt: Date | null;
}

export function readNewInvite(body: unknown): NewInviteInput {
  const v = new BodyReader(body);
  const email = v.email('email');
  const role = v.choice('role', ORGANISATION_ROLES, { optional: true }) ?? 'USER';
  const permissionGroupIds = v.integerList('permission_groups', { optional: true }) ?? [];
  v.assertValid();
  return { email: email!, role, permissionGroupIds };
}

/** `invites: [{email, role}]` and/or `emails: [address]` (role USER). */
export function readNewInvites(body: unknown): NewInvitesInput {
  const v = new BodyReader(body);
  const invites: InviteRequest[] = [];
  if (v.has('invites')) {
    const raw = v.raw('invites');
    if (!Array.isArray(raw)) throw fieldError('invites', 'Expected a list of items.');
    for (const item of raw as unknown[]) {
      const r = new BodyReader(item);
      const email = r.email('email');
      const role = r.choice('role', ORGANISATION_ROLES, { optional: true }) ?? 'USER';
      if (!r.valid) throw fieldError('invites', ...Object.values(r.errors).flat());
      invites.push({ email: email!, role });
    }
  }
  if (v.has('emails') || !v.has('invites')) {
    // `emails` is optional next to `invites`, but when sent it must be a list, whatever else is sent.
    const raw = v.raw('emails');
    if (raw === undefined) throw fieldError('emails', 'This field is required.');
    if (!Array.isArray(raw))
      throw fieldError('emails', `Expected a list of items but got type "${jsonTypeName(raw)}".`);
    for (const email of raw as unknown[]) {
      const r = new BodyReader({ email });
      const parsed = r.email('email');
      if (!r.valid) throw fieldError('emails', ...Object.values(r.errors).flat());
      invites.push({ email: parsed!, role: 'USER' });
    }
  }
  const permissionGroupIds = v.integerList('permission_groups', { optional: true }) ?? [];
  v.assertValid();
  return { invites, permissionGroupIds };
}

export function readNewInviteLink(body: unknown): NewInviteLinkInput {
  const v = new BodyReader(body);
  const role = v.choice('role', ORGANISATION_ROLES, { optional: true }) ?? 'USER';
  const expiresAt = v.datetime('expires_at', { optional: true, nullable: true }) ?? null;
  v.assertValid();
  return { role, expiresAt };
}

/** The JSON type of a value, as DRF names it in "Expected a list of items but got type …". */
function jsonTypeName(value: unknown): string {
  if (value === null) return 'NoneType';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return 'dict';
}
