import type { FeatureHealthEventType, FeatureHealthProviderName } from '../features/feature-health.entity';
import { readInput } from '../http/schema';
import {
  GrafanaNotification,
  type GrafanaNotificationInput,
  type ReasonInput,
  WebhookEvent,
} from './feature-health.schemas';

/** One health event read from a provider's payload, before its feature and environment are looked up by name. */
export interface ReportedEvent {
  readonly featureName: string;
  readonly environmentName: string | null;
  readonly type: FeatureHealthEventType;
  readonly reason: ReasonInput | null;
  readonly providerName: FeatureHealthProviderName;
  readonly externalId: string | null;
  readonly createdAt: Date | null;
}

/** Grafana's labels naming the feature and environment of an alert (Flagsmith's grafana/constants.py). */
const GRAFANA_FEATURE_LABEL = 'flagsmith_feature';
const GRAFANA_ENVIRONMENT_LABEL = 'flagsmith_environment';

/** The Webhook provider: one event; status "unhealthy" → UNHEALTHY, "healthy" → HEALTHY. */
function webhookEvents(payload: unknown): ReportedEvent[] {
  const event = readInput(WebhookEvent, payload);
  return [
    {
      featureName: event.feature,
      environmentName: event.environment ?? null,
      type: event.status === 'unhealthy' ? 'UNHEALTHY' : 'HEALTHY',
      reason: event.reason ?? null,
      providerName: 'Webhook',
      externalId: null,
      createdAt: null,
    },
  ];
}

type GrafanaAlert = GrafanaNotificationInput['alerts'][number];

/** Flagsmith's reason of a Grafana alert: its name and description, summary, and the alert's links. */
function grafanaReason(alert: GrafanaAlert): ReasonInput {
  const reason: ReasonInput = {
    text_blocks: [
      {
        title: alert.labels.alertname || 'Alertmanager Alert',
        text: alert.annotations.description || '',
      },
    ],
    url_blocks: [{ title: 'Alert', url: alert.generatorURL }],
  };
  if (alert.annotations.summary)
    reason.text_blocks.push({ title: 'Summary', text: alert.annotations.summary });
  if (alert.dashboardURL) reason.url_blocks.push({ title: 'Dashboard', url: alert.dashboardURL });
  if (alert.panelURL) reason.url_blocks.push({ title: 'Panel', url: alert.panelURL });
  if (alert.annotations.runbook_url)
    reason.url_blocks.push({ title: 'Runbook', url: alert.annotations.runbook_url });
  return reason;
}

/** The Grafana provider: an event per alert labelled with a feature; firing → UNHEALTHY, else HEALTHY. */
function grafanaEvents(payload: unknown): ReportedEvent[] {
  const notification = readInput(GrafanaNotification, payload);
  return notification.alerts.flatMap((alert): ReportedEvent[] => {
    const featureName = alert.labels[GRAFANA_FEATURE_LABEL];
    if (!featureName) return [];
    const firing = alert.status === 'firing';
    return [
      {
        featureName,
        environmentName: alert.labels[GRAFANA_ENVIRONMENT_LABEL] || null,
        type: firing ? 'UNHEALTHY' : 'HEALTHY',
        reason: grafanaReason(alert),
        providerName: 'Grafana',
        externalId: alert.fingerprint,
        createdAt: new Date(firing ? alert.startsAt : alert.endsAt),
      },
    ];
  });
}

/** The events of a provider's payload; a payload that is not the provider's format is a ValidationFailed. */
export function reportedEvents(provider: FeatureHealthProviderName, payload: unknown): ReportedEvent[] {
  return provider === 'Grafana' ? grafanaEvents(payload) : webhookEvents(payload);
}
