import { S, type Static } from '../http/schema';

/**
 * GET /organisations/{id}/get-subscription-metadata/ (Flagsmith's SubscriptionDetailsSerializer). flagport has no
 * plans: nothing is limited, so every limit is null (Flagsmith's "unlimited") and seats are the members.
 */
export const SubscriptionMetadataJson = S.response(
  {
    max_seats: S.integer(),
    max_api_calls: S.nullable(S.integer()),
    max_projects: S.nullable(S.integer()),
    payment_source: S.nullable(S.string({ description: 'Always null here (Flagsmith: CHARGEBEE or null)' })),
    chargebee_email: S.nullable(S.string()),
    feature_history_visibility_days: S.nullable(S.integer()),
    audit_log_visibility_days: S.nullable(S.integer()),
  },
  { title: 'SubscriptionMetadata' },
);
export type SubscriptionMetadataJson = Static<typeof SubscriptionMetadataJson>;
