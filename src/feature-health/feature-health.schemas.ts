import { Type } from '@sinclair/typebox';
import { isPlainObject } from '../common/drf-values';
import { FEATURE_HEALTH_EVENT_TYPES, FEATURE_HEALTH_PROVIDER_NAMES } from '../features/feature-health.entity';
import { S, type Static } from '../http/schema';
import type { FieldReading } from '../http/schema/schema';

/** Request and response schemas of /api/v1/projects/{id}/feature-health/… and the provider webhook. */

/** POST …/feature-health/providers/ (CreateFeatureHealthProviderSerializer). */
export const CreateProvider = S.object({ name: S.choice(FEATURE_HEALTH_PROVIDER_NAMES) });
export type CreateProviderInput = Static<typeof CreateProvider>;

/** FeatureHealthProviderSerializer. */
export const ProviderJson = S.response(
  {
    created_by: S.nullable(S.string({ description: "The creator's email" })),
    name: S.choice(FEATURE_HEALTH_PROVIDER_NAMES),
    project: S.integer(),
    webhook_url: S.string({ description: 'POST health events here; the path carries the secret token' }),
  },
  { title: 'FeatureHealthProvider' },
);
export type ProviderJson = Static<typeof ProviderJson>;

/** Text in a reason: taken as sent (Flagsmith's pydantic/DRF CharFields keep blank text). */
const Text = () => S.string({ trim: false, allowBlank: true });

/** FeatureHealthEventReason: `{text_blocks: [{text, title?}], url_blocks: [{url, title?}]}`. */
export const Reason = S.object({
  text_blocks: S.list(S.object({ text: Text(), title: S.optional(Text()) })),
  url_blocks: S.list(S.object({ url: Text(), title: S.optional(Text()) })),
});
export type ReasonInput = Static<typeof Reason>;

const ReasonJson = S.response({
  text_blocks: S.list(S.response({ text: S.string(), title: S.optional(S.string()) })),
  url_blocks: S.list(S.response({ url: S.string(), title: S.optional(S.string()) })),
});

/** FeatureHealthEventSerializer. */
export const EventJson = S.response(
  {
    id: S.integer(),
    created_at: S.dateTime(),
    environment: S.nullable(S.integer()),
    feature: S.integer(),
    provider_name: S.nullable(S.string()),
    reason: S.nullable(ReasonJson),
    type: S.choice(FEATURE_HEALTH_EVENT_TYPES),
  },
  { title: 'FeatureHealthEvent' },
);
export type EventJson = Static<typeof EventJson>;

/** The Webhook provider's event (Flagsmith's WebhookEvent): one feature, optionally one environment. */
export const WebhookEvent = S.object({
  feature: S.string({ trim: false }),
  status: S.choice(['healthy', 'unhealthy'] as const),
  environment: S.optional(S.string({ trim: false })),
  reason: S.optional(Reason),
});
export type WebhookEventInput = Static<typeof WebhookEvent>;

/** A JSON object of strings (pydantic's dict[str, str]). */
function readStringMap(raw: unknown): FieldReading<Record<string, string>> {
  if (!isPlainObject(raw) || Object.values(raw).some((v) => typeof v !== 'string'))
    return { error: ['Expected an object of strings.'] };
  return { value: raw as Record<string, string> };
}
const StringMap = () =>
  S.reader<Record<string, string>>(Type.Record(Type.String(), Type.String()), readStringMap);

/** One alert of a Grafana (Alertmanager) webhook notification. */
export const GrafanaAlert = S.object({
  annotations: StringMap(),
  generatorURL: Text(),
  endsAt: S.dateTime(),
  fingerprint: Text(),
  labels: StringMap(),
  startsAt: S.dateTime(),
  status: Text(),
  dashboardURL: S.optional(Text()),
  panelURL: S.optional(Text()),
  silenceURL: S.optional(Text()),
});

/** The Grafana provider's notification (GrafanaWebhookData): alerts labelled `flagsmith_feature` become events. */
export const GrafanaNotification = S.object({ alerts: S.list(GrafanaAlert) });
export type GrafanaNotificationInput = Static<typeof GrafanaNotification>;

/**
 * The webhook's body as documented: the payload of the provider the URL belongs to. Which one is known only
 * from the path's token, so the service validates it (FeatureHealthService.receive).
 */
export const ProviderPayload = S.reader<unknown>(
  Type.Union([WebhookEvent, GrafanaNotification], {
    description: 'The Webhook provider’s event, or a Grafana alert notification',
  }),
  (raw) => ({ value: raw }),
);
