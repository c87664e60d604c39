import type { Organisation } from './organisation.entity';
import type { OrganisationsRepository } from './organisations.repository';
import { SubscriptionService, unlimitedSubscription } from './subscription.service';

describe('SubscriptionService', () => {
  it('an organisation has no plan: its seats are its members, every other limit is null (unlimited)', async () => {
    const repository = {
      seatCounts: (ids: number[]) => Promise.resolve(new Map(ids.map((id) => [id, 3]))),
    } as unknown as OrganisationsRepository;
    const metadata = await new SubscriptionService(repository).metadata({ id: 4 } as Organisation);
    expect(metadata).toEqual(unlimitedSubscription(3));
    expect(metadata).toMatchObject({
      max_seats: 3,
      max_api_calls: null,
      max_projects: null,
      audit_log_visibility_days: null,
      feature_history_visibility_days: null,
    });
  });
});
