import { BodyReader } from '../common/validation';
import type { OrganisationFields } from './organisations.repository';

/** POST /organisations/ (and the admin panel's create). */
export interface NewOrganisation {
  name: string;
  webhookNotificationEmail?: string;
  restrictProjectCreateToAdmin?: boolean;
}

/** PUT/PATCH /organisations/{id}/: only the fields that were sent. */
export type OrganisationChanges = Partial<OrganisationFields>;

export function readNewOrganisation(body: unknown): NewOrganisation {
  const v = new BodyReader(body);
  const name = v.string('name', { maxLength: 2000 });
  const webhookNotificationEmail = v.email('webhook_notification_email', { optional: true, nullable: true });
  const restrictProjectCreateToAdmin = v.boolean('restrict_project_create_to_admin', { optional: true });
  v.assertValid();
  return { name: name!, webhookNotificationEmail, restrictProjectCreateToAdmin };
}

export function readOrganisationChanges(body: unknown, partial: boolean): OrganisationChanges {
  const v = new BodyReader(body, { partial });
  const changes: OrganisationChanges = {
    name: v.string('name', { maxLength: 2000 }),
    webhookNotificationEmail: v.email('webhook_notification_email', { optional: true, nullable: true }),
    restrictProjectCreateToAdmin: v.boolean('restrict_project_create_to_admin', { optional: true }),
    persistTraitData: v.boolean('persist_trait_data', { optional: true }),
    stopServingFlags: v.boolean('stop_serving_flags', { optional: true }),
    blockAccessToAdmin: v.boolean('block_access_to_admin', { optional: true }),
    force2fa: v.boolean('force_2fa', { optional: true }),
  };
  v.assertValid();
  return changes;
}
