import { S, type Static } from '../http/schema';

const INVALID_URL = 'Enter a valid URL.';

/** DRF's URLField as Flagsmith's webhook URL has it: http(s) with a host (the SSRF check comes on top). */
export function urlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return INVALID_URL;
  }
  if (!url.hostname) return INVALID_URL;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'Enter a valid http(s) URL.';
  return undefined;
}

export const WebhookInput = S.object({
  url: S.check(S.string({ maxLength: 200 }), urlProblem),
  enabled: S.optional(S.boolean({ description: 'Default true' })),
  secret: S.optional(S.string({ maxLength: 255, allowBlank: true, description: "Default ''" })),
});
export type WebhookInput = Static<typeof WebhookInput>;

export const WebhookJson = S.response(
  {
    id: S.integer(),
    url: S.string(),
    enabled: S.boolean(),
    created_at: S.dateTime(),
    updated_at: S.dateTime(),
    secret: S.string({ allowBlank: true }),
  },
  { title: 'EnvironmentWebhook' },
);
export type WebhookJson = Static<typeof WebhookJson>;

export const OrganisationWebhookJson = S.response(WebhookJson.properties, { title: 'OrganisationWebhook' });

/** flagport's delivery history (Flagsmith has none): one delivery of one event, its attempts so far. */
export const WebhookDeliveryJson = S.response(
  {
    id: S.integer(),
    event_type: S.string({ description: 'FLAG_UPDATED, FLAG_DELETED or AUDIT_LOG_CREATED' }),
    state: S.choice(['retrying', 'succeeded', 'failed'], {
      description: 'retrying: an attempt failed and another is due; failed: no attempt is left',
    }),
    attempts: S.integer({ description: 'Attempts so far (at most 3)' }),
    status_code: S.nullable(S.integer({ description: "The last attempt's HTTP status; null: no answer" })),
    error: S.nullable(S.string({ description: 'Why the last attempt failed; null when it succeeded' })),
    created_at: S.dateTime(),
    last_attempt_at: S.dateTime(),
  },
  { title: 'WebhookDelivery' },
);
export type WebhookDeliveryJson = Static<typeof WebhookDeliveryJson>;

/** Flagsmith's TestWebhookSerializer; `scope.id` is an environment's API key or an organisation's id. */
export const TestWebhookInput = S.object({
  webhook_url: S.check(S.string({ maxLength: 200 }), urlProblem),
  scope: S.object({
    type: S.choice(['organisation', 'environment']),
    id: S.optional(
      S.string({ maxLength: 100, description: "The environment's API key or the organisation's id" }),
    ),
  }),
  secret: S.optional(S.nullable(S.string({ maxLength: 255, allowBlank: true }))),
});
export type TestWebhookInput = Static<typeof TestWebhookInput>;

export const TestWebhookSuccessJson = S.response(
  { detail: S.string(), status: S.integer() },
  { title: 'TestWebhookSuccess' },
);
export const TestWebhookErrorJson = S.response(
  { detail: S.string(), status: S.optional(S.integer()), body: S.optional(S.string()) },
  { title: 'TestWebhookError' },
);
