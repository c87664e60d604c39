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
