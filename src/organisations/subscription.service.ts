import { Injectable } from '@nestjs/common';
import { Organisation } from './organisation.entity';
import { OrganisationsRepository } from './organisations.repository';
import type { SubscriptionMetadataJson } from './subscription.schemas';

/**
 * The subscription an organisation has here: none, and no limits (docs: README "Flagsmith's dashboard and plans").
 * Null is Flagsmith's "unlimited" for projects and visibility days; the dashboard shows no limit banner for it.
 */
export function unlimitedSubscription(seats: number): SubscriptionMetadataJson {
  return {
    max_seats: seats,
    max_api_calls: null,
    max_projects: null,
    payment_source: null,
    chargebee_email: null,
    feature_history_visibility_days: null,
    audit_log_visibility_days: null,
  };
}

@Injectable()
export class SubscriptionService {
  constructor(private readonly organisations: OrganisationsRepository) {}

  async metadata(org: Organisation): Promise<SubscriptionMetadataJson> {
    const seats = await this.organisations.seatCounts([org.id]);
    return unlimitedSubscription(seats.get(org.id) ?? 0);
  }
}
